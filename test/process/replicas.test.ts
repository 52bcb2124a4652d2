// Several receiver replicas, each a real process with its dispatcher, on one PostgreSQL inbox.
// The test plays the load balancer: it spreads signed deliveries over the replicas, and sends
// some deliveries twice at the same moment to two replicas, as Svix retries can.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { eventually } from '../support/eventually.ts';
import { startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { onTestDatabase, temporaryDatabase } from '../support/postgres.ts';
import { contractExample, post, signedHeaders, testSecret, type Answer } from '../support/receiver.ts';

const replicaPath = new URL('scenarios/replica.ts', import.meta.url).pathname;

interface Run {
  run: 'start' | 'end';
  id: string;
  conversation: string;
  pid: number;
  at: string;
}

/** A signed message of one conversation; `sequence` orders the conversation's messages in time. */
function message(conversation: number, sequence: number) {
  const event = contractExample('ConversationMessageText');
  event['data'].conversation_id = `conversation-${conversation}`;
  event['data'].message_id = `message-${conversation}-${sequence}`;
  event['timestamp'] = new Date(Date.UTC(2026, 10, 24, 9) + sequence * 1000).toISOString();
  const body = JSON.stringify(event);
  const headers = signedHeaders(body);
  return { id: headers['svix-id']!, body, headers };
}

describe('replicas on one PostgreSQL inbox', function () {
  this.timeout(180_000);
  const temporaryDirectory = useTemporaryDirectory('ada-replicas-');
  let database: Awaited<ReturnType<typeof temporaryDatabase>>;
  let replicas: ReceiverProcess[] = [];
  let journalPath: string;

  beforeEach(async () => {
    database = await temporaryDatabase();
    journalPath = join(temporaryDirectory(), 'journal.ndjson');
  });
  afterEach(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exit));
    replicas = [];
    await database.drop();
  });

  /** Starts replicas at once: they migrate the new database's schema together. */
  const startReplicas = (count: number, env: Record<string, string> = {}) =>
    Promise.all(
      Array.from({ length: count }, () =>
        startReceiverProcess(
          temporaryDirectory(),
          { DATABASE_URL: database.url, ADA_WEBHOOK_SECRET: testSecret, REPLICA_JOURNAL: journalPath, ...env },
          replicaPath,
        ),
      ),
    );

  const journal = (): Run[] =>
    readFileSync(journalPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Run);

  /** Runs a query on the replicas' database. */
  async function query<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<Row>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  it('stores every delivery once, handles it once, and never runs two of one conversation at a time across replicas', async () => {
    replicas = await startReplicas(3);
    const total = 5000;
    const answers = new Map<string, Answer[]>();
    let next = 0;
    const sender = async () => {
      for (let index = next++; index < total; index = next++) {
        const { id, body, headers } = message(index % 200, Math.floor(index / 200));
        const targets = index % 5 === 0 ? [index % 3, (index + 1) % 3] : [index % 3];
        answers.set(id, await Promise.all(targets.map((target) => post(replicas[target]!.url, body, headers))));
      }
    };
    await Promise.all(Array.from({ length: 24 }, sender));

    const statuses = [...answers.values()].flat().map(({ status }) => status);
    expect(
      statuses.filter((status) => status !== 200),
      'answers other than 200',
    ).to.deep.equal([]);
    for (const [id, copies] of answers) {
      expect(
        copies.filter(({ body }) => body.status === 'accepted'),
        `copies of ${id} stored`,
      ).to.have.length(1);
    }

    const done = async () =>
      Number((await query<{ count: string }>(`SELECT count(*) FROM ada_webhooks.deliveries WHERE state = 'done'`))[0]!.count);
    await eventually(async () => (await done()) === total, 60_000);
    const rows = await query<{ id: string }>('SELECT id FROM ada_webhooks.deliveries');
    expect(rows.map(({ id }) => id).sort()).to.deep.equal([...answers.keys()].sort());

    const runs = journal();
    const starts = Map.groupBy(
      runs.filter(({ run }) => run === 'start'),
      ({ id }) => id,
    );
    expect(starts.size).to.equal(total);
    expect(
      [...starts.values()].filter((runsOfId) => runsOfId.length > 1),
      'deliveries handled more than once',
    ).to.deep.equal([]);
    expect(new Set(runs.map(({ pid }) => pid)).size, 'replicas that ran handlers').to.equal(3);

    // Each conversation's runs, in the order they started: each ends before the next starts.
    const ends = new Map(runs.filter(({ run }) => run === 'end').map(({ id, at }) => [id, BigInt(at)]));
    const overlaps: string[] = [];
    for (const [conversation, started] of Map.groupBy(
      starts.values().map(([run]) => run!),
      ({ conversation }) => conversation,
    )) {
      started.sort((a, b) => (BigInt(a.at) < BigInt(b.at) ? -1 : 1));
      for (let index = 1; index < started.length; index += 1) {
        const previous = started[index - 1]!;
        if (BigInt(started[index]!.at) < ends.get(previous.id)!)
          overlaps.push(`${conversation}: ${previous.id} (pid ${previous.pid}) and ${started[index]!.id} (pid ${started[index]!.pid})`);
      }
    }
    expect(overlaps, 'runs of one conversation at the same time').to.deep.equal([]);
  });

  it('answers 503 while PostgreSQL is unreachable, acknowledges nothing it did not store, and recovers by itself', async () => {
    // A short handler timeout: leases of settlements lost in the outage run out quickly.
    replicas = await startReplicas(3, { HANDLER_TIMEOUT_SECONDS: '1', DATABASE_CONNECT_TIMEOUT_SECONDS: '1' });
    const outcomes = new Map<string, { status: number; retryAfter: string | null }>();
    let sending = true;
    let sent = 0;
    const sender = async () => {
      while (sending) {
        const index = sent++;
        const { id, body, headers } = message(index % 50, index);
        try {
          const answer = await post(replicas[index % 3]!.url, body, headers);
          outcomes.set(id, { status: answer.status, retryAfter: answer.headers.get('retry-after') });
        } catch {
          outcomes.set(id, { status: 0, retryAfter: null }); // no answer: not acknowledged, Svix would retry
        }
      }
    };
    const senders = Promise.all(Array.from({ length: 12 }, sender));
    const acknowledged = () => [...outcomes].filter(([, { status }]) => status === 200).map(([id]) => id);
    try {
      await eventually(() => acknowledged().length >= 300, 30_000);

      // The outage: PostgreSQL refuses new connections to the database, and the open ones are cut.
      await onTestDatabase(async (client) => {
        await client.query(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database.name]);
      });
      const readiness = () => Promise.all(replicas.map(async ({ url }) => (await fetch(`${url}/readyz`)).status));
      await eventually(async () => (await readiness()).every((status) => status === 503), 10_000);
      const { id, body, headers } = message(999, 0);
      const refused = await post(replicas[0]!.url, body, headers);
      expect(refused.status).to.equal(503);
      expect(refused.headers.get('retry-after')).to.equal('5');
      outcomes.set(id, { status: refused.status, retryAfter: refused.headers.get('retry-after') });
      await sleep(1000);

      await onTestDatabase((client) => client.query(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`));
      await eventually(async () => (await readiness()).every((status) => status === 200), 20_000);
      const acknowledgedBefore = acknowledged().length;
      await eventually(() => acknowledged().length > acknowledgedBefore + 300, 20_000);
    } finally {
      sending = false;
      await senders;
    }
    expect(
      replicas.map(({ child }) => child.exitCode),
      'replicas that exited',
    ).to.deep.equal([null, null, null]);
    // Each replica said once that the inbox was lost, and once that it was back.
    for (const { logs } of replicas) {
      const availability = logs().filter(({ msg }) => String(msg).startsWith('the inbox '));
      expect(availability.map(({ level }) => level)).to.deep.equal([40, 30]);
      expect(availability[0]!['storeError']).to.be.a('string').and.not.equal('');
    }

    const unavailable = [...outcomes.values()].filter(({ status }) => status === 503);
    expect(unavailable.length, 'deliveries answered 503 during the outage').to.be.greaterThan(0);
    expect(unavailable.filter(({ retryAfter }) => retryAfter !== '5')).to.deep.equal([]);
    // One error line for each delivery refused, saying why.
    const refusedIds = [...outcomes].filter(([, { status }]) => status === 503).map(([id]) => id);
    const errorLines = replicas.flatMap(({ logs }) => logs()).filter(({ msg, level }) => msg === 'delivery' && (level as number) >= 50);
    expect(errorLines.map(({ deliveryId }) => deliveryId).sort()).to.deep.equal(refusedIds.sort());
    for (const line of errorLines)
      expect(line).to.include({ outcome: 'unavailable', status: 503 }).and.to.have.property('storeError').that.is.a('string');
    const ids = acknowledged();
    const stored = await query<{ id: string }>('SELECT id FROM ada_webhooks.deliveries WHERE id = ANY($1)', [ids]);
    expect(ids.length - stored.length, 'deliveries acknowledged but not stored').to.equal(0);

    const handled = async () =>
      Number(
        (await query<{ count: string }>(`SELECT count(*) FROM ada_webhooks.deliveries WHERE id = ANY($1) AND state = 'done'`, [ids]))[0]!
          .count,
      );
    await eventually(async () => (await handled()) === ids.length, 60_000);
  });
});
