// The store's rules, written once against the Inbox interface and run unchanged against every
// backend: dedupe, lanes (claim order, one lease per lane, a late older event, a retry holding its
// lane, lease expiry, release, leases at intake), dead letters, replay into a lane, and the counters by state.
import { expect } from 'chai';
import type {
  ClaimedDelivery,
  DeliveryFilter,
  DeliveryQuery,
  DriftSummary,
  Inbox,
  LeaseAtIntake,
  NewDelivery,
  Settlement,
  StoredDelivery,
} from '../../src/inbox/inbox.ts';
import fc from 'fast-check';
import { escapePointerToken } from '../../src/contract/validation.ts';
import { DataKeyGone, DeliveryRefused } from '../../src/inbox/inbox.ts';
import { derivedFields, laneOf } from '../../src/inbox/ordering.ts';
import { maxDeliveryIdBytes, maxErrorBytes, maxEventTypeBytes, maxLaneIdBytes, maxViolationTextBytes } from '../../src/inbox/storable.ts';
import { eventually } from '../support/eventually.ts';
import { hostileText, incompressible, isStorableText, seedFrom } from '../support/hostile-text.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';

const nineOClock = Date.parse('2026-11-24T09:00:00.000Z');

interface EventSpec {
  type?: string;
  /** The event's conversation_id. */
  conversation?: string;
  endUser?: string;
  /** The event's timestamp, in seconds after 09:00. */
  second?: number;
  timestamp?: unknown;
  receivedAt?: Date;
}

function delivery(id: string, spec: EventSpec = {}): NewDelivery {
  const data: Record<string, string> = {};
  if (spec.conversation) data['conversation_id'] = spec.conversation;
  if (spec.endUser) data['end_user_id'] = spec.endUser;
  const timestamp = 'timestamp' in spec ? spec.timestamp : new Date(nineOClock + (spec.second ?? 0) * 1000).toISOString();
  const event = { type: spec.type ?? 'v1.conversation.message', timestamp, data };
  return { id, receivedAt: spec.receivedAt ?? new Date(), headers: { 'svix-id': id }, body: JSON.stringify(event), event };
}

const ids = (claimed: ClaimedDelivery[]) => claimed.map(({ id }) => id);

