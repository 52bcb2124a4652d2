// How drift names a place in a delivery, and reads the name back: one text per place, and one place
// per text, whatever names a sender chooses.
import { expect } from 'chai';
import fc from 'fast-check';
import { anyItem, pathOfSteps, stepsOf, type PathStep } from '../../src/contract/drift-path.ts';
import { hostileText, seedFrom } from '../support/hostile-text.ts';

const seed = seedFrom('DRIFT_PATH_SEED');

describe('drift paths', () => {
  it('writes a plain name after a dot, any other in brackets as JSON, and array items as []', () => {
    expect(pathOfSteps(['data', 'content', 'buttons', anyItem, 'label'])).to.equal('data.content.buttons[].label');
    expect(pathOfSteps(['data', 'ended_by.satisfaction'])).to.equal('data["ended_by.satisfaction"]');
    expect(pathOfSteps(['data', 'ended_by', 'satisfaction'])).to.equal('data.ended_by.satisfaction');
    expect(pathOfSteps(['data', 'x-y', 'z'])).to.equal('data["x-y"].z');
    expect(pathOfSteps(['data', '[]', anyItem, ''])).to.equal('data["[]"][][""]');
    expect(pathOfSteps(['2fa', 'café'])).to.equal('["2fa"]["café"]');
    // A line break, a character one cannot see, and what no store keeps as text, escaped: one visible line.
    expect(pathOfSteps(['data', 'a\nb', 'zero\u200Bwidth', 'line\u2028separator', 'nul\0', 'half\uD83D', 'tag\u{E0041}'])).to.equal(
      String.raw`data["a\nb"]["zero\u200bwidth"]["line\u2028separator"]["nul\u0000"]["half\ud83d"]["tag\udb40\udc41"]`,
    );
  });

  it(`reads back exactly the steps it wrote, as one visible line, whatever the names (DRIFT_PATH_SEED=${seed})`, () => {
    const steps = fc.array(fc.oneof(hostileText, fc.constantFrom<PathStep>(anyItem, 'data', 'ended_by.satisfaction', '[]', '.', '"')), {
      maxLength: 6,
    });
    fc.assert(
      fc.property(steps, (written) => {
        const path = pathOfSteps(written);
        expect(stepsOf(path)).to.deep.equal(written);
        // One visible line: nothing but the space among controls, format characters and separators.
        expect(path).to.not.match(/(?! )[\p{C}\p{Z}]/u);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('reads no text that it would not write: a path cut short, or a name an older receiver kept after a dot', () => {
    for (const path of [
      'data.x-y',
      'data.a b',
      'data.nul\uFFFD',
      'data.',
      '.data',
      'data..b',
      'data["x"',
      'data["x"]y',
      'data[x]',
      'data["a\nb"]',
      'data["abc…',
    ]) {
      expect(stepsOf(path), path).to.equal(undefined);
    }
  });
});
