// Text that a sender chose (a field's name, a value), made fit for a store's key, a log line and a
// report: bounded in UTF-8 bytes, cut between characters and marked where it was cut, and without
// what a store cannot keep as text (PostgreSQL refuses NUL; UTF-8 has no lone surrogates).

/** What ends a text that was cut. */
export const cutMark = '…';
const cutMarkBytes = Buffer.byteLength(cutMark);

/** Whether every store keeps `text` as it is: it holds no NUL (PostgreSQL refuses it) and no lone surrogate (UTF-8 cannot say it). */
export const isStorableText = (text: string): boolean => !text.includes('\0') && text.isWellFormed();

/** NUL and lone surrogates as U+FFFD, as every store keeps them or refuses them. */
const clean = (text: string) => (text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text).toWellFormed();

/**
 * `text` when its UTF-8 takes at most `maxBytes`; otherwise as many of its first characters as
 * leave room for `…`, then `…`. NUL and lone surrogates become U+FFFD (and count as its 3 bytes).
 * A text that was cut takes more than `maxBytes - 4` bytes: see `mayBeCut`.
 */
export function storableText(text: string, maxBytes: number): string {
  // A UTF-16 unit takes at most 3 bytes of UTF-8: a short text needs no count.
  if (text.length * 3 <= maxBytes) return clean(text);
  let bytes = 0;
  let end = 0;
  let kept = 0;
  for (const character of text) {
    const point = character.codePointAt(0)!;
    bytes += point === 0 ? 3 : point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    if (bytes > maxBytes) return clean(text.slice(0, kept)) + cutMark;
    end += character.length;
    if (bytes <= maxBytes - cutMarkBytes) kept = end;
  }
  return clean(text);
}

/**
 * Whether `storableText(…, maxBytes)` may have cut this text: it fills the bound to within one
 * character, or exceeds it (a text kept before there was a bound). Only its last character, `…`,
 * would tell a cut text from one sent that long, and a sender may send `…` too.
 */
export const mayBeCut = (text: string, maxBytes: number): boolean => Buffer.byteLength(text) > maxBytes - 4;
