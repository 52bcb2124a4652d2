// Transactional handlers in real processes on the real PostgreSQL, killed with SIGKILL or stopped
// with SIGSTOP at the moments that matter: before the handler's transaction commits, right after,
// while it is open, and at seeded random moments under load, beside a plain handler doing the
// same insert (scenarios/transactional-handlers.ts). The user's tables have no unique key on the
// delivery id: a second run that committed shows as a second row.
import { expect } from 'chai';
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../support/eventually.ts';
import { onTestDatabase, temporarySchema, testDatabaseUrl } from '../support/postgres.ts';
import { startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, deliver, post, signedHeaders, testSecret } from '../support/receiver.ts';
import { startOtlpReceiver, tracingEnvironment } from '../support/otlp-receiver.ts';

const scenarioPath = new URL('scenarios/transactional-handlers.ts', import.meta.url).pathname;
const rounds = Number(process.env['CRASH_ROUNDS'] ?? 6);
const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 2 ** 31);

let conversations = 0;
function event(name: 'ConversationMessageText' | 'ConversationCreated', sequence = (conversations += 1)) {
  const body = contractExample(name);
  body['data'].conversation_id = `conversation-${process.pid}-${sequence % 20}`;
  body['timestamp'] = new Date(Date.UTC(2026, 10, 27, 9) + sequence).toISOString();
  return body;
}

