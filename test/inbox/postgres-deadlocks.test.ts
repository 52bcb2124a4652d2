// A write that PostgreSQL rolls back to break a deadlock is run again: a deadlock between two
// replicas' writes is PostgreSQL's way of letting one go first, not an outage, and the delivery it
// held is stored and answered 2xx. Here the test's own transaction closes the cycle on purpose:
// it holds the lane that the write wants, and then wants the row that the write holds.
import { expect } from 'chai';
import pg from 'pg';
import type { NewDelivery } from '../../src/inbox/inbox.ts';
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
     * Runs `write` while the other transaction holds the one lane; once the write waits for it,
     * the other runs `closeTheCycle` (which waits for the write) and is rolled back when that returns.
     */
    async function inADeadlock<T>(write: () => Promise<T>, closeTheCycle: string): Promise<T> {
      await other.query('BEGIN');
      const { rowCount } = await other.query(`SELECT * FROM ${schema}.lanes FOR UPDATE`);
      expect(rowCount, 'the lane held').to.equal(1);
      const writing = write();
      writing.catch(() => {});
      // pg_stat_activity's query may still name the connection's previous statement: ask who waits for this one.
      for (;;) {
        const { rows } = await other.query<{ waiting: number }>(
          `SELECT count(*)::integer AS waiting FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))`,
        );
        if (rows[0]!.waiting > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Returns once PostgreSQL has rolled the write back: what the write held is free.
      await other.query(closeTheCycle);
      await other.query('ROLLBACK');
      return writing;
    }

    it('stores a delivery whose intake PostgreSQL rolled back in a deadlock, and leaves its lane in order', async () => {
      const { inbox } = store;
      expect(await inbox.accept(delivery('msg_1', 1))).to.equal('stored');

      const stored = await inADeadlock(
        () => inbox.accept(delivery('msg_2', 2)),
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

    it('requeues a delivery whose requeue PostgreSQL rolled back in a deadlock', async () => {
      const { inbox } = store;
      expect(await inbox.accept(delivery('msg_1', 1))).to.equal('stored');
      await inbox.claim({ owner: 'worker', limit: 1, leaseMs: 60_000 });
      await inbox.settle('worker', [{ id: 'msg_1', outcome: 'done' }]);
      expect(await inbox.accept(delivery('msg_2', 2))).to.equal('stored');

      const requeued = await inADeadlock(
        () => inbox.requeue([{ id: 'msg_1' }]),
        `UPDATE ${schema}.deliveries SET last_error = 'the test' WHERE id = 'msg_1'`,
      );

      expect(requeued).to.equal(1);
      expect(await inbox.get('msg_1')).to.deep.include({ state: 'pending', attempts: 0 });
      const claimed = await inbox.claim({ owner: 'worker', limit: 8, leaseMs: 60_000 });
      expect(claimed.map(({ id }) => id)).to.deep.equal(['msg_1']);
    });
  });
}
