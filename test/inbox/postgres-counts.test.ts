// The counts by state on PostgreSQL never wait for a lock. They are kept by triggers in the
// transactions of every write, and a write that waited there for another transaction could close a
// cycle: an intake counts and then joins its lane, a settlement moves its lane on and then counts,
// so the two deadlocked on one lane and one count row, and PostgreSQL aborted one (a 503 for its
// deliveries). Here another transaction holds every count row while the inbox writes.
import { expect } from 'chai';
import pg from 'pg';
import type { NewDelivery } from '../../src/inbox/inbox.ts';
import { selected, type TestInbox } from '../support/inbox-backends.ts';
import { testDatabaseUrl } from '../support/postgres.ts';

function delivery(id: string): NewDelivery {
  const event = { type: 'v1.conversation.message', timestamp: '2026-12-07T01:00:00.000Z', data: { conversation_id: 'c1' } };
  return { id, receivedAt: new Date(), headers: { 'svix-id': id }, body: JSON.stringify(event), event };
}

// Skipped where TEST_INBOX_BACKENDS leaves PostgreSQL out (npm run test:fast).
for (const postgres of selected('PostgreSQL')) {
  describe('counts by state on PostgreSQL', () => {
    let store: TestInbox;
    let holder: pg.Client;
    let schema: string;
    beforeEach(async () => {
      store = await postgres.create();
      schema = store.options.databaseSchema!;
      holder = new pg.Client({ connectionString: testDatabaseUrl });
      await holder.connect();
    });
    afterEach(async () => {
      await holder.end();
      await store.destroy();
    });

    /** Runs `write` while `holder` holds every count row; rejects, saying so, if the write waits for one of them. */
    async function whileEveryCountIsHeld<T>(write: () => Promise<T>): Promise<T> {
      await holder.query('BEGIN');
      const { rowCount } = await holder.query(`SELECT * FROM ${schema}.state_counts FOR UPDATE`);
      expect(rowCount, 'count rows held').to.be.greaterThan(0);
      let written = false;
      const waiting = async () => {
        while (!written) {
          const { rows } = await holder.query<{ waiting: number }>(
            `SELECT count(*)::integer AS waiting FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
            [`%${schema}%`],
          );
          if (rows[0]!.waiting > 0) return 'waiting';
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return 'written';
      };
      const writing = write().finally(() => (written = true));
      const watching = waiting();
      try {
        const first = await Promise.race([writing.then(() => 'written'), watching]);
        expect(first, 'the write waited for a lock that another transaction holds').to.equal('written');
        return await writing;
      } finally {
        await watching;
        await holder.query('COMMIT');
        await writing.catch(() => {});
      }
    }

    it('takes a delivery in, settles it and counts both while another transaction holds every count row', async () => {
      const { inbox } = store;
      // Count rows of every state that the writes below change.
      expect(await inbox.accept(delivery('msg_1'))).to.equal('stored');
      const [first] = await inbox.claim({ owner: 'worker', limit: 1, leaseMs: 60_000 });
      await inbox.settle('worker', [{ id: first!.id, outcome: 'done' }]);

      expect(await whileEveryCountIsHeld(() => inbox.accept(delivery('msg_2')))).to.equal('stored');
      const [second] = await inbox.claim({ owner: 'worker', limit: 1, leaseMs: 60_000 });
      expect(second?.id).to.equal('msg_2');
      await whileEveryCountIsHeld(() => inbox.settle('worker', [{ id: 'msg_2', outcome: 'done' }]));

      const counts = await inbox.countByState();
      expect(counts).to.include({ pending: 0, done: 2 });
    });
  });
}
