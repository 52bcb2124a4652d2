// Text a sender may choose, as hostile as a signed, well-formed JSON delivery lets it be: NUL and
// lone surrogates (escaped in the JSON, so the body is valid UTF-8), U+FFFD, characters of every
// width, the marks the inbox adds where it bounds a text, and lengths past PostgreSQL's index entry
// (2,704 bytes) and page (8,191 bytes).
import fc from 'fast-check';

/** The seed of a property: the variable's value to replay a run, else a new one (print it). */
export const seedFrom = (variable: string): number => Number(process.env[variable] ?? Date.now() % 2 ** 31);

const character = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('\0', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFFFD', '…', '#', '😀', 'é', '€', '"', '\\', '/', '~', 'a'),
  },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((point) => String.fromCodePoint(point)) },
);

export const hostileText = fc.oneof(
  { weight: 5, arbitrary: fc.array(character, { maxLength: 24 }).map((characters) => characters.join('')) },
  // Random characters, so that no compression brings an index entry back under PostgreSQL's limit.
  { weight: 1, arbitrary: fc.array(character, { minLength: 700, maxLength: 4000 }).map((characters) => characters.join('')) },
);

/** Random text of `bytes` bytes of UTF-8 that does not compress: base64url of random bytes. */
export function incompressible(bytes: number): string {
  let text = '';
  while (text.length < bytes) text += Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  return text.slice(0, bytes);
}

/** What a store keeps as text: no NUL, no lone surrogate. */
export const isStorableText = (text: string): boolean => !text.includes('\0') && text.isWellFormed();
