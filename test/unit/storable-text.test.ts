// Text a sender chose, bounded in UTF-8 bytes for a store, a log and a report: checked over
// generated texts of characters of every width, NUL and lone surrogates, across the bound.
import { expect } from 'chai';
import fc from 'fast-check';
import { cutMark, mayBeCut, storableText } from '../../src/support/storable-text.ts';

const seed = Number(process.env['TEXT_SEED'] ?? Date.now() % 2 ** 31);

const character = fc.oneof(
  fc.constantFrom('a', 'é', '€', '😀', '\0', '\uD800', '\uDFFF'),
  fc.integer({ min: 0, max: 0x10ffff }).map((point) => String.fromCodePoint(point)),
);
const text = fc.array(character, { maxLength: 120 }).map((characters) => characters.join(''));

describe('storable text', () => {
  it(`keeps a text within its bound in UTF-8 bytes, whole characters, marked where cut (TEXT_SEED=${seed})`, () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 4, max: 200 }), (sent, maxBytes) => {
        const stored = sent.replaceAll('\0', '\uFFFD').toWellFormed();
        const kept = storableText(sent, maxBytes);
        expect(Buffer.byteLength(kept)).to.be.at.most(maxBytes);
        expect(kept.isWellFormed() && !kept.includes('\0')).to.equal(true);
        if (Buffer.byteLength(stored) <= maxBytes) {
          expect(kept).to.equal(stored);
          return;
        }
        const start = kept.slice(0, -cutMark.length);
        expect(kept.endsWith(cutMark) && stored.startsWith(start)).to.equal(true);
        // The longest start that leaves room for the mark.
        const next = String.fromCodePoint(stored.codePointAt(start.length)!);
        expect(Buffer.byteLength(start + next + cutMark)).to.be.above(maxBytes);
        expect(mayBeCut(kept, maxBytes)).to.equal(true);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('keeps a short text as it is, and tells a text near the bound as one that may have been cut', () => {
    expect(storableText('data.satisfaction_score', 256)).to.equal('data.satisfaction_score');
    expect(mayBeCut('data.satisfaction_score', 256)).to.equal(false);
    expect(mayBeCut('x'.repeat(252), 256)).to.equal(false);
    expect(mayBeCut('x'.repeat(253), 256)).to.equal(true);
  });
});