describe('transactional handlers in processes killed at the moments that matter (PostgreSQL)', function () {
  this.timeout(120_000);
  const temporaryDirectory = useTemporaryDirectory('ada-tx-');
  let schema: string;
  let dropSchema: () => Promise<void>;
  const running = new Set<ReceiverProcess>();

  beforeEach(async () => {
    ({ schema, drop: dropSchema } = await temporarySchema());
    await onTestDatabase((client) =>
      client.query(
        `CREATE SCHEMA ${schema};
         CREATE TABLE ${schema}.effects (delivery_id text NOT NULL, attempt integer NOT NULL);
         CREATE TABLE ${schema}.plain_effects (delivery_id text NOT NULL, attempt integer NOT NULL)`,
      ),
    );
  });
  afterEach(async () => {
    for (const receiver of running) {
      receiver.child.kill('SIGKILL');
      await receiver.exit;
    }
    running.clear();
    await dropSchema();
  });

  const start = async (env: Record<string, string> = {}) => {
    const receiver = await startReceiverProcess(
      temporaryDirectory(),
      {
        ADA_WEBHOOK_SECRET: testSecret,
        DATABASE_URL: testDatabaseUrl,
        DATABASE_SCHEMA: schema,
        EFFECTS_SCHEMA: schema,
        HANDLER_TIMEOUT_SECONDS: '1',
        HANDLER_RETRY_BASE_MS: '10',
        DISPATCHER_POLL_MS: '50',
        LOG_LEVEL: 'info',
        ...env,
      },
      scenarioPath,
    );
    running.add(receiver);
    void receiver.exit.then(() => running.delete(receiver));
    return receiver;
  };
  const kill = async (receiver: ReceiverProcess) => {
    receiver.child.kill('SIGKILL');
    await receiver.exit;
  };
  const loggedFor = (receiver: ReceiverProcess, id: string, message: string) =>
    eventually(() => receiver.logs().find((line) => line['deliveryId'] === id && line['msg'] === message), 20_000);
  const rowsOf = (table: 'effects' | 'plain_effects') =>
    onTestDatabase(async (client) => {
      const { rows } = await client.query<{ delivery_id: string; attempt: number }>(`SELECT delivery_id, attempt FROM ${schema}.${table}`);
      return rows;
    });
  const stateOf = (id: string) =>
    onTestDatabase(async (client) => {
      const { rows } = await client.query<{ state: string; attempts: number }>(
        `SELECT state, attempts FROM ${schema}.deliveries WHERE id = $1`,
        [id],
      );
      return rows[0];
    });
  /** The lease of a killed process runs out, as the clock would make it. */
  const leasesRunOut = () =>
    onTestDatabase((client) => client.query(`UPDATE ${schema}.lanes SET lease_until = 0 WHERE lease_until IS NOT NULL`));

  it('SIGKILL after the handler’s insert, before its commit: no row; the delivery runs again; one row in the end', async () => {
    const first = await start({ PAUSE_AFTER_INSERT: 'true', HANDLER_TIMEOUT_SECONDS: '30' });
    const { id, status } = await deliver(first.url, event('ConversationMessageText'));
    expect(status).to.equal(200);
    await loggedFor(first, id, 'inserted');
    await kill(first);

    expect(await rowsOf('effects')).to.deep.equal([]);
    expect(await stateOf(id)).to.deep.equal({ state: 'pending', attempts: 1 });
    await leasesRunOut();
    const second = await start();
    await loggedFor(second, id, 'handled');
    expect(await rowsOf('effects')).to.deep.equal([{ delivery_id: id, attempt: 2 }]);
    expect(await stateOf(id)).to.deep.equal({ state: 'done', attempts: 2 });
  });

  it('SIGKILL right after the commit: the delivery is done, its handler never runs again, one row', async () => {
    const first = await start();
    const { id } = await deliver(first.url, event('ConversationMessageText'));
    await loggedFor(first, id, 'handled');
    await kill(first);

    await leasesRunOut();
    const second = await start();
    // A later delivery handled by the new process: it has claimed what there was to claim.
    const { id: later } = await deliver(second.url, event('ConversationMessageText'));
    await loggedFor(second, later, 'handled');
    await sleep(200);
    expect(second.logs().filter((line) => line['deliveryId'] === id && line['msg'] === 'inserted')).to.deep.equal([]);
    expect((await rowsOf('effects')).filter(({ delivery_id }) => delivery_id === id)).to.deep.equal([{ delivery_id: id, attempt: 1 }]);
    expect(await stateOf(id)).to.deep.equal({ state: 'done', attempts: 1 });
  });

  it('a process stopped inside its transaction: the server ends the transaction, no session stays idle in it, the delivery runs again', async () => {
    const first = await start();
    const { id } = await deliver(first.url, event('ConversationMessageText'));
    const inserted = await loggedFor(first, id, 'inserted');
    first.child.kill('SIGSTOP');
    const backendPid = inserted['backendPid'] as number;
    const sessionState = () =>
      onTestDatabase(async (client) => {
        const { rows } = await client.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [backendPid]);
        return rows[0]?.state;
      });
    // The stopped process can neither commit nor roll back: only the server's bound (handler
    // timeout 1 s + the margin) ends its session, which would otherwise stay idle in its
    // transaction until the process is killed below. (Not polled for 'idle in transaction' first:
    // on a loaded machine the bound can end it before the first poll.)
    await eventually(async () => (await sessionState()) === undefined, 20_000);
    expect(await rowsOf('effects')).to.deep.equal([]);

    await kill(first);
    await leasesRunOut();
    const second = await start();
    await loggedFor(second, id, 'handled');
    expect(await rowsOf('effects')).to.deep.equal([{ delivery_id: id, attempt: 2 }]);
  });

  it('says on each process span how its transaction ended: rolled back, then committed', async () => {
    const collector = await startOtlpReceiver();
    try {
      const receiver = await start({ ...tracingEnvironment(collector), FAIL_FIRST_ATTEMPT: 'true' });
      const { id } = await deliver(receiver.url, event('ConversationMessageText'));
      const processSpans = () =>
        collector.spans.filter((span) => span.name.startsWith('process') && span.attributes['messaging.message.id'] === id);
      await eventually(() => processSpans().length === 2, 20_000);
      const byAttempt = processSpans()
        .map(({ attributes }) => ({
          attempt: attributes['ada_webhooks.attempt'],
          outcome: attributes['ada_webhooks.outcome'],
          transaction: attributes['ada_webhooks.transaction'],
        }))
        .sort((a, b) => Number(a.attempt) - Number(b.attempt));
      expect(byAttempt).to.deep.equal([
        { attempt: 1, outcome: 'retry', transaction: 'rolled_back' },
        { attempt: 2, outcome: 'done', transaction: 'committed' },
      ]);
      expect(await rowsOf('effects')).to.deep.equal([{ delivery_id: id, attempt: 2 }]);
    } finally {
      await collector.close();
    }
  });

  it(`under load through ${rounds} SIGKILLs: one row per acknowledged delivery for the transactional handler, duplicates for the plain one`, async () => {
    const bodies = new Map<string, string>();
    const transactionalIds = new Set<string>();
    const acknowledged = new Set<string>();
    const waiting: string[] = [];
    let next = 0;
    const newDelivery = () => {
      const sequence = next++;
      const transactional = sequence % 2 === 0;
      const id = `msg_tx_${sequence}`;
      bodies.set(id, JSON.stringify(event(transactional ? 'ConversationMessageText' : 'ConversationCreated', sequence)));
      if (transactional) transactionalIds.add(id);
      return id;
    };
    // Each handler works 100 ms after its write, as one that calls an API then: every kill finds
    // some plain handlers between their commit and their delivery's record.
    const environment = { HANDLER_WORK_MS: '100' };
    let receiver = await start(environment);
    let sending = true;
    const send = async (id: string) => {
      const body = bodies.get(id)!;
      try {
        const answer = await post(receiver.url, body, signedHeaders(body, { id }));
        if (answer.status === 200) acknowledged.add(id);
        else waiting.push(id);
      } catch {
        waiting.push(id); // no answer: killed meanwhile; Svix would try again
        await sleep(20);
      }
    };
    const sender = async () => {
      while (sending) await send(waiting.shift() ?? newDelivery());
    };
    const senders = Promise.all(Array.from({ length: 6 }, sender));
    console.log(`      kill times from CRASH_SEED=${seed}`);
    for (const killAfterMs of fc.sample(fc.integer({ min: 300, max: 1200 }), { seed, numRuns: rounds })) {
      await sleep(killAfterMs);
      await kill(receiver);
      receiver = await start(environment);
    }
    sending = false;
    await senders;
    while (waiting.length > 0) await send(waiting.shift()!);

    const states = () =>
      onTestDatabase(
        async (client) => (await client.query<{ id: string; state: string }>(`SELECT id, state FROM ${schema}.deliveries`)).rows,
      );
    await eventually(async () => (await states()).filter(({ state }) => state === 'done').length >= acknowledged.size, 60_000);
    expect((await states()).filter(({ state }) => state !== 'done')).to.deep.equal([]);

    const countsOf = (rows: { delivery_id: string }[]) => Map.groupBy(rows, ({ delivery_id }) => delivery_id);
    const transactionalRows = countsOf(await rowsOf('effects'));
    const plainRows = countsOf(await rowsOf('plain_effects'));
    const transactionalAcknowledged = [...acknowledged].filter((id) => transactionalIds.has(id));
    const plainAcknowledged = [...acknowledged].filter((id) => !transactionalIds.has(id));
    const plainDuplicates = plainAcknowledged.filter((id) => (plainRows.get(id)?.length ?? 0) > 1).length;
    console.log(
      `      ${acknowledged.size} deliveries acknowledged through ${rounds} SIGKILLs: ${transactionalAcknowledged.length} transactional, ` +
        `${plainAcknowledged.length} plain, of which ${plainDuplicates} wrote their row more than once`,
    );
    expect(
      transactionalAcknowledged.filter((id) => transactionalRows.get(id)?.length !== 1),
      'transactional deliveries without exactly one row',
    ).to.deep.equal([]);
    expect(
      plainAcknowledged.filter((id) => !plainRows.has(id)),
      'plain deliveries without a row',
    ).to.deep.equal([]);
    expect(plainDuplicates, 'plain deliveries that wrote twice: the contrast').to.be.greaterThan(0);
  });
});