for (const backend of inboxBackends) {
  describe(`the inbox's rules on ${backend.name}`, () => {
    let store: TestInbox;
    let inbox: Inbox;
    beforeEach(async () => {
      store = await backend.create();
      inbox = store.inbox;
    });
    afterEach(() => store.destroy());

    const claim = (owner = 'dispatcher-a', { now = new Date(), limit = 10, leaseMs = 60_000 } = {}) =>
      inbox.claim({ owner, limit, leaseMs, now });
    const acceptAll = async (...deliveries: NewDelivery[]) => {
      for (const each of deliveries) expect(await inbox.accept(each), each.id).to.equal('stored');
    };

    describe('intake', () => {
      it('derives the event type, lane and event time of each delivery', async () => {
        const receivedAt = new Date('2026-11-24T09:30:00.000Z');
        await acceptAll(
          delivery('message', { conversation: 'c1', endUser: 'u1', second: 5, receivedAt }),
          delivery('profile', { type: 'v1.end_user.updated', endUser: 'u1', timestamp: '2026-11-24T09:00:07.25' }),
          delivery('audit', { type: 'v1.audit_log.emitted', timestamp: 'not a time', receivedAt }),
        );
        expect(await inbox.get('message')).to.deep.equal({
          id: 'message',
          state: 'pending',
          eventType: 'v1.conversation.message',
          receivedAt,
          headers: { 'svix-id': 'message' },
          body: delivery('message', { conversation: 'c1', endUser: 'u1', second: 5 }).body,
          lane: 'conversation:c1',
          eventTime: nineOClock + 5000,
          violations: [],
          attempts: 0,
          lastError: null,
          forwardedAt: null,
          traceContext: null,
          nextAttemptAt: null,
          discarded: null,
          endUserId: 'u1',
          erasedAt: null,
          unreadable: null,
        });
        expect(await inbox.get('profile')).to.deep.include({ lane: 'end_user:u1', eventTime: nineOClock + 7250, endUserId: 'u1' });
        expect(await inbox.get('audit')).to.deep.include({ lane: 'delivery:audit', eventTime: receivedAt.getTime(), endUserId: null });
        expect(await inbox.get('nowhere')).to.equal(undefined);
      });

      it('stores a delivery id once', async () => {
        const first = delivery('msg_1', { conversation: 'c1' });
        const outcomes = await Promise.all([first, first, first].map((copy) => inbox.accept(copy)));
        expect(outcomes.sort()).to.deep.equal(['duplicate', 'duplicate', 'stored']);
        expect(await inbox.accept({ ...first, body: '{}' })).to.equal('duplicate');
        expect(await inbox.quarantine(first, [])).to.equal('duplicate');
        expect((await inbox.get('msg_1'))?.body).to.equal(first.body);
        expect(ids(await claim())).to.deep.equal(['msg_1']);
      });

      it('keeps a quarantined delivery out of its lane until a valid copy replaces it', async () => {
        const violations = [{ pointer: '/data', message: 'is required' }];
        expect(await inbox.quarantine(delivery('msg_q', { conversation: 'c1' }), violations)).to.equal('stored');
        expect(await inbox.quarantine(delivery('msg_q', { conversation: 'c1' }), [])).to.equal('duplicate');
        expect(await inbox.get('msg_q')).to.deep.include({ state: 'quarantined', violations });
        expect(await claim()).to.deep.equal([]);

        expect(await inbox.accept(delivery('msg_q', { conversation: 'c1' }))).to.equal('stored');
        expect(await inbox.get('msg_q')).to.deep.include({ state: 'pending', violations: [] });
        expect(ids(await claim())).to.deep.equal(['msg_q']);
      });

      it('updates the violations of a delivery only while it is quarantined', async () => {
        await inbox.quarantine(delivery('msg_q'), [{ pointer: '/type', message: 'old' }]);
        await inbox.updateViolations('msg_q', [{ pointer: '/type', message: 'new' }]);
        expect((await inbox.get('msg_q'))?.violations).to.deep.equal([{ pointer: '/type', message: 'new' }]);

        await acceptAll(delivery('msg_p'));
        await inbox.updateViolations('msg_p', [{ pointer: '/type', message: 'new' }]);
        expect((await inbox.get('msg_p'))?.violations).to.deep.equal([]);
      });
    });

    describe('lanes', () => {
      it('claims the heads of ready lanes, oldest event first, one per lane', async () => {
        await acceptAll(
          delivery('a2', { conversation: 'a', second: 2 }),
          delivery('b3', { conversation: 'b', second: 3 }),
          delivery('a1', { conversation: 'a', second: 1 }),
          delivery('audit', { type: 'v1.audit_log.emitted', second: 0 }),
          delivery('u5', { type: 'v1.end_user.created', endUser: 'u', second: 5 }),
        );
        const first = await claim('dispatcher-a', { limit: 2 });
        expect(first.map(({ id, attempt }) => ({ id, attempt }))).to.deep.equal([
          { id: 'audit', attempt: 1 },
          { id: 'a1', attempt: 1 },
        ]);
        expect(first[1]).to.deep.include({
          eventType: 'v1.conversation.message',
          body: delivery('a1', { conversation: 'a', second: 1 }).body,
        });
        expect(ids(await claim())).to.deep.equal(['b3', 'u5']);
        expect(await claim()).to.deep.equal([]);
        expect((await inbox.get('a1'))?.attempts).to.equal(1);
      });

      it('holds a lane while its head is leased, whoever claims', async () => {
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }), delivery('a2', { conversation: 'a', second: 2 }));
        expect(ids(await claim('dispatcher-a'))).to.deep.equal(['a1']);
        expect(await claim('dispatcher-b')).to.deep.equal([]);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'done' }]);
        expect(ids(await claim('dispatcher-b'))).to.deep.equal(['a2']);
      });

      it('runs a late older event before the younger ones still waiting', async () => {
        await acceptAll(delivery('a2', { conversation: 'a', second: 20 }), delivery('a3', { conversation: 'a', second: 30 }));
        // Arrives late, while the lane is idle: it heads the lane at once.
        await acceptAll(delivery('a1', { conversation: 'a', second: 10 }));
        expect(ids(await claim())).to.deep.equal(['a1']);
        // Arrives late, while a1 is in flight: it waits for a1, then goes before a2.
        await acceptAll(delivery('a0', { conversation: 'a', second: 5 }));
        expect(await claim()).to.deep.equal([]);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'done' }]);
        expect(ids(await claim())).to.deep.equal(['a0']);
        await inbox.settle('dispatcher-a', [{ id: 'a0', outcome: 'done' }]);
        expect(ids(await claim())).to.deep.equal(['a2']);
      });

      it('keeps a retried delivery at the head of its lane until its retry is due, without holding other lanes', async () => {
        const now = new Date();
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }), delivery('a2', { conversation: 'a', second: 2 }));
        expect(ids(await claim('dispatcher-a', { now }))).to.deep.equal(['a1']);
        const retryAt = new Date(now.getTime() + 60_000);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'retry', error: 'Error: not yet', retryAt }]);
        expect(await inbox.get('a1')).to.deep.include({
          state: 'pending',
          attempts: 1,
          lastError: 'Error: not yet',
          nextAttemptAt: retryAt,
        });

        await acceptAll(delivery('b1', { conversation: 'b', second: 9 }));
        expect(ids(await claim('dispatcher-a', { now }))).to.deep.equal(['b1']);
        await inbox.settle('dispatcher-a', [{ id: 'b1', outcome: 'done' }]);
        expect(await claim('dispatcher-a', { now: new Date(retryAt.getTime() - 1) })).to.deep.equal([]);
        const retried = await claim('dispatcher-b', { now: retryAt });
        expect(retried.map(({ id, attempt }) => ({ id, attempt }))).to.deep.equal([{ id: 'a1', attempt: 2 }]);
        await inbox.settle('dispatcher-b', [{ id: 'a1', outcome: 'done' }]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'done', attempts: 2, lastError: null, nextAttemptAt: null });
        expect(ids(await claim('dispatcher-b', { now: retryAt }))).to.deep.equal(['a2']);
      });

      it('gives a lane whose lease ran out to the next claim, and ignores the first owner from then on', async () => {
        const now = new Date();
        await acceptAll(delivery('a1', { conversation: 'a' }));
        expect(ids(await claim('crashed', { now, leaseMs: 1000 }))).to.deep.equal(['a1']);
        expect(await claim('dispatcher-b', { now: new Date(now.getTime() + 999) })).to.deep.equal([]);
        const reclaimed = await claim('dispatcher-b', { now: new Date(now.getTime() + 1000) });
        expect(reclaimed.map(({ id, attempt }) => ({ id, attempt }))).to.deep.equal([{ id: 'a1', attempt: 2 }]);

        await inbox.settle('crashed', [{ id: 'a1', outcome: 'done' }]);
        expect((await inbox.get('a1'))?.state).to.equal('pending');
        await inbox.settle('dispatcher-b', [{ id: 'a1', outcome: 'done' }]);
        expect((await inbox.get('a1'))?.state).to.equal('done');
      });

      it('still takes the settlement of an owner whose lease ran out while nobody claimed the lane', async () => {
        const now = new Date();
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }), delivery('a2', { conversation: 'a', second: 2 }));
        await claim('slow', { now: new Date(now.getTime() - 10_000), leaseMs: 1000 });
        await inbox.settle('slow', [{ id: 'a1', outcome: 'done' }]);
        expect((await inbox.get('a1'))?.state).to.equal('done');
        expect(ids(await claim('dispatcher-b', { now }))).to.deep.equal(['a2']);
      });

      it('ignores a settlement from a dispatcher that does not hold the lease', async () => {
        await acceptAll(delivery('a1', { conversation: 'a' }));
        await claim('dispatcher-a');
        await inbox.settle('dispatcher-b', [{ id: 'a1', outcome: 'dead', error: 'Error: not mine' }]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'pending', lastError: null });
      });

      it('gives back a released delivery without counting the attempt', async () => {
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }), delivery('a2', { conversation: 'a', second: 2 }));
        await claim('stopping');
        await inbox.settle('stopping', [{ id: 'a1', outcome: 'released' }]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'pending', attempts: 0 });
        const claimed = await claim('dispatcher-b');
        expect(claimed.map(({ id, attempt }) => ({ id, attempt }))).to.deep.equal([{ id: 'a1', attempt: 1 }]);
      });

      it('moves a lane on past a dead delivery, keeping its error', async () => {
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }), delivery('a2', { conversation: 'a', second: 2 }));
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'dead', error: 'TypeError: broken' }]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'dead', attempts: 1, lastError: 'TypeError: broken' });
        expect(ids(await claim())).to.deep.equal(['a2']);
      });

      it('settles several deliveries of different lanes at once', async () => {
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }), delivery('b1', { conversation: 'b', second: 2 }));
        await claim();
        await inbox.settle('dispatcher-a', [
          { id: 'a1', outcome: 'done' },
          { id: 'b1', outcome: 'dead', error: 'Error: gone' },
        ]);
        expect((await inbox.get('a1'))?.state).to.equal('done');
        expect((await inbox.get('b1'))?.state).to.equal('dead');
        expect(await claim()).to.deep.equal([]);
      });
    });

    /** A claimer with room for `room` deliveries, which records what it is handed. */
    const claimer = (room: number, owner = 'dispatcher-a') => {
      const handed: (ClaimedDelivery | undefined)[] = [];
      let reserved = 0;
      const leases: LeaseAtIntake = {
        owner,
        leaseMs: 60_000,
        reserve: () => {
          if (reserved >= room) return false;
          reserved += 1;
          return true;
        },
        leased: (claimed) => {
          handed.push(claimed);
          if (!claimed) reserved -= 1;
        },
      };
      return { leases, handed, reserved: () => reserved };
    };

    describe('leases at intake', () => {
      it("leases a new lane's head to a claimer with room in the write that stores it, as a claim would", async () => {
        const taker = claimer(2);
        inbox.leaseAtIntake(taker.leases);
        const traceContext = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
        const a1 = { ...delivery('a1', { conversation: 'a', second: 1 }), traceContext };
        await acceptAll(a1);
        expect(taker.handed).to.deep.equal([
          {
            id: 'a1',
            eventType: 'v1.conversation.message',
            body: a1.body,
            receivedAt: a1.receivedAt,
            lane: 'conversation:a',
            attempt: 1,
            forwardedAt: null,
            traceContext,
            unreadable: null,
          },
        ]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'pending', attempts: 1 });
        expect(await inbox.lane('conversation:a')).to.deep.include({ headId: 'a1', status: 'leased' });
        expect((await inbox.lane('conversation:a'))?.lease?.owner).to.equal('dispatcher-a');
        // Nobody else can claim it, and its owner settles it as if it had claimed it.
        expect(await claim('dispatcher-b')).to.deep.equal([]);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'done' }]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'done', attempts: 1 });
        expect(await inbox.lane('conversation:a')).to.equal(undefined);
      });

      it('leases only a delivery that heads a lane nobody holds, and only while the claimer has room', async () => {
        const taker = claimer(2);
        inbox.leaseAtIntake(taker.leases);
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }));
        // a1 is in flight: a2 waits behind it, and the room set aside is given back.
        await acceptAll(delivery('a2', { conversation: 'a', second: 2 }));
        await acceptAll(delivery('b1', { conversation: 'b', second: 3 }));
        // No room left: c1's lane is ready for any claim.
        await acceptAll(delivery('c1', { conversation: 'c', second: 4 }));
        expect(taker.handed.map((claimed) => claimed?.id)).to.deep.equal(['a1', undefined, 'b1']);
        expect(taker.reserved()).to.equal(2);
        expect(ids(await claim('dispatcher-b'))).to.deep.equal(['c1']);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'done' }]);
        expect(ids(await claim('dispatcher-b'))).to.deep.equal(['a2']);
      });

      it('leases the oldest event of a new lane when deliveries of that lane are stored together', async () => {
        const taker = claimer(10);
        inbox.leaseAtIntake(taker.leases);
        const outcomes = await Promise.all(
          [
            delivery('a2', { conversation: 'a', second: 2 }),
            delivery('a1', { conversation: 'a', second: 1 }),
            delivery('b1', { conversation: 'b', second: 3 }),
          ].map((each) => inbox.accept(each)),
        );
        expect(outcomes).to.deep.equal(['stored', 'stored', 'stored']);
        const leased = taker.handed.filter((claimed) => claimed !== undefined).map(({ id, attempt }) => ({ id, attempt }));
        expect(leased.sort((x, y) => x.id.localeCompare(y.id))).to.deep.equal([
          { id: 'a1', attempt: 1 },
          { id: 'b1', attempt: 1 },
        ]);
        expect((await inbox.get('a2'))?.attempts).to.equal(0);
        expect(await claim('dispatcher-b')).to.deep.equal([]);
      });

      it('leases a late older event that heads a lane waiting for a retry', async () => {
        const taker = claimer(10);
        await acceptAll(delivery('a2', { conversation: 'a', second: 2 }));
        await claim('dispatcher-a');
        await inbox.settle('dispatcher-a', [
          { id: 'a2', outcome: 'retry', error: 'Error: not yet', retryAt: new Date(Date.now() + 60_000) },
        ]);
        inbox.leaseAtIntake(taker.leases);
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }));
        expect(taker.handed.map((claimed) => claimed && { id: claimed.id, attempt: claimed.attempt })).to.deep.equal([
          { id: 'a1', attempt: 1 },
        ]);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'done' }]);
        expect(await inbox.lane('conversation:a')).to.deep.include({ headId: 'a2', status: 'waiting' });
      });

      it('offers no lease for a duplicate or a quarantined delivery, nor once the claimer is gone', async () => {
        const taker = claimer(10);
        const stop = inbox.leaseAtIntake(taker.leases);
        await acceptAll(delivery('a1', { conversation: 'a' }));
        expect(await inbox.accept(delivery('a1', { conversation: 'a' }))).to.equal('duplicate');
        await inbox.quarantine(delivery('q1', { conversation: 'q' }), [{ pointer: '/type', message: 'wrong' }]);
        expect(taker.handed.map((claimed) => claimed?.id)).to.deep.equal(['a1', undefined]);
        stop();
        await acceptAll(delivery('b1', { conversation: 'b' }));
        expect(taker.handed).to.have.length(2);
        expect(ids(await claim('dispatcher-b'))).to.deep.equal(['b1']);
      });

      it('takes one claimer, and gives the room back when a write fails', async () => {
        const taker = claimer(10);
        inbox.leaseAtIntake(taker.leases);
        expect(() => inbox.leaseAtIntake(claimer(1, 'dispatcher-b').leases)).to.throw(/already leases at intake to dispatcher-a/);
        await inbox.close();
        let accepted: unknown;
        await inbox.accept(delivery('late')).catch((error: unknown) => (accepted = error));
        expect(accepted).to.be.instanceOf(Error);
        expect(taker.handed).to.deep.equal([undefined]);
        expect(taker.reserved()).to.equal(0);
      });
    });

    describe('a write the store refuses, among others in one commit', () => {
      // The writes asked for in one turn share a commit. One that the store refuses for what it
      // holds (here a trigger of the test's own) fails alone: the others are carried out and
      // answered as if it had not been there.
      const refusal = /writes of poisoned refused by the test/;
      const outcomes = (results: PromiseSettledResult<unknown>[]) =>
        results.map((result) => (result.status === 'fulfilled' ? result.value : String(result.reason)));

      it('fails that delivery alone: the others are stored, and the one leased at intake is handed over', async () => {
        await acceptAll(delivery('waiting', { conversation: 'w', second: 0 }));
        const taker = claimer(10);
        inbox.leaseAtIntake(taker.leases);
        await acceptAll(delivery('in-flight', { conversation: 's', second: 1 }));
        const allowWrites = await store.refuseWritesOf('poisoned');

        const results = await Promise.allSettled([
          inbox.accept(delivery('good', { conversation: 'g', second: 5 })),
          inbox.accept(delivery('poisoned', { conversation: 'p', second: 2 })),
          inbox.quarantine(delivery('invalid', { conversation: 'q', second: 3 }), [{ pointer: '/type', message: 'wrong' }]),
          inbox.settle('dispatcher-a', [{ id: 'in-flight', outcome: 'done' }]),
          inbox.claim({ owner: 'dispatcher-b', limit: 1, leaseMs: 60_000 }),
        ]);

        const [good, poisoned, invalid, settled, claimed] = outcomes(results);
        expect({ good, invalid, settled }).to.deep.equal({ good: 'stored', invalid: 'stored', settled: undefined });
        expect(poisoned).to.match(refusal);
        expect(ids(claimed as ClaimedDelivery[])).to.deep.equal(['waiting']);
        expect(taker.handed.map((each) => each && { id: each.id, attempt: each.attempt })).to.have.deep.members([
          { id: 'in-flight', attempt: 1 },
          { id: 'good', attempt: 1 },
          undefined,
        ]);
        expect(taker.reserved(), 'the room set aside for the refused delivery is given back').to.equal(2);
        expect(await inbox.lane('conversation:g')).to.deep.include({ headId: 'good', status: 'leased' });
        expect(await inbox.get('in-flight')).to.deep.include({ state: 'done' });
        expect(await inbox.get('poisoned')).to.equal(undefined);
        expect(await inbox.lane('conversation:p'), 'no lane, no lease left behind').to.equal(undefined);
        expect(await inbox.countByState()).to.deep.equal({ pending: 2, quarantined: 1, done: 1, dead: 0, discarded: 0 });

        // Its sender's retry is stored once the store takes it.
        await allowWrites();
        await acceptAll(delivery('poisoned', { conversation: 'p', second: 2 }));
        expect(taker.handed.at(-1)).to.deep.include({ id: 'poisoned', attempt: 1 });
      });

      it("fails that settlement alone: the owner's other settlements and the intake beside it are carried out", async () => {
        const taker = claimer(10);
        inbox.leaseAtIntake(taker.leases);
        await acceptAll(delivery('poisoned', { conversation: 'p' }), delivery('fine', { conversation: 'f' }));
        const allowWrites = await store.refuseWritesOf('poisoned');

        const results = await Promise.allSettled([
          inbox.settle('dispatcher-a', [{ id: 'poisoned', outcome: 'done' }]),
          inbox.settle('dispatcher-a', [{ id: 'fine', outcome: 'done' }]),
          inbox.accept(delivery('fresh', { conversation: 'n' })),
        ]);

        const [poisoned, fine, fresh] = outcomes(results);
        expect(poisoned).to.match(refusal);
        expect({ fine, fresh }).to.deep.equal({ fine: undefined, fresh: 'stored' });
        expect(await inbox.get('fine')).to.deep.include({ state: 'done' });
        expect(taker.handed.at(-1), 'the delivery leased at intake is handed over').to.deep.include({ id: 'fresh', attempt: 1 });
        expect(await inbox.lane('conversation:n')).to.deep.include({ headId: 'fresh', status: 'leased' });
        // The refused settlement changed nothing: its owner still holds the lane, and settles it later.
        expect(await inbox.get('poisoned')).to.deep.include({ state: 'pending', attempts: 1 });
        expect(await inbox.lane('conversation:p')).to.deep.include({ headId: 'poisoned', status: 'leased' });
        await allowWrites();
        await inbox.settle('dispatcher-a', [{ id: 'poisoned', outcome: 'done' }]);
        expect(await inbox.get('poisoned')).to.deep.include({ state: 'done' });
        expect(await inbox.countByState()).to.deep.equal({ pending: 1, quarantined: 0, done: 2, dead: 0, discarded: 0 });
      });
    });

    describe("what a sender chose, at the stores' limits", () => {
      // PostgreSQL's text and jsonb refuse NUL, jsonb refuses a lone surrogate, and a B-tree index
      // entry takes at most 2,704 bytes: a signed, well-formed delivery reaches each with its type,
      // its ids or its keys. Every such delivery is stored, in the same form on every backend, or
      // refused for an id that no store can key; either way the store stays available.
      const seed = seedFrom('INBOX_LIMITS_SEED');
      const runs = Number(process.env['INBOX_LIMITS_RUNS'] ?? 300);
      let availability: boolean[];
      beforeEach(() => {
        availability = [];
        inbox.onAvailabilityChange((change) => availability.push(change.available));
      });

      const bytes = (text: string) => Buffer.byteLength(text);
      const refusal = (write: Promise<unknown>) =>
        write.then(
          () => undefined,
          (error: unknown) => error,
        );
      const hostileEvent = (spec: { type: string; conversation?: string; endUser?: string }) => ({
        type: spec.type,
        timestamp: '2026-11-24T09:00:00Z',
        data: { conversation_id: spec.conversation, end_user_id: spec.endUser },
      });
      const sent = (id: string, event: unknown): NewDelivery => ({
        id,
        receivedAt: new Date(),
        headers: { 'svix-id': 'as sent' },
        body: JSON.stringify(event),
        event,
      });

      /** Checks the lane that the inbox keeps for a conversation's or an end user's id: itself when a store keeps it, else bounded and marked with its digest. */
      function expectLaneFor(lane: string, prefix: string, id: string): void {
        if (isStorableText(id) && bytes(id) <= maxLaneIdBytes) {
          expect(lane).to.equal(`${prefix}${id}`);
          return;
        }
        expect(lane.startsWith(prefix), lane).to.equal(true);
        const kept = lane.slice(prefix.length);
        expect(bytes(kept)).to.be.at.most(maxLaneIdBytes);
        expect(isStorableText(kept)).to.equal(true);
        expect(kept).to.match(/#[\w-]{43}$/);
      }

      it(`stores every delivery whatever its ids, type and keys hold, or refuses one whose id no store can key (INBOX_LIMITS_SEED=${seed})`, async function () {
        this.timeout(300_000);
        let run = 0;
        let storedCount = 0;
        /** Each lane, and the id it was kept for: two ids never share one. */
        const laneOf = new Map<string, string>();
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              chosenId: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: hostileText }),
              type: fc.oneof(
                fc.constantFrom('v1.conversation.message', 'v1.end_user.updated', 'v1.audit_log.emitted'),
                hostileText,
                hostileText.map((text) => `v1.end_user.${text}`),
              ),
              conversation: fc.option(hostileText),
              endUser: fc.option(hostileText),
              key: hostileText,
              valid: fc.boolean(),
            }),
            async ({ chosenId, type, conversation, endUser, key, valid }) => {
              const id = `limits-${(run += 1)}:${chosenId}`;
              const event = hostileEvent({ type, conversation: conversation ?? undefined, endUser: endUser ?? undefined });
              Object.assign(event.data, { [key]: { [key]: key }, metadata: { [key]: {} } });
              const { conversation_id, end_user_id } = event.data as Record<string, unknown>;
              const violations = [
                { pointer: `/data/metadata/${escapePointerToken(key)}`, message: 'must be string or boolean or number' },
                { pointer: '/type', message: `${type} is not an event type` },
              ];
              const delivery = sent(id, event);
              const written = valid ? inbox.accept(delivery) : inbox.quarantine(delivery, violations);

              if (!isStorableText(id) || bytes(id) > maxDeliveryIdBytes) {
                expect(await refusal(written), 'an id no store can key').to.be.instanceOf(DeliveryRefused);
                return;
              }
              expect(await written).to.equal('stored');
              storedCount += 1;
              const stored = (await inbox.get(id))!;
              expect(stored).to.deep.include({ id, state: valid ? 'pending' : 'quarantined', body: delivery.body });
              expect(stored.eventType).to.equal(derivedFields(delivery).eventType);
              expect(bytes(stored.eventType!)).to.be.at.most(maxEventTypeBytes);
              expect(isStorableText(stored.eventType!)).to.equal(true);
              if (isStorableText(type) && bytes(type) <= maxEventTypeBytes) expect(stored.eventType).to.equal(type);

              expect(stored.lane).to.equal(derivedFields(delivery).lane);
              if (typeof conversation_id === 'string') expectLaneFor(stored.lane, 'conversation:', conversation_id);
              else if (type.startsWith('v1.end_user.') && typeof end_user_id === 'string')
                expectLaneFor(stored.lane, 'end_user:', end_user_id);
              else expect(stored.lane).to.equal(`delivery:${id}`);
              const keptFor = typeof conversation_id === 'string' ? conversation_id : type.startsWith('v1.end_user.') ? end_user_id : id;
              expect(laneOf.get(stored.lane) ?? keptFor, 'a lane of its own').to.equal(keptFor);
              laneOf.set(stored.lane, keptFor as string);

              if (valid) expect(stored.violations).to.deep.equal([]);
              else {
                expect(stored.violations).to.have.length(2);
                stored.violations.forEach((kept, index) => {
                  const given = violations[index]!;
                  for (const text of [kept.pointer, kept.message]) {
                    expect(isStorableText(text)).to.equal(true);
                    expect(bytes(text)).to.be.at.most(maxViolationTextBytes);
                  }
                  if (isStorableText(given.pointer) && bytes(given.pointer) <= maxViolationTextBytes)
                    expect(kept.pointer).to.equal(given.pointer);
                });
              }
            },
          ),
          { seed, numRuns: runs },
        );
        const counts = await inbox.countByState();
        expect(counts.pending + counts.quarantined).to.equal(storedCount);
        expect(availability, 'never unavailable').to.deep.equal([]);
      });

      it('keeps a delivery id of up to 1,024 bytes, whatever its characters and lane, and refuses a longer one, storing nothing', async () => {
        // Without a conversation, the id is its lane's key too: the largest index entries there are.
        const longest = [incompressible(maxDeliveryIdBytes), '😀'.repeat(maxDeliveryIdBytes / 4), 'é'.repeat(maxDeliveryIdBytes / 2)];
        for (const id of longest) {
          expect(await inbox.accept(delivery(id, { type: incompressible(maxEventTypeBytes) }))).to.equal('stored');
        }
        const quarantined = incompressible(maxDeliveryIdBytes);
        const violations = [{ pointer: `/${incompressible(maxViolationTextBytes - 1)}`, message: 'is wrong' }];
        expect(await inbox.quarantine(delivery(quarantined, { type: incompressible(maxEventTypeBytes) }), violations)).to.equal('stored');
        expect(await inbox.get(quarantined)).to.deep.include({ state: 'quarantined', violations });
        expect(ids(await claim('dispatcher-a', { limit: 10 }))).to.have.members(longest);
        await inbox.settle('dispatcher-a', [{ id: longest[0]!, outcome: 'dead', error: 'gone' }]);
        expect(await inbox.requeue([{ id: longest[0]! }, { id: quarantined }])).to.equal(2);

        const refused: [string, RegExp][] = [
          [incompressible(maxDeliveryIdBytes + 1), /its id takes 1025 bytes; the inbox keys deliveries by ids of at most 1024 bytes/],
          [`${'😀'.repeat(maxDeliveryIdBytes / 4)}a`, /1025 bytes/],
          ['m'.repeat(16 * 1024), /16384 bytes/],
          ['msg_\0', /NUL or a lone surrogate/],
          ['msg_\uD800', /NUL or a lone surrogate/],
        ];
        for (const [id, reason] of refused) {
          for (const write of [inbox.accept(delivery(id)), inbox.quarantine(delivery(id), violations)]) {
            const error = await refusal(write);
            expect(error).to.be.instanceOf(DeliveryRefused);
            expect((error as Error).message).to.match(reason);
          }
        }
        expect(await inbox.countByState()).to.deep.equal({ pending: 4, quarantined: 0, done: 0, dead: 0, discarded: 0 });
        expect(availability).to.deep.equal([]);
      });

      it("keeps a conversation's or an end user's id of up to 512 bytes as its lane's key, and a longer or unstorable one bounded and apart", async () => {
        const shared = incompressible(600);
        const conversations = [
          incompressible(maxLaneIdBytes),
          incompressible(maxLaneIdBytes + 1),
          `${shared}a${incompressible(9000)}`,
          `${shared}b${incompressible(9000)}`,
          'c\0',
          'c\uFFFD',
          'c\uD800',
          'c\uDC00',
        ];
        const endUsers = ['u\0', 'u\uFFFD', incompressible(9000)];
        await acceptAll(
          ...conversations.map((conversation, index) => delivery(`conversation-${index}`, { conversation })),
          ...endUsers.map((endUser, index) => delivery(`end-user-${index}`, { type: 'v1.end_user.updated', endUser })),
        );
        const lanes: string[] = [];
        for (const [index, conversation] of conversations.entries()) {
          const { lane } = (await inbox.get(`conversation-${index}`))!;
          expectLaneFor(lane, 'conversation:', conversation);
          lanes.push(lane);
        }
        for (const [index, endUser] of endUsers.entries()) {
          const { lane } = (await inbox.get(`end-user-${index}`))!;
          expectLaneFor(lane, 'end_user:', endUser);
          lanes.push(lane);
        }
        expect(new Set(lanes).size, 'every id a lane of its own').to.equal(lanes.length);
        const listed = await inbox.list({ lane: laneOf('conversation', conversations[2]!), limit: 5 });
        expect(listed.map(({ id }) => id)).to.deep.equal(['conversation-2']);

        // A later event of the same conversation joins its lane, behind its head.
        await acceptAll(delivery('conversation-1-later', { conversation: conversations[1], second: 5 }));
        expect(await inbox.lane(lanes[1]!)).to.deep.include({ headId: 'conversation-1', pending: 2 });
        const claimed = await claim('dispatcher-a', { limit: 20 });
        expect(claimed.map(({ lane }) => lane)).to.have.members(lanes);
        await inbox.settle('dispatcher-a', [{ id: 'conversation-1', outcome: 'done' }]);
        expect(await inbox.lane(lanes[1]!)).to.deep.include({ headId: 'conversation-1-later', status: 'ready' });
        expect(availability).to.deep.equal([]);
      });

      it('keeps an event type of up to 256 bytes as it is, and a longer one cut, without what no store keeps', async () => {
        const longest = incompressible(maxEventTypeBytes);
        const cases = [longest, incompressible(3000), 'v1.x\0\uD800', 'v1.\uDC00'];
        await acceptAll(...cases.map((type, index) => delivery(`typed-${index}`, { type })));
        const [kept, cut, nul, lone] = (await Promise.all(cases.map((_, index) => inbox.get(`typed-${index}`)))).map(
          (stored) => stored!.eventType!,
        ) as [string, string, string, string];
        expect(kept).to.equal(longest);
        expect(cut.endsWith('…') && cases[1]!.startsWith(cut.slice(0, -1))).to.equal(true);
        expect(bytes(cut)).to.be.at.most(maxEventTypeBytes);
        expect([nul, lone]).to.deep.equal(['v1.x\uFFFD\uFFFD', 'v1.\uFFFD']);
        expect((await inbox.list({ eventType: cut, limit: 10 })).map(({ id }) => id)).to.deep.equal(['typed-1']);
      });

      it('keeps the first 1,000 violations of a delivery, each bounded and without what no store keeps, and counts the rest', async () => {
        const violations = Array.from({ length: 1500 }, (_, index) => ({
          pointer: `/data/metadata/${index}\0\uD800`,
          message: index === 0 ? incompressible(10_000) : 'must be string or boolean or number',
        }));
        const kept = [
          { pointer: '/data/metadata/0\uFFFD\uFFFD', message: `${violations[0]!.message.slice(0, maxViolationTextBytes - 3)}…` },
          ...violations.slice(1, 1000).map(({ pointer, message }) => ({ pointer: pointer.replace('\0\uD800', '\uFFFD\uFFFD'), message })),
          { pointer: '', message: 'and 500 more violations, not kept' },
        ];
        expect(await inbox.quarantine(delivery('many-violations'), violations)).to.equal('stored');
        expect((await inbox.get('many-violations'))!.violations).to.deep.equal(kept);
        await inbox.updateViolations('many-violations', [...violations, ...violations]);
        expect((await inbox.get('many-violations'))!.violations.at(-1)).to.deep.equal({
          pointer: '',
          message: 'and 2000 more violations, not kept',
        });
      });

      it("keeps a failed attempt's error bounded and without what no store keeps, and lets the delivery die", async () => {
        await acceptAll(delivery('failing', { conversation: 'c\0' }), delivery('behind', { conversation: 'c\0', second: 1 }));
        const error = `Error: no conversation c\0\uD800\n${'x'.repeat(50_000)}`;
        const keptError = (kept: string | null) => {
          expect(kept!.startsWith('Error: no conversation c\uFFFD\uFFFD\nxxx')).to.equal(true);
          expect(isStorableText(kept!)).to.equal(true);
          expect(bytes(kept!)).to.be.at.most(maxErrorBytes);
          return kept;
        };
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'failing', outcome: 'retry', error, retryAt: new Date(Date.now() - 1) }]);
        expect(keptError((await inbox.get('failing'))!.lastError)).to.have.length.above(maxErrorBytes / 2);
        expect(ids(await claim())).to.deep.equal(['failing']);
        await inbox.settle('dispatcher-a', [{ id: 'failing', outcome: 'dead', error }]);
        expect(await inbox.get('failing')).to.deep.include({ state: 'dead' });
        keptError((await inbox.get('failing'))!.lastError);
        (await inbox.failedAttempts('failing')).forEach((attempt) => keptError(attempt.error));
        expect(ids(await claim()), 'the lane moved on').to.deep.equal(['behind']);
      });

      it('refuses alone a delivery the store refuses for what it holds, and stays available; a write the store cannot carry out makes it unavailable', async function () {
        this.timeout(10_000);
        const allowWrites = await store.refuseWritesOf('poisoned');
        const refused = await refusal(inbox.accept(delivery('poisoned')));
        expect(refused).to.be.instanceOf(DeliveryRefused);
        expect((refused as Error).message).to.match(/writes of poisoned refused by the test/);
        expect(await refusal(inbox.quarantine(delivery('poisoned'), []))).to.be.instanceOf(DeliveryRefused);
        await inbox.ping();
        await allowWrites();
        expect(availability, 'a refusal of one delivery is not an outage').to.deep.equal([]);

        // The same listener hears of a write that fails for the store's own reason.
        const allowAll = await store.refuseWrites();
        const failed = await refusal(inbox.accept(delivery('during-outage')));
        expect(failed).to.be.instanceOf(Error).and.not.instanceOf(DeliveryRefused);
        expect(availability).to.deep.equal([false]);
        await allowAll();
        await eventually(() => inbox.ping().then(() => true));
        expect(availability).to.deep.equal([false, true]);
      });
    });

    describe('forwarding', () => {
      const forwardedAt = new Date('2026-11-24T09:00:01.500Z');

      it('keeps when an attempt was forwarded, whatever became of its handler, and tells the next attempt', async () => {
        await acceptAll(delivery('a1', { conversation: 'a' }));
        // A forward names the lane it heads: the lane stored at intake.
        expect((await claim()).map(({ lane, forwardedAt }) => ({ lane, forwardedAt }))).to.deep.equal([
          { lane: 'conversation:a', forwardedAt: null },
        ]);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'retry', error: 'Error: handler', retryAt: new Date(0), forwardedAt }]);
        expect((await claim()).map(({ id, forwardedAt }) => ({ id, forwardedAt }))).to.deep.equal([{ id: 'a1', forwardedAt }]);
        // A later attempt, which did not publish, leaves the first confirmation in place.
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'released' }]);
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'done', forwardedAt: new Date() }]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'done', forwardedAt });
      });

      it('keeps the forward of a released or dead attempt', async () => {
        await acceptAll(delivery('a1', { conversation: 'a' }), delivery('b1', { conversation: 'b' }));
        await claim();
        await inbox.settle('dispatcher-a', [
          { id: 'a1', outcome: 'released', forwardedAt },
          { id: 'b1', outcome: 'dead', error: 'Error: handler', forwardedAt },
        ]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'pending', attempts: 0, forwardedAt });
        expect(await inbox.get('b1')).to.deep.include({ state: 'dead', forwardedAt });
      });

      it('forwards a replayed delivery again', async () => {
        await acceptAll(delivery('a1', { conversation: 'a' }));
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'done', forwardedAt }]);
        await inbox.requeue([{ id: 'a1' }]);
        expect(await inbox.get('a1')).to.deep.include({ state: 'pending', forwardedAt: null });
        expect((await claim()).map(({ forwardedAt }) => forwardedAt)).to.deep.equal([null]);
      });

      it('says when the oldest pending delivery not forwarded yet was received, among the types asked about', async () => {
        const everything = { except: [] };
        expect(await inbox.oldestUnforwarded(everything)).to.equal(undefined);
        await acceptAll(
          delivery('audit', { type: 'v1.audit_log.emitted', receivedAt: new Date('2026-11-24T07:00:00Z') }),
          delivery('a1', { conversation: 'a', receivedAt: new Date('2026-11-24T08:00:00Z') }),
          delivery('b1', { conversation: 'b', receivedAt: new Date('2026-11-24T09:00:00Z') }),
        );
        expect(await inbox.oldestUnforwarded(everything)).to.deep.equal(new Date('2026-11-24T07:00:00Z'));
        expect(await inbox.oldestUnforwarded({ except: ['v1.audit_log.emitted'] })).to.deep.equal(new Date('2026-11-24T08:00:00Z'));
        expect(await inbox.oldestUnforwarded({ only: ['v1.audit_log.emitted'] })).to.deep.equal(new Date('2026-11-24T07:00:00Z'));
        expect(await inbox.oldestUnforwarded({ only: ['v1.end_user.created'] })).to.equal(undefined);

        await claim();
        // a1 is forwarded but its handler must run again; the audit entry is done.
        await inbox.settle('dispatcher-a', [
          { id: 'a1', outcome: 'retry', error: 'Error: handler', retryAt: new Date(Date.now() + 60_000), forwardedAt },
          { id: 'audit', outcome: 'done' },
        ]);
        expect(await inbox.oldestUnforwarded(everything)).to.deep.equal(new Date('2026-11-24T09:00:00Z'));
      });
    });

    describe('trace context', () => {
      const received = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=1' };
      const replayed = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

      it('keeps the trace of a delivery with it, for every attempt', async () => {
        await acceptAll({ ...delivery('a1', { conversation: 'a' }), traceContext: received });
        expect(await inbox.get('a1')).to.deep.include({ traceContext: received });
        expect((await claim()).map(({ traceContext }) => traceContext)).to.deep.equal([received]);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'retry', error: 'Error: once', retryAt: new Date() }]);
        expect((await claim()).map(({ traceContext }) => traceContext)).to.deep.equal([received]);
      });

      it('keeps the trace of a quarantined delivery, and takes the trace of the valid copy that replaces it', async () => {
        await inbox.quarantine({ ...delivery('a1', { conversation: 'a' }), traceContext: received }, [
          { pointer: '/data', message: 'bad' },
        ]);
        expect(await inbox.get('a1')).to.deep.include({ traceContext: received });
        await acceptAll({ ...delivery('a1', { conversation: 'a' }), traceContext: replayed });
        expect(await inbox.get('a1')).to.deep.include({ state: 'pending', traceContext: replayed });
      });

      it('moves a replayed delivery to the trace of its replay, or keeps its own when the replay has none', async () => {
        await acceptAll(
          { ...delivery('a1', { conversation: 'a' }), traceContext: received },
          { ...delivery('b1', { conversation: 'b' }), traceContext: received },
        );
        await claim();
        await inbox.settle('dispatcher-a', [
          { id: 'a1', outcome: 'done' },
          { id: 'b1', outcome: 'done' },
        ]);
        expect(await inbox.requeue([{ id: 'a1', traceContext: replayed }, { id: 'b1' }, { id: 'a1' }])).to.equal(2);
        expect(await inbox.get('a1')).to.deep.include({ traceContext: replayed });
        expect(await inbox.get('b1')).to.deep.include({ traceContext: received });
      });

      it('stores no trace for a delivery received while nothing traces', async () => {
        await acceptAll({ ...delivery('a1', { conversation: 'a' }), traceContext: {} });
        expect((await claim()).map(({ traceContext }) => traceContext)).to.deep.equal([null]);
      });
    });

    describe('contract drift', () => {
      const at = (minute: number) => new Date(nineOClock + minute * 60_000);
      const summary = (spec: Partial<DriftSummary> & Pick<DriftSummary, 'path'>): DriftSummary => ({
        eventType: 'v1.conversation.created',
        kind: 'unknown_field',
        detail: 'integer',
        deliveries: 1,
        firstSeenAt: at(0),
        lastSeenAt: at(0),
        exampleId: 'msg_first',
        exampleValue: null,
        ...spec,
      });

      it('adds up what was seen of each difference, widening its first and last sighting and keeping its first example', async () => {
        await inbox.recordDrift([summary({ path: 'data.rating', deliveries: 3, firstSeenAt: at(5), lastSeenAt: at(6) })]);
        await inbox.recordDrift([
          summary({ path: 'data.rating', deliveries: 2, firstSeenAt: at(1), lastSeenAt: at(9), exampleId: 'msg_later' }),
          summary({ path: 'data.rating', deliveries: 1, firstSeenAt: at(7), lastSeenAt: at(8), exampleId: 'msg_later' }),
          summary({ path: 'data.rating', detail: 'null', lastSeenAt: at(2) }),
        ]);
        expect(await inbox.drift()).to.deep.equal([
          summary({ path: 'data.rating', deliveries: 6, firstSeenAt: at(1), lastSeenAt: at(9) }),
          summary({ path: 'data.rating', detail: 'null', lastSeenAt: at(2) }),
        ]);
      });

      it('keeps the example value of the first sighting, when the receiver keeps values', async () => {
        await inbox.recordDrift([summary({ path: 'data.rating', exampleValue: '4' })]);
        await inbox.recordDrift([summary({ path: 'data.rating', exampleValue: '5', exampleId: 'msg_later' })]);
        expect(await inbox.drift()).to.deep.equal([summary({ path: 'data.rating', deliveries: 2, exampleValue: '4' })]);
      });

      it('lists the differences seen since a time, of one event type, the most recently seen first', async () => {
        await inbox.recordDrift([
          summary({ path: 'data.rating', lastSeenAt: at(1) }),
          summary({
            eventType: 'v1.conversation.message',
            kind: 'unlisted_value',
            path: 'data.channel.modality',
            detail: 'whatsapp',
            lastSeenAt: at(3),
          }),
          summary({ eventType: 'v1.conversation.rated', kind: 'unknown_event_type', path: '', detail: '', lastSeenAt: at(2) }),
        ]);
        const listed = (filter?: { since?: Date; eventType?: string }) =>
          inbox.drift(filter).then((summaries) => summaries.map(({ eventType, path }) => `${eventType} ${path}`));
        expect(await listed()).to.deep.equal([
          'v1.conversation.message data.channel.modality',
          'v1.conversation.rated ',
          'v1.conversation.created data.rating',
        ]);
        expect(await listed({ since: at(2) })).to.deep.equal(['v1.conversation.message data.channel.modality', 'v1.conversation.rated ']);
        expect(await listed({ eventType: 'v1.conversation.created' })).to.deep.equal(['v1.conversation.created data.rating']);
      });
    });

    describe('replay', () => {
      it('puts dead, quarantined and done deliveries back into their lanes, in event order', async () => {
        await acceptAll(delivery('a1', { conversation: 'a', second: 1 }));
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'done' }]);
        await acceptAll(delivery('a2', { conversation: 'a', second: 2 }), delivery('a3', { conversation: 'a', second: 3 }));
        await inbox.quarantine(delivery('a0', { conversation: 'a', second: 0 }), [{ pointer: '/data', message: 'old' }]);
        expect(ids(await claim())).to.deep.equal(['a2']);

        expect(await inbox.requeue([{ id: 'a1' }, { id: 'a0' }, { id: 'a3' }, { id: 'nowhere' }])).to.equal(2);
        expect(await inbox.get('a1')).to.deep.include({ state: 'pending', attempts: 0, lastError: null });
        expect(await inbox.get('a0')).to.deep.include({ state: 'pending', violations: [] });
        // a2 is still in flight; then the replayed a0 and a1 go first, being older than a3.
        expect(await claim()).to.deep.equal([]);
        const order: string[] = [];
        await inbox.settle('dispatcher-a', [{ id: 'a2', outcome: 'done' }]);
        for (let claimed = await claim(); claimed.length > 0; claimed = await claim()) {
          order.push(...ids(claimed));
          await inbox.settle(
            'dispatcher-a',
            claimed.map(({ id }) => ({ id, outcome: 'done' as const })),
          );
        }
        expect(order).to.deep.equal(['a0', 'a1', 'a3']);
      });

      it('requeues a dead delivery with its attempts reset', async () => {
        await acceptAll(delivery('a1', { conversation: 'a' }));
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'dead', error: 'Error: down' }]);
        expect(await inbox.requeue([{ id: 'a1' }])).to.equal(1);
        const [claimed] = await claim();
        expect(claimed).to.deep.include({ id: 'a1', attempt: 1 });
      });
    });

    describe('purge', () => {
      const at = (hour: number) => new Date(`2026-11-24T${String(hour).padStart(2, '0')}:00:00Z`);

      it('deletes deliveries of one state received before a time, the oldest first, a batch at a time', async () => {
        await acceptAll(...[1, 2, 3, 4].map((hour) => delivery(`d${hour}`, { conversation: `c${hour}`, receivedAt: at(hour) })));
        await claim();
        await inbox.settle(
          'dispatcher-a',
          [1, 2, 3, 4].map((hour) => ({ id: `d${hour}`, outcome: 'done' as const })),
        );
        expect(await inbox.purge({ state: 'done', receivedBefore: at(4), limit: 2 })).to.equal(2);
        expect((await inbox.list({ limit: 10 })).map(({ id }) => id)).to.deep.equal(['d4', 'd3']);
        expect(await inbox.purge({ state: 'done', receivedBefore: at(4), limit: 2 })).to.equal(1);
        expect(await inbox.purge({ state: 'done', receivedBefore: at(4), limit: 2 })).to.equal(0);
        expect(await inbox.get('d1')).to.equal(undefined);
        expect(await inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 0, done: 1, dead: 0, discarded: 0 });
      });

      it('touches no other state, and no pending delivery, in its lane or not', async () => {
        const old = at(1);
        await acceptAll(
          delivery('pending', { conversation: 'a', receivedAt: old }),
          delivery('dead', { conversation: 'b', receivedAt: old }),
        );
        await inbox.quarantine(delivery('quarantined', { receivedAt: old }), []);
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'dead', outcome: 'dead', error: 'Error: gone' }]);
        await inbox.settle('dispatcher-a', [{ id: 'pending', outcome: 'retry', error: 'Error: later', retryAt: new Date() }]);
        expect(await inbox.purge({ state: 'done', receivedBefore: new Date(), limit: 10 })).to.equal(0);
        expect(await inbox.countByState()).to.deep.equal({ pending: 1, quarantined: 1, done: 0, dead: 1, discarded: 0 });
        expect(await inbox.lane('conversation:a')).to.deep.include({ headId: 'pending' });

        expect(await inbox.purge({ state: 'dead', receivedBefore: new Date(), limit: 10 })).to.equal(1);
        expect(await inbox.purge({ state: 'quarantined', receivedBefore: new Date(), limit: 10 })).to.equal(1);
        expect(await inbox.countByState()).to.deep.equal({ pending: 1, quarantined: 0, done: 0, dead: 0, discarded: 0 });
        expect(ids(await claim('dispatcher-a', { now: new Date(Date.now() + 60_000) }))).to.deep.equal(['pending']);
      });

      it('deletes the failed attempts of what it purges, and a delivery purged can be received again', async () => {
        await acceptAll(delivery('a1', { conversation: 'a', receivedAt: at(1) }));
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'dead', error: 'Error: down' }]);
        expect(await inbox.failedAttempts('a1')).to.have.length(1);
        expect(await inbox.purge({ state: 'dead', receivedBefore: at(2), limit: 10 })).to.equal(1);
        expect(await inbox.failedAttempts('a1')).to.deep.equal([]);
        expect(await inbox.accept(delivery('a1', { conversation: 'a' }))).to.equal('stored');
        expect(await inbox.get('a1')).to.deep.include({ state: 'pending', attempts: 0, lastError: null });
      });
    });

    describe('discard', () => {
      const by = 'session 1a2b3c4d from 10.0.0.7';
      const at = new Date('2026-11-24T12:00:00.000Z');

      it('sets a quarantined delivery aside for good: counted apart, its violations kept, with who and when', async () => {
        const violations = [{ pointer: '/data/channel/modality', message: 'must be one of: messaging' }];
        await inbox.quarantine(delivery('q1', { conversation: 'a' }), violations);
        await inbox.quarantine(delivery('q2'), violations);
        expect(await inbox.discard('q1', { at, by })).to.equal(true);
        expect(await inbox.get('q1')).to.deep.include({ state: 'discarded', violations, discarded: { at, by }, attempts: 0 });
        expect((await inbox.get('q2'))?.discarded).to.equal(null);
        expect(await inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 1, done: 0, dead: 0, discarded: 1 });
        expect((await inbox.list({ state: 'discarded', limit: 10 })).map(({ id }) => id)).to.deep.equal(['q1']);
        expect((await inbox.list({ limit: 10 })).map(({ id }) => id).sort()).to.deep.equal(['q1', 'q2']);
        expect(await inbox.lane('conversation:a')).to.equal(undefined);
      });

      it('changes nothing of a delivery in any other state, or of none, and a second discard neither', async () => {
        await acceptAll(
          delivery('p1', { conversation: 'a' }),
          delivery('d1', { conversation: 'b' }),
          delivery('x1', { conversation: 'c' }),
        );
        await claim();
        await inbox.settle('dispatcher-a', [
          { id: 'd1', outcome: 'done' },
          { id: 'x1', outcome: 'dead', error: 'Error: down' },
        ]);
        await inbox.quarantine(delivery('q1'), []);
        await inbox.discard('q1', { at, by });
        const before = await Promise.all(['p1', 'd1', 'x1', 'q1'].map((id) => inbox.get(id)));
        for (const id of ['p1', 'd1', 'x1', 'q1', 'nowhere']) {
          expect(await inbox.discard(id, { at: new Date(), by: 'someone else' }), id).to.equal(false);
        }
        expect(await Promise.all(['p1', 'd1', 'x1', 'q1'].map((id) => inbox.get(id)))).to.deep.equal(before);
        expect(await inbox.countByState()).to.deep.equal({ pending: 1, quarantined: 0, done: 1, dead: 1, discarded: 1 });
      });

      it('is left by a requeue and a duplicate, and goes by a purge of discarded deliveries', async () => {
        await inbox.quarantine(delivery('q1', { receivedAt: new Date('2026-11-24T09:00:00Z') }), []);
        await inbox.discard('q1', { at, by });
        expect(await inbox.requeue([{ id: 'q1' }])).to.equal(0);
        expect(await inbox.accept(delivery('q1'))).to.equal('duplicate');
        expect(await inbox.quarantine(delivery('q1'), [])).to.equal('duplicate');
        expect(await inbox.get('q1')).to.deep.include({ state: 'discarded', discarded: { at, by } });
        expect(await inbox.purge({ state: 'discarded', receivedBefore: new Date('2026-11-24T10:00:00Z'), limit: 10 })).to.equal(1);
        expect(await inbox.get('q1')).to.equal(undefined);
        expect(await inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 0, done: 0, dead: 0, discarded: 0 });
      });
    });

    describe('erasure of an end user', () => {
      const at = new Date('2026-11-24T12:00:00.000Z');
      const drift = (exampleId: string): DriftSummary => ({
        eventType: 'v1.conversation.message',
        kind: 'unknown_field',
        path: `data.${exampleId}`,
        detail: 'string',
        deliveries: 1,
        firstSeenAt: at,
        lastSeenAt: at,
        exampleId,
        exampleValue: '"ada@example.com"',
      });

      /** Ana's deliveries done, dead (with a failed attempt), quarantined and pending; Bo's done. */
      async function twoEndUsers() {
        await acceptAll(
          delivery('ana-done', { conversation: 'c1', endUser: 'ana' }),
          delivery('ana-dead', { conversation: 'c2', endUser: 'ana' }),
          delivery('bo-done', { conversation: 'c3', endUser: 'bo' }),
        );
        await claim();
        await inbox.settle('dispatcher-a', [
          { id: 'ana-done', outcome: 'done' },
          { id: 'ana-dead', outcome: 'dead', error: 'Error: refused "ada@example.com"' },
          { id: 'bo-done', outcome: 'done' },
        ]);
        await inbox.quarantine(delivery('ana-quarantined', { type: 'v1.end_user.updated', endUser: 'ana' }), []);
        await acceptAll(delivery('ana-pending', { conversation: 'c4', endUser: 'ana' }));
        await inbox.recordDrift([drift('ana-done'), drift('bo-done')]);
      }
      const anas = ['ana-done', 'ana-dead', 'ana-quarantined', 'ana-pending'];

      it('keeps the end user each delivery names, of any type, and lists by it', async () => {
        await twoEndUsers();
        await inbox.accept(delivery('audit', { type: 'v1.audit_log.emitted' }));
        expect((await inbox.get('ana-quarantined'))?.endUserId).to.equal('ana');
        expect((await inbox.get('audit'))?.endUserId).to.equal(null);
        expect((await inbox.list({ endUserId: 'ana', limit: 10 })).map(({ id }) => id).sort()).to.deep.equal([...anas].sort());
        expect(await inbox.count({ endUserId: 'bo' })).to.equal(1);
      });

      it("empties what is kept of one end user's deliveries, marks them erased, and leaves another's", async () => {
        await twoEndUsers();
        const bo = await inbox.get('bo-done');
        expect(await inbox.erase('ana', at)).to.equal(4);
        for (const id of anas) {
          expect(await inbox.get(id), id).to.deep.include({
            headers: {},
            body: '',
            lastError: null,
            erasedAt: at,
            unreadable: `its end user's data was erased at ${at.toISOString()}`,
          });
        }
        expect((await inbox.get('ana-dead'))?.state).to.equal('dead');
        expect((await inbox.failedAttempts('ana-dead')).map(({ error }) => error)).to.deep.equal(['']);
        expect((await inbox.drift()).map(({ exampleId, exampleValue }) => [exampleId, exampleValue]).sort()).to.deep.equal([
          ['ana-done', null],
          ['bo-done', '"ada@example.com"'],
        ]);
        expect(await inbox.get('bo-done')).to.deep.equal(bo);
        expect(await inbox.countErased()).to.equal(4);
        expect([await inbox.countErased('ana'), await inbox.countErased('bo')]).to.deep.equal([4, 0]);
      });

      it('changes nothing the second time, and the erased are never replayed', async () => {
        await twoEndUsers();
        await inbox.erase('ana', at);
        const erased = await Promise.all(anas.map((id) => inbox.get(id)));
        expect(await inbox.erase('ana', new Date())).to.equal(0);
        expect(await inbox.requeue(anas.map((id) => ({ id })))).to.equal(0);
        expect(await Promise.all(anas.map((id) => inbox.get(id)))).to.deep.equal(erased);
        expect(await inbox.erase('nobody', at)).to.equal(0);
      });

      it("hands the dispatcher an erased pending delivery with why it cannot be read, and a sender's retry is a duplicate", async () => {
        await twoEndUsers();
        await inbox.erase('ana', at);
        const [claimed] = await claim();
        expect(claimed).to.deep.include({
          id: 'ana-pending',
          body: '',
          unreadable: `its end user's data was erased at ${at.toISOString()}`,
        });
        expect(await inbox.accept(delivery('ana-done', { conversation: 'c1', endUser: 'ana' }))).to.equal('duplicate');
        expect((await inbox.get('ana-done'))?.body).to.equal('');
      });

      it('keeps no error of an attempt that ends after the erasure, as it may quote what was erased', async () => {
        await acceptAll(
          delivery('ana-1', { conversation: 'c1', endUser: 'ana' }),
          delivery('ana-2', { conversation: 'c2', endUser: 'ana' }),
        );
        await claim();
        await inbox.erase('ana', at);
        await inbox.settle('dispatcher-a', [
          { id: 'ana-1', outcome: 'dead', error: 'Error: refused "ada@example.com"' },
          { id: 'ana-2', outcome: 'retry', error: 'Error: refused "ada@example.com"', retryAt: new Date() },
        ]);
        for (const id of ['ana-1', 'ana-2']) {
          expect(await inbox.get(id), id).to.deep.include({ lastError: null, erasedAt: at });
          expect(
            (await inbox.failedAttempts(id)).map(({ error }) => error),
            id,
          ).to.deep.equal(['']);
        }
        expect((await inbox.get('ana-1'))?.state).to.equal('dead');
      });

      it('stores anew what is received of the end user after the erasure, a valid copy of an erased quarantined one too', async () => {
        await twoEndUsers();
        await inbox.erase('ana', at);
        const again = delivery('ana-quarantined', { type: 'v1.end_user.updated', endUser: 'ana' });
        expect(await inbox.accept(again)).to.equal('stored');
        expect(await inbox.accept(delivery('ana-new', { conversation: 'c5', endUser: 'ana' }))).to.equal('stored');
        for (const id of ['ana-quarantined', 'ana-new']) {
          expect(await inbox.get(id), id).to.deep.include({ state: 'pending', erasedAt: null, unreadable: null, endUserId: 'ana' });
        }
        expect((await inbox.get('ana-quarantined'))?.body).to.equal(again.body);
        expect(await inbox.countErased()).to.equal(3);
      });
    });

    describe('data keys', () => {
      const key = (id: string, owner: string, wrapped = `wrapped ${id}`) => ({ id, owner, wrapped });

      it('keeps one key per owner: the first stored wins, and each is read by owner and by id', async () => {
        expect(await inbox.addDataKey(key('k1', 'end_user:ana'))).to.deep.equal(key('k1', 'end_user:ana'));
        expect(await inbox.addDataKey(key('k2', 'end_user:ana'))).to.deep.equal(key('k1', 'end_user:ana'));
        expect(await inbox.dataKeyOf('end_user:ana')).to.deep.equal(key('k1', 'end_user:ana'));
        expect(await inbox.dataKeyById('k1')).to.deep.equal(key('k1', 'end_user:ana'));
        expect(await inbox.dataKeyById('k2')).to.equal(undefined);
        expect(await inbox.dataKeyOf('end_user:bo')).to.equal(undefined);
      });

      it("gives every caller the one key stored when several add an owner's key at once", async () => {
        // Many owners, so that some adds meet another's that is not committed yet.
        for (let owner = 0; owner < 30; owner += 1) {
          const added = await Promise.all(
            Array.from({ length: 4 }, (_, index) => inbox.addDataKey(key(`k${owner}-${index}`, `end_user:${owner}`))),
          );
          const stored = await inbox.dataKeyOf(`end_user:${owner}`);
          expect(stored?.owner).to.equal(`end_user:${owner}`);
          expect(added).to.deep.equal(Array(4).fill(stored));
        }
      });

      it('lists the keys a page at a time and re-wraps one only from the wrapping it had', async () => {
        for (const id of ['k3', 'k1', 'k2']) await inbox.addDataKey(key(id, `end_user:${id}`));
        expect((await inbox.dataKeys(undefined, 2)).map(({ id }) => id)).to.deep.equal(['k1', 'k2']);
        expect((await inbox.dataKeys('k2', 2)).map(({ id }) => id)).to.deep.equal(['k3']);
        expect(await inbox.rewrapDataKey('k1', 'wrapped k1', 'new k1')).to.equal(true);
        expect(await inbox.rewrapDataKey('k1', 'wrapped k1', 'newer k1')).to.equal(false);
        expect(await inbox.rewrapDataKey('gone', 'wrapped gone', 'new')).to.equal(false);
        expect(await inbox.dataKeyById('k1')).to.deep.equal(key('k1', 'end_user:k1', 'new k1'));
      });

      it("destroys the erased end user's key alone, and refuses a delivery under it while others beside it are stored", async () => {
        await inbox.addDataKey(key('ana-key', 'end_user:ana'));
        await inbox.addDataKey(key('bo-key', 'end_user:bo'));
        await acceptAll({ ...delivery('ana-1', { conversation: 'c1', endUser: 'ana' }), dataKeyId: 'ana-key' });
        await inbox.erase('ana', new Date());
        expect(await inbox.dataKeyOf('end_user:ana')).to.equal(undefined);
        expect(await inbox.dataKeyOf('end_user:bo')).to.deep.equal(key('bo-key', 'end_user:bo'));
        const [late, other] = await Promise.allSettled([
          inbox.accept({ ...delivery('ana-2', { conversation: 'c1', endUser: 'ana' }), dataKeyId: 'ana-key' }),
          inbox.accept({ ...delivery('bo-1', { conversation: 'c2', endUser: 'bo' }), dataKeyId: 'bo-key' }),
        ]);
        expect(late).to.have.property('status', 'rejected');
        expect((late as PromiseRejectedResult).reason).to.be.instanceOf(DataKeyGone);
        expect(other).to.deep.equal({ status: 'fulfilled', value: 'stored' });
        expect(await inbox.get('ana-2')).to.equal(undefined);
        await inbox.ping();
      });
    });

    describe('ended inspector sessions', () => {
      const inAnHour = () => new Date(Date.now() + 3_600_000);

      it('tells which sessions were signed out, once or twice, until they would have expired', async () => {
        expect(await inbox.endedSessions(['s1', 's2'])).to.deep.equal([]);
        await inbox.endSession({ id: 's1', expiresAt: inAnHour() });
        await inbox.endSession({ id: 's1', expiresAt: inAnHour() });
        await inbox.endSession({ id: 'expired', expiresAt: new Date(Date.now() - 1000) });
        expect((await inbox.endedSessions(['s1', 's2', 'expired'])).sort()).to.deep.equal(['s1']);
        expect(await inbox.endedSessions([])).to.deep.equal([]);
      });
    });

    describe('reading', () => {
      it('refuses a filter field of list or count that it does not have, naming the closest, rather than select every delivery', async () => {
        const queryFields = 'state, eventType, lane, since, until, idPrefix, endUserId';
        const fields = `${queryFields}, after, limit`;
        await inbox.accept(delivery('a1'));
        const misspelt = { stat: 'dead', limit: 10 } as unknown as DeliveryFilter;
        const refusal = (read: Promise<unknown>) =>
          read.then(
            () => 'read',
            (error: unknown) => (error as Error).message,
          );
        expect(await refusal(inbox.list(misspelt))).to.equal(
          `stat is not an option of inbox.list; did you mean state? The options: ${fields}`,
        );
        expect(await refusal(inbox.count({ eventTyp: 'x' } as DeliveryQuery))).to.equal(
          `eventTyp is not an option of inbox.count; did you mean eventType? The options: ${queryFields}`,
        );
        expect(await inbox.count({ state: 'dead' })).to.equal(0);
      });

      it('counts deliveries by state from counters that every write keeps', async () => {
        expect(await inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 0, done: 0, dead: 0, discarded: 0 });
        await acceptAll(
          delivery('a1', { conversation: 'a' }),
          delivery('b1', { conversation: 'b' }),
          delivery('c1', { conversation: 'c' }),
        );
        await inbox.accept(delivery('a1', { conversation: 'a' }));
        await inbox.quarantine(delivery('q1'), []);
        await inbox.quarantine(delivery('q2'), []);
        await inbox.accept(delivery('q2'));
        await claim();
        await inbox.settle('dispatcher-a', [
          { id: 'a1', outcome: 'done' },
          { id: 'b1', outcome: 'dead', error: 'Error: down' },
          { id: 'c1', outcome: 'retry', error: 'Error: later', retryAt: new Date(Date.now() + 60_000) },
        ]);
        expect(await inbox.countByState()).to.deep.equal({ pending: 2, quarantined: 1, done: 1, dead: 1, discarded: 0 });
        await inbox.requeue([{ id: 'b1' }, { id: 'q1' }]);
        const counts = await inbox.countByState();
        expect(counts).to.deep.equal({ pending: 4, quarantined: 0, done: 1, dead: 0, discarded: 0 });

        const all = await inbox.list({ limit: 100 });
        for (const state of ['pending', 'quarantined', 'done', 'dead'] as const) {
          expect(
            all.filter((stored) => stored.state === state),
            state,
          ).to.have.length(counts[state]);
        }
      });

      it('lists newest first, by state, event type and time received', async () => {
        await acceptAll(
          delivery('old', { receivedAt: new Date('2026-11-24T08:00:00Z') }),
          delivery('new', { type: 'v1.conversation.ended', receivedAt: new Date('2026-11-24T10:00:00Z') }),
        );
        await inbox.quarantine(delivery('bad', { receivedAt: new Date('2026-11-24T09:00:00Z') }), []);
        const listed = async (filter: Parameters<Inbox['list']>[0]) => (await inbox.list(filter)).map(({ id }) => id);
        expect(await listed({ limit: 10 })).to.deep.equal(['new', 'bad', 'old']);
        expect(await listed({ limit: 2 })).to.deep.equal(['new', 'bad']);
        expect(await listed({ state: 'pending', limit: 10 })).to.deep.equal(['new', 'old']);
        expect(await listed({ eventType: 'v1.conversation.ended', limit: 10 })).to.deep.equal(['new']);
        expect(await listed({ since: new Date('2026-11-24T09:00:00Z'), limit: 10 })).to.deep.equal(['new', 'bad']);
        expect(await listed({ until: new Date('2026-11-24T10:00:00Z'), limit: 10 })).to.deep.equal(['bad', 'old']);
      });

      it('lists and counts deliveries whose id starts with a prefix, with the other conditions', async () => {
        await acceptAll(
          delivery('msg_2a1', { receivedAt: new Date('2026-11-24T08:00:00Z') }),
          delivery('msg_2a2', { type: 'v1.conversation.ended', receivedAt: new Date('2026-11-24T10:00:00Z') }),
          delivery('msg_2b1'),
        );
        await inbox.quarantine(delivery('msg_2a3'), []);
        const listed = async (filter: Parameters<Inbox['list']>[0]) => (await inbox.list(filter)).map(({ id }) => id).sort();
        expect(await listed({ idPrefix: 'msg_2a', limit: 10 })).to.deep.equal(['msg_2a1', 'msg_2a2', 'msg_2a3']);
        expect(await listed({ idPrefix: 'msg_2a', state: 'pending', limit: 10 })).to.deep.equal(['msg_2a1', 'msg_2a2']);
        expect(await listed({ idPrefix: 'msg_2', eventType: 'v1.conversation.ended', limit: 10 })).to.deep.equal(['msg_2a2']);
        expect(await listed({ idPrefix: 'msg_2a%', limit: 10 })).to.deep.equal([]);
        expect(await inbox.count({})).to.equal(4);
        expect(await inbox.count({ idPrefix: 'msg_2a' })).to.equal(3);
        expect(await inbox.count({ idPrefix: 'msg_2a', state: 'quarantined' })).to.equal(1);
        expect(await inbox.count({ state: 'pending', until: new Date('2026-11-24T09:00:00Z') })).to.equal(1);
        expect(await inbox.count({ eventType: 'v1.conversation.ended', since: new Date('2026-11-24T09:00:00Z') })).to.equal(1);
      });

      it('lists by id prefix at the edges of the code points: the last one, and either side of the surrogates', async () => {
        const ids = ['p\u{10FFFF}', 'p\u{10FFFF}1', 'q', 'p\uD7FF', 'p\uD7FF\u{10FFFF}', 'p\uE000', 'p'];
        await acceptAll(...ids.map((id) => delivery(id)));
        const listed = async (idPrefix: string) => (await inbox.list({ idPrefix, limit: 10 })).map(({ id }) => id).sort();
        expect(await listed('p\u{10FFFF}')).to.deep.equal(['p\u{10FFFF}', 'p\u{10FFFF}1']);
        expect(await listed('p\uD7FF')).to.deep.equal(['p\uD7FF', 'p\uD7FF\u{10FFFF}']);
        expect(await listed('p')).to.have.length(6);
        expect(await inbox.count({ idPrefix: 'p\uD7FF' })).to.equal(2);
      });

      it("lists one lane's deliveries", async () => {
        await acceptAll(
          delivery('a1', { conversation: 'a' }),
          delivery('b1', { conversation: 'b' }),
          delivery('u1', { type: 'v1.end_user.updated', endUser: 'u' }),
        );
        const listed = async (lane: string) => (await inbox.list({ lane, limit: 10 })).map(({ id }) => id);
        expect(await listed('conversation:a')).to.deep.equal(['a1']);
        expect(await listed('end_user:u')).to.deep.equal(['u1']);
        expect(await listed('conversation:u')).to.deep.equal([]);
      });

      it('pages on from the last delivery of a page, deliveries received at the same time included', async () => {
        const sameTime = new Date('2026-11-24T09:00:00Z');
        await acceptAll(
          ...['d', 'b', 'e', 'a', 'c'].map((id) => delivery(id, { receivedAt: sameTime })),
          delivery('newest', { receivedAt: new Date('2026-11-24T10:00:00Z') }),
          delivery('oldest', { receivedAt: new Date('2026-11-24T08:00:00Z') }),
        );
        const pages: string[][] = [];
        let after: StoredDelivery | undefined;
        do {
          const page = await inbox.list({ limit: 3, after });
          pages.push(page.map(({ id }) => id));
          after = page.length === 3 ? page.at(-1) : undefined;
        } while (after);
        expect(pages).to.deep.equal([['newest', 'e', 'd'], ['c', 'b', 'a'], ['oldest']]);
        expect(
          (await inbox.list({ state: 'pending', limit: 2, after: { receivedAt: sameTime, id: 'b' } })).map(({ id }) => id),
        ).to.deep.equal(['a', 'oldest']);
      });

      it('keeps every failed attempt with its error, across a replay, and none for a release or a stale owner', async () => {
        await acceptAll(delivery('a1', { conversation: 'a' }));
        const attempt = async (settlement: (id: string) => Settlement, owner = 'dispatcher-a') => {
          const [claimed] = await claim(owner, { now: new Date(Date.now() + 3_600_000) });
          await inbox.settle(owner, [settlement(claimed!.id)]);
        };
        await attempt((id) => ({ id, outcome: 'retry', error: 'Error: first\n    at handler (a.ts:1)', retryAt: new Date() }));
        await attempt((id) => ({ id, outcome: 'released' }));
        await attempt((id) => ({ id, outcome: 'dead', error: 'Error: second' }));
        await inbox.settle('dispatcher-b', [{ id: 'a1', outcome: 'dead', error: 'Error: not the owner' }]);
        await inbox.requeue([{ id: 'a1' }]);
        await attempt((id) => ({ id, outcome: 'retry', error: 'Error: after the replay', retryAt: new Date() }));

        const failed = await inbox.failedAttempts('a1');
        expect(failed.map(({ attempt, error }) => [attempt, error])).to.deep.equal([
          [1, 'Error: first\n    at handler (a.ts:1)'],
          [2, 'Error: second'],
          [1, 'Error: after the replay'],
        ]);
        expect(failed.every(({ failedAt }) => failedAt instanceof Date && Math.abs(failedAt.getTime() - Date.now()) < 60_000)).to.equal(
          true,
        );
        expect(await inbox.failedAttempts('none')).to.deep.equal([]);
      });

      it("tells a lane's head, why it waits, and what waits behind it", async () => {
        await acceptAll(
          delivery('a2', { conversation: 'a', second: 2 }),
          delivery('a1', { conversation: 'a', second: 1 }),
          delivery('a3', { conversation: 'a', second: 3 }),
        );
        expect(await inbox.lane('conversation:a')).to.deep.equal({
          key: 'conversation:a',
          headId: 'a1',
          status: 'ready',
          dueAt: undefined,
          lease: undefined,
          pending: 3,
        });
        const now = new Date();
        await claim('dispatcher-a', { now, leaseMs: 60_000 });
        expect(await inbox.lane('conversation:a')).to.deep.include({
          status: 'leased',
          lease: { owner: 'dispatcher-a', until: new Date(now.getTime() + 60_000) },
        });
        const retryAt = new Date(now.getTime() + 300_000);
        await inbox.settle('dispatcher-a', [{ id: 'a1', outcome: 'retry', error: 'Error: later', retryAt }]);
        expect(await inbox.lane('conversation:a')).to.deep.include({ headId: 'a1', status: 'waiting', dueAt: retryAt, lease: undefined });
        expect((await inbox.laneQueue('conversation:a', 10)).map(({ id }) => id)).to.deep.equal(['a1', 'a2', 'a3']);
        expect((await inbox.laneQueue('conversation:a', 2)).map(({ id }) => id)).to.deep.equal(['a1', 'a2']);

        expect(await inbox.lane('conversation:none')).to.equal(undefined);
        expect(await inbox.laneQueue('conversation:none', 10)).to.deep.equal([]);
      });

      it('says when the oldest pending delivery was received', async () => {
        expect(await inbox.oldestPending()).to.equal(undefined);
        await acceptAll(
          delivery('later', { receivedAt: new Date('2026-11-24T10:00:00Z') }),
          delivery('earlier', { receivedAt: new Date('2026-11-24T08:00:00Z') }),
        );
        expect(await inbox.oldestPending()).to.deep.equal(new Date('2026-11-24T08:00:00Z'));
        await claim();
        await inbox.settle('dispatcher-a', [{ id: 'earlier', outcome: 'done' }]);
        expect(await inbox.oldestPending()).to.deep.equal(new Date('2026-11-24T10:00:00Z'));
      });

      it('answers ping while open, and refuses work once closed', async () => {
        await inbox.ping();
        await inbox.close();
        let pinged: unknown;
        await inbox.ping().catch((error: unknown) => (pinged = error));
        expect(pinged).to.be.instanceOf(Error);
        let accepted: unknown;
        await inbox.accept(delivery('late')).catch((error: unknown) => (accepted = error));
        expect(accepted).to.be.instanceOf(Error);
      });
    });
  });
}

