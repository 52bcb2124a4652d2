import { expect } from 'chai';
import { describeFailure, failureLimit } from '../../src/dispatch/failure.ts';

describe("a handler's failure, as the inbox keeps it", () => {
  it('is the error, its stack, and each cause with its code', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const refused = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const text = describeFailure(new TypeError('fetch failed', { cause: new Error('retry exhausted', { cause }) }));
    const headlines = text.split('\n').filter((line) => !line.trimStart().startsWith('at '));
    expect(headlines).to.deep.equal([
      'TypeError: fetch failed',
      'Caused by: Error: retry exhausted',
      'Caused by: Error: connect ECONNREFUSED 10.0.0.1:443',
    ]);
    expect(describeFailure(refused).split('\n')[0]).to.equal('Error: socket hang up (ECONNRESET)');
  });

  it('takes thrown values that are not errors, and cycles of causes', () => {
    expect(describeFailure('a string')).to.equal('a string');
    const looped: Error = new Error('first');
    looped.cause = new Error('second', { cause: looped });
    expect(
      describeFailure(looped)
        .split('\n')
        .filter((line) => !line.startsWith('    at')),
    ).to.deep.equal(['Error: first', 'Caused by: Error: second']);
  });

  it(`is cut at ${failureLimit} characters`, () => {
    const text = describeFailure(new Error('x'.repeat(10_000)));
    expect(text.length).to.equal(failureLimit);
    expect(text.endsWith('… (truncated)')).to.equal(true);
  });
});
