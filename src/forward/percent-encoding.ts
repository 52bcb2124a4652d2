// How an id travels in a NATS subject token or a header value: letters, digits, - and _ as they
// are, and every other character as `%` and two upper-case hex digits for each byte of its UTF-8,
// as in a URL, so that `decodeURIComponent` reads it back. Different ids stay different, and the
// result holds no `.`, `*`, `>`, white space, CR or LF, nor anything but ASCII.

const kept = /^[A-Za-z0-9_-]$/;
const keptWhole = /^[A-Za-z0-9_-]*$/;

/**
 * Written by hand rather than with encodeURIComponent, which keeps `.`, `*` and a few more as they
 * are, and throws on a lone surrogate (which JSON allows, as `\ud800`): such a code unit is written
 * as the three bytes that UTF-8 would give it, which no well-formed text produces.
 */
export function percentEncoded(value: string): string {
  if (keptWhole.test(value)) return value;
  let encoded = '';
  for (const character of value) {
    encoded += kept.test(character) ? character : utf8Bytes(character.codePointAt(0)!).map(hexByte).join('');
  }
  return encoded;
}

function utf8Bytes(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)];
  if (codePoint < 0x10000) return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
  return [0xf0 | (codePoint >> 18), 0x80 | ((codePoint >> 12) & 0x3f), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
}

const hexByte = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