// Svix retries a delivery whose 200 it never saw, however long ago its handler finished: the
// retry of a done or dead delivery is a duplicate, and nothing of its row changes.
for (const backend of inboxBackends) {
  describe(`a retry of a delivery that is done or dead, on ${backend.name}`, () => {
    let store: TestInbox;
    let inbox: Inbox;
    beforeEach(async () => {
      store = await backend.create();
      inbox = store.inbox;
    });
    afterEach(() => store.destroy());

    const received = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const firstCopy = (): NewDelivery => ({
      ...delivery('msg_1', { conversation: 'c1', second: 1, receivedAt: new Date('2026-11-24T09:00:01Z') }),
      headers: { 'svix-id': 'msg_1', 'svix-timestamp': '1795424401', 'content-type': 'application/json' },
      traceContext: received,
    });
    /** The retry, hours later: the same id, with its own time, headers and trace, and a body that differs (a contract that changed at Ada). */
    const retry = (): NewDelivery => ({
      ...delivery('msg_1', { type: 'v1.conversation.ended', conversation: 'c2', second: 9, receivedAt: new Date('2026-11-24T14:00:00Z') }),
      headers: { 'svix-id': 'msg_1', 'svix-timestamp': '1795442400', 'content-type': 'application/json' },
      traceContext: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });

    const settlements: Record<'done' | 'dead', Settlement> = {
      done: { id: 'msg_1', outcome: 'done' },
      dead: { id: 'msg_1', outcome: 'dead', error: 'Error: the last attempt failed' },
    };

    for (const state of ['done', 'dead'] as const) {
      it(`leaves a ${state} delivery as it is: a duplicate, every column unchanged, never claimed again`, async () => {
        const now = new Date();
        expect(await inbox.accept(firstCopy())).to.equal('stored');
        expect(ids(await inbox.claim({ owner: 'dispatcher-a', limit: 10, leaseMs: 60_000, now }))).to.deep.equal(['msg_1']);
        await inbox.settle('dispatcher-a', [{ id: 'msg_1', outcome: 'retry', error: 'Error: the first attempt failed', retryAt: now }]);
        expect(ids(await inbox.claim({ owner: 'dispatcher-a', limit: 10, leaseMs: 60_000, now }))).to.deep.equal(['msg_1']);
        await inbox.settle('dispatcher-a', [settlements[state]]);
        const before = await inbox.get('msg_1');
        expect(before).to.deep.include({ state, attempts: 2, traceContext: received });
        const failedBefore = await inbox.failedAttempts('msg_1');
        const countsBefore = await inbox.countByState();

        // With a claimer waiting for deliveries at intake, as a running dispatcher is.
        const handed: (ClaimedDelivery | undefined)[] = [];
        inbox.leaseAtIntake({ owner: 'dispatcher-b', leaseMs: 60_000, reserve: () => true, leased: (claimed) => handed.push(claimed) });
        expect(await inbox.accept(retry())).to.equal('duplicate');
        expect(await inbox.quarantine(retry(), [{ pointer: '/data', message: 'is required' }])).to.equal('duplicate');
        expect(await Promise.all([inbox.accept(retry()), inbox.accept(firstCopy())])).to.deep.equal(['duplicate', 'duplicate']);
        expect(handed).to.deep.equal([undefined, undefined, undefined]);

        expect(await inbox.get('msg_1')).to.deep.equal(before);
        expect(await inbox.failedAttempts('msg_1')).to.deep.equal(failedBefore);
        expect(await inbox.countByState()).to.deep.equal(countsBefore);
        expect(await inbox.lane('conversation:c1')).to.equal(undefined);
        expect(await inbox.lane('conversation:c2')).to.equal(undefined);
        // A delivery after the retry, in its lane, is the only one a claim finds.
        expect(await inbox.accept(delivery('msg_2', { conversation: 'c1', second: 2 }))).to.equal('stored');
        expect(
          ids([
            ...handed.filter((claimed) => claimed !== undefined),
            ...(await inbox.claim({ owner: 'dispatcher-c', limit: 10, leaseMs: 60_000, now })),
          ]),
        ).to.deep.equal(['msg_2']);
        expect(await inbox.get('msg_1')).to.deep.equal(before);
      });
    }
  });
}
