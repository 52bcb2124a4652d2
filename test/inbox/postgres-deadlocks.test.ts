// A write that PostgreSQL rolls back to break a deadlock is run again: a deadlock between two
// replicas' writes is PostgreSQL's way of letting one go first, not an outage, and the delivery it
// held is stored and answered 2xx. Here the test's own transaction closes the cycle on purpose:
// it holds the lane that the write wants, and then wants the row that the write holds. A requeue
// locks as claims and settlements do, so that it closes no such cycle with them.
import { expect } from 'chai';
import pg from 'pg';
import type { NewDelivery } from '../../src/inbox/inbox.ts';
import { prepareAll } from '../../src/inbox/postgres/prepared.ts';
import { selected, type TestInbox } from '../support/inbox-backends.ts';
import { testDatabaseUrl } from '../support/postgres.ts';

function delivery(id: string, minute: number): NewDelivery {
  const event = { type: 'v1.conversation.message', timestamp: `2026-12-07T01:0${minute}:00.000Z`, data: { conversation_id: 'c1' } };
  return { id, receivedAt: new Date(), headers: { 'svix-id': id }, body: JSON.stringify(event), event };
}

// Skipped where TEST_INBOX_BACKENDS leaves PostgreSQL out (npm run test:fast).
for (const postgres of selected('PostgreSQL')) {
  describe('writes that meet in a deadlock on PostgreSQL', function () {
    this.timeout(20_000);
    let store: TestInbox;
    let other: pg.Client;
    let schema: string;
    beforeEach(async () => {
      store = await postgres.create();
      schema = store.options.databaseSchema!;
      other = new pg.Client({ connectionString: testDatabaseUrl });
      await other.connect();
      // The inbox's side, which waited first, is the one that finds the deadlock and is rolled back.
      await other.query(`SET deadlock_timeout = '15s'`);
    });
    afterEach(async () => {
      await other.end();
      await store.destroy();
    });

    /**
     * Runs `write` while the other transaction holds what `hold` locks; once the write waits for it,
     * the other runs `then` (to close a cycle: it waits for the write) and is rolled back when that returns.
     */
    async function whileHolding<T>(write: () => Promise<T>, hold: string, then: string): Promise<T> {
      await other.query('BEGIN');
      const { rowCount } = await other.query(hold);
      expect(rowCount, 'rows held').to.be.greaterThan(0);
      const writing = write();
      writing.catch(() => {});
      // pg_locks, unlike pg_stat_activity, is not a snapshot taken once per transaction.
      for (;;) {
        const { rows } = await other.query<{ waiting: number }>(
          `SELECT count(*)::integer AS waiting FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))`,
        );
        if (rows[0]!.waiting > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // In a cycle, returns once PostgreSQL has rolled the write back: what the write held is free.
      await other.query(then);
      await other.query('ROLLBACK');
      return writing;
    }
    const theLane = () => `SELECT * FROM ${schema}.lanes FOR UPDATE`;

    it('stores a delivery whose intake PostgreSQL rolled back in a deadlock, and leaves its lane in order', async () => {
      const { inbox } = store;
      expect(await inbox.accept(delivery('msg_1', 1))).to.equal('stored');

      const stored = await whileHolding(
        () => inbox.accept(delivery('msg_2', 2)),
        theLane(),
        `INSERT INTO ${schema}.deliveries (id, state, received_at, headers, body, lane, event_time)
         VALUES ('msg_2', 'done', now(), '{}', '', 'elsewhere', 0)`,
      );

      expect(stored).to.equal('stored');
      const claimed = await inbox.claim({ owner: 'worker', limit: 8, leaseMs: 60_000 });
      expect(claimed.map(({ id }) => id)).to.deep.equal(['msg_1']);
      await inbox.settle('worker', [{ id: 'msg_1', outcome: 'done' }]);
      const next = await inbox.claim({ owner: 'worker', limit: 8, leaseMs: 60_000 });
      expect(next.map(({ id }) => id)).to.deep.equal(['msg_2']);
    });

    it('requeues without holding a delivery while it waits for its lane, as claims and settlements lock', async () => {
      const { inbox } = store;
      expect(await inbox.accept(delivery('msg_1', 1))).to.equal('stored');
      await inbox.claim({ owner: 'worker', limit: 1, leaseMs: 60_000 });
      await inbox.settle('worker', [{ id: 'msg_1', outcome: 'done' }]);
      expect(await inbox.accept(delivery('msg_2', 2))).to.equal('stored');

      // NOWAIT fails (55P03) if the requeue holds msg_1 while it waits for the lane.
      const requeued = await whileHolding(
        () => inbox.requeue([{ id: 'msg_1' }]),
        theLane(),
        `SELECT id FROM ${schema}.deliveries WHERE id = 'msg_1' FOR UPDATE NOWAIT`,
      );

      expect(requeued).to.equal(1);
      expect(await inbox.get('msg_1')).to.deep.include({ state: 'pending', attempts: 0 });
      const claimed = await inbox.claim({ owner: 'worker', limit: 8, leaseMs: 60_000 });
      expect(claimed.map(({ id }) => id)).to.deep.equal(['msg_1']);
    });

    describe('a statement of its own, run again', () => {
      let pool: pg.Pool;
      beforeEach(async () => {
        pool = new pg.Pool({ connectionString: testDatabaseUrl, max: 2 });
        await pool.query(`CREATE TABLE ${schema}.pair (k integer PRIMARY KEY, v double precision)`);
        await pool.query(`INSERT INTO ${schema}.pair VALUES (1, 0), (2, 0)`);
      });
      afterEach(() => pool.end());

      // Locks row 1, then row 2 (the order of the table), while the other holds row 2 and then wants row 1.
      const updateBoth = (withinMs: number, seen: number[]) =>
        prepareAll(pool, schema, { both: `UPDATE ${schema}.pair SET v = $1 WHERE k IN (1, 2)` }, withinMs).both((lateMs) => {
          seen.push(lateMs);
          return [lateMs];
        });
      const holdRow2 = () => `UPDATE ${schema}.pair SET v = -1 WHERE k = 2`;
      const wantRow1 = () => `UPDATE ${schema}.pair SET v = -1 WHERE k = 1`;

      it('makes its values again from how late it starts, as a lease that starts later ends later', async () => {
        const seen: number[] = [];
        await whileHolding(() => updateBoth(10_000, seen), holdRow2(), wantRow1());
        expect(seen).to.have.length(2);
        expect(seen[0]).to.equal(0);
        // At least the deadlock_timeout (1 s) that PostgreSQL waited before it broke the cycle.
        expect(seen[1]).to.be.greaterThan(900);
        const { rows } = await pool.query<{ v: number }>(`SELECT DISTINCT v FROM ${schema}.pair`);
        expect(rows).to.deep.equal([{ v: seen[1] }]);
      });

      it('is not run again once the query timeout would have passed: the sender hears of the deadlock', async () => {
        const seen: number[] = [];
        const error = await whileHolding(() => updateBoth(500, seen).catch((failure: unknown) => failure), holdRow2(), wantRow1());
        expect(error).to.have.property('code', '40P01');
        expect(seen).to.deep.equal([0]);
      });
    });
  });
}
