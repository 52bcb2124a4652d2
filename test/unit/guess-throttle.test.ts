// The count of wrong tokens per client address, on a clock the test moves: a window per address,
// memory bounded whatever addresses an attacker sends from.
import { expect } from 'chai';
import { GuessThrottle } from '../../src/inspector/guess-throttle.ts';

describe('the throttle of wrong tokens', () => {
  let now = Date.parse('2026-11-24T09:00:00Z');
  const clock = () => now;

  it('refuses an address after its limit until its window ends, then counts it afresh', () => {
    const throttle = new GuessThrottle({ limit: 3, windowMs: 60_000, maxAddresses: 10 }, clock);
    expect([throttle.wrong('a'), throttle.wrong('a'), throttle.wrong('a')]).to.deep.equal([true, false, false]);
    expect(throttle.refusal('b')).to.equal(undefined);
    now += 20_000;
    expect(throttle.refusal('a')).to.equal(40);
    now += 40_000;
    expect(throttle.refusal('a')).to.equal(undefined);
    expect(throttle.wrong('a')).to.equal(true);
    expect(throttle.report()).to.deep.equal([{ address: 'a', wrong: 2, refused: 1, since: new Date(now) }]);
    expect(throttle.report()).to.deep.equal([]);
  });

  it('starts afresh after the right token', () => {
    const throttle = new GuessThrottle({ limit: 2, windowMs: 60_000, maxAddresses: 10 }, clock);
    throttle.wrong('a');
    throttle.wrong('a');
    expect(throttle.refusal('a')).to.be.a('number');
    throttle.right('a');
    expect(throttle.refusal('a')).to.equal(undefined);
  });

  it('remembers at most maxAddresses, forgetting the oldest windows first, and forgets ended windows at each report', () => {
    const throttle = new GuessThrottle({ limit: 1, windowMs: 60_000, maxAddresses: 1000 }, clock);
    for (let index = 0; index < 100_000; index += 1) throttle.wrong(`10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`);
    expect(throttle.size).to.equal(1000);
    expect(throttle.refusal('10.1.134.159'), 'the newest address').to.be.a('number');
    expect(throttle.refusal('10.0.0.0'), 'the oldest address').to.equal(undefined);
    now += 60_000;
    throttle.report();
    expect(throttle.size).to.equal(0);
  });
});
