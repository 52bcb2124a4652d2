// Crash safety under load: the receiver (dispatcher on, a handler that journals its runs) is
// killed with SIGKILL at random moments while signed deliveries keep arriving, and restarted on
// the same SQLite file, CRASH_ROUNDS times (default 10). The senders behave like Svix: a delivery
// that got no 200 is sent again, re-signed, with the same id. Every acknowledged delivery must be
// stored once and end done; handler runs repeated by the crashes are counted and reported.
// The kill times come from a seed, printed with the figures: CRASH_SEED=<seed> runs the same ones.
// It runs twice: with the inbox in clear, and encrypted (INBOX_ENCRYPTION_KEY), where each end
// user's data key is made by the first delivery that names them, often at a kill.
import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../support/eventually.ts';
import { startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, post, signedHeaders, testSecret } from '../support/receiver.ts';

const rounds = Number(process.env['CRASH_ROUNDS'] ?? 10);
const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 2 ** 31);
const replicaPath = new URL('scenarios/replica.ts', import.meta.url).pathname;
const encryptionKey = createHash('sha256').update('crash safety').digest('base64');

for (const encrypted of [false, true])
  describe(`crash safety under load, the inbox ${encrypted ? 'encrypted' : 'in clear'}`, function () {
    this.timeout(300_000);
    const temporaryDirectory = useTemporaryDirectory('ada-crash-');

    it(`keeps every acknowledged delivery through ${rounds} SIGKILLs under load, and handles each at least once`, async () => {
      const databasePath = join(temporaryDirectory(), 'inbox.sqlite');
      const journalPath = join(temporaryDirectory(), 'journal.ndjson');
      const start = () =>
        // A short handler timeout: the leases of a killed process (twice the timeout) run out soon.
        startReceiverProcess(
          temporaryDirectory(),
          {
            ADA_WEBHOOK_SECRET: testSecret,
            DATABASE_URL: `sqlite:${databasePath}`,
            REPLICA_JOURNAL: journalPath,
            HANDLER_TIMEOUT_SECONDS: '1',
            ...(encrypted ? { INBOX_ENCRYPTION_KEY: encryptionKey } : {}),
          },
          replicaPath,
        );

      /** Deliveries by id, each sent until it is acknowledged. */
      const bodies = new Map<string, string>();
      const acknowledged = new Set<string>();
      const waiting: string[] = [];
      let next = 0;
      const newDelivery = () => {
        const event = contractExample('ConversationMessageText');
        const sequence = next++;
        event['data'].conversation_id = `conversation-${sequence % 40}`;
        event['data'].end_user_id = `end-user-${sequence % 40}`;
        event['timestamp'] = new Date(Date.UTC(2026, 10, 27, 9) + sequence).toISOString();
        const id = `msg_crash_${sequence}`;
        bodies.set(id, JSON.stringify(event));
        return id;
      };

      let receiver: ReceiverProcess = await start();
      let sending = true;
      const sender = async () => {
        while (sending) {
          const id = waiting.shift() ?? newDelivery();
          const body = bodies.get(id)!;
          try {
            const answer = await post(receiver.url, body, signedHeaders(body, { id }));
            if (answer.status === 200) acknowledged.add(id);
            else waiting.push(id);
          } catch {
            waiting.push(id); // no answer: killed meanwhile; Svix would try again
            await sleep(20);
          }
        }
      };
      const senders = Promise.all(Array.from({ length: 8 }, sender));
      console.log(`      kill times from CRASH_SEED=${seed}`);
      for (const killAfterMs of fc.sample(fc.integer({ min: 300, max: 1500 }), { seed, numRuns: rounds })) {
        await sleep(killAfterMs);
        receiver.child.kill('SIGKILL');
        await receiver.exit;
        receiver = await start();
      }
      await sleep(500);
      sending = false;
      await senders;
      // What is still unanswered is sent once more, as Svix would, until every delivery is acknowledged.
      while (waiting.length > 0) {
        const id = waiting.shift()!;
        const answer = await post(receiver.url, bodies.get(id)!, signedHeaders(bodies.get(id)!, { id }));
        if (answer.status === 200) acknowledged.add(id);
        else waiting.push(id);
      }

      const states = () => {
        const db = new DatabaseSync(databasePath, { readOnly: true });
        try {
          return db.prepare('SELECT id, state, body FROM deliveries JOIN delivery_payloads USING (id)').all() as {
            id: string;
            state: string;
            body: string;
          }[];
        } finally {
          db.close();
        }
      };
      await eventually(() => states().filter(({ state }) => state === 'done').length >= acknowledged.size, 60_000);
      receiver.child.kill('SIGTERM');
      await receiver.exit;

      const rows = states();
      expect(rows.map(({ id }) => id).sort()).to.deep.equal([...acknowledged].sort());
      expect(rows.filter(({ state }) => state !== 'done')).to.deep.equal([]);
      const inClear = rows.filter(({ id, body }) => body === bodies.get(id)).length;
      expect(inClear, 'bodies kept in clear').to.equal(encrypted ? 0 : rows.length);

      const runs = readFileSync(journalPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { run: 'start' | 'end'; id: string });
      const starts = Map.groupBy(
        runs.filter(({ run }) => run === 'start'),
        ({ id }) => id,
      );
      const ended = new Set(runs.filter(({ run }) => run === 'end').map(({ id }) => id));
      expect(
        [...acknowledged].filter((id) => !ended.has(id)),
        'acknowledged deliveries whose handler never finished',
      ).to.deep.equal([]);
      const repeated = [...starts.values()].filter((runsOfId) => runsOfId.length > 1).length;
      console.log(
        `      ${acknowledged.size} deliveries acknowledged through ${rounds} SIGKILLs; ${repeated} handled more than once (at least once)`,
      );
    });
  });
