// When the SQLite writer commits (src/inbox/sqlite/commit-timing.ts): a delivery at once, and the
// dispatcher's writes with the next delivery's commit while deliveries keep coming.
import { expect } from 'chai';
import { commitDelay, deliveriesFlowingMs, holdsDelivery, rideWindowMs } from '../../src/inbox/sqlite/commit-timing.ts';
import type { WriteOperation } from '../../src/inbox/sqlite/writes.ts';

const row = {
  id: 'msg_1',
  eventType: null,
  receivedAt: '',
  headers: '{}',
  body: '{}',
  lane: 'delivery:msg_1',
  eventTime: 0,
  traceContext: null,
  endUserId: null,
  dataKeyId: null,
};
const accept: WriteOperation = { kind: 'accept', row };
const quarantine: WriteOperation = { kind: 'quarantine', row, violations: [] };
const settle: WriteOperation = { kind: 'settle', owner: 'worker', settlements: [{ id: 'msg_0', outcome: 'done' }], now: new Date() };
const claim: WriteOperation = { kind: 'claim', options: { owner: 'worker', limit: 8, leaseMs: 60_000, now: new Date() } };
const others: WriteOperation[] = [
  { kind: 'probe' },
  { kind: 'requeue', deliveries: [] },
  { kind: 'purge', state: 'done', receivedBefore: '', limit: 250 },
  { kind: 'recordDrift', summaries: [] },
  { kind: 'durability' },
];

describe('when the SQLite writer commits', () => {
  const now = 1_000_000;
  const justNow = now - 1;

  it('commits a delivery at once, whatever else waits with it', () => {
    for (const operations of [[accept], [quarantine], [settle, claim, accept], [settle, quarantine]]) {
      expect(holdsDelivery(operations)).to.equal(true);
      expect(commitDelay(operations, justNow, now)).to.equal(0);
    }
  });

  it("lets the dispatcher's writes wait for the next delivery's commit while deliveries keep coming", () => {
    expect(holdsDelivery([settle, claim])).to.equal(false);
    expect(commitDelay([settle], justNow, now)).to.equal(rideWindowMs);
    expect(commitDelay([settle, claim], now - deliveriesFlowingMs, now)).to.equal(rideWindowMs);
  });

  it("commits the dispatcher's writes at once when no delivery came for a while, or none ever did", () => {
    expect(commitDelay([settle, claim], now - deliveriesFlowingMs - 1, now)).to.equal(0);
    expect(commitDelay([claim], Number.NEGATIVE_INFINITY, now)).to.equal(0);
  });

  it('commits every other write at once: readiness, requeues, purges, drift, durability', () => {
    for (const other of others) expect(commitDelay([settle, other], justNow, now), other.kind).to.equal(0);
  });
});
