// What exactly-once effects cost: a backlog of deliveries drained on PostgreSQL by a
// transactional handler that inserts one row (in the transaction that settles its delivery),
// against a plain handler that inserts the same row in a transaction of its own (autocommit on a
// pool of its own, as most handlers do), in alternating rounds, each on a schema of its own with
// the same backlog. Prints deliveries handled per second, this process's CPU beside them, and the
// machine's (PostgreSQL and whatever else runs share it).
//   npm run bench:transactional -- [--deliveries 5000] [--conversations 1000] [--rounds 3] [--concurrency 8] [--postgres URL]
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import type { NewDelivery } from '../../src/inbox/inbox.ts';
import { PostgresInbox } from '../../src/inbox/postgres/inbox.ts';
import { createReceiver, type Receiver } from '../../src/receiver.ts';
import { parseCommandLine } from '../commands/command-line.ts';
import { conversationIds, median, messageTemplate } from './load.ts';
import { defaultPostgresUrl, withTemporaryDatabase } from './postgres.ts';
import { pendingDeliveries } from './seed.ts';

const usage = `Usage: npm run bench:transactional -- [options]

  --deliveries N     deliveries in each backlog (default 5000)
  --conversations N  conversations they go to in turn (default 1000)
  --rounds N         rounds of each side (default 3)
  --concurrency N    the dispatcher's concurrency; the inbox's pool is 4 larger (default 8)
  --postgres URL     the PostgreSQL server (a database is created there and dropped;
                     default TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  -h, --help         this text`;
const { values, count } = parseCommandLine('bench:transactional', usage, {
  deliveries: { type: 'string', default: '5000' },
  conversations: { type: 'string', default: '1000' },
  rounds: { type: 'string', default: '3' },
  concurrency: { type: 'string', default: '8' },
  postgres: { type: 'string', default: defaultPostgresUrl },
});
const deliveries = count('deliveries', values.deliveries);
const rounds = count('rounds', values.rounds);
const concurrency = count('concurrency', values.concurrency);
const traffic = {
  template: messageTemplate(1024),
  conversations: conversationIds('bench-tx', count('conversations', values.conversations)),
};

type SideName = 'transactional' | 'plain';
interface Round {
  perSecond: number;
  /** This process's CPU, in cores. */
  processCores: number;
  /** The machine's CPU in use, of every core. */
  machineBusy: number;
}

/** Busy and total jiffies of every core, from /proc/stat. */
function machineTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = fields[3]! + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Registers the side's handler: both insert one row of the delivery into the user's table. */
function register(receiver: Receiver, side: SideName, table: string, plainPool: pg.Pool): void {
  const insert = `INSERT INTO ${table} (delivery_id, attempt) VALUES ($1, $2)`;
  if (side === 'transactional') {
    receiver.on(
      'v1.conversation.message',
      async (_event, { transaction, deliveryId, attempt }) => void (await transaction.query(insert, [deliveryId, attempt])),
      { transactional: true },
    );
  } else {
    receiver.on(
      'v1.conversation.message',
      async (_event, { deliveryId, attempt }) => void (await plainPool.query(insert, [deliveryId, attempt])),
    );
  }
}

/** The backlog, through the inbox's own intake, before the receiver that drains it opens. */
async function seed(url: string, schema: string, backlog: NewDelivery[]): Promise<void> {
  const inbox = await PostgresInbox.open({ connectionString: url, schema, poolSize: 8, connectTimeoutMs: 10_000, queryTimeoutMs: 60_000 });
  try {
    for (let index = 0; index < backlog.length; index += 500)
      await Promise.all(backlog.slice(index, index + 500).map((delivery) => inbox.accept(delivery)));
  } finally {
    await inbox.close();
  }
}

async function drain(url: string, side: SideName, round: number): Promise<Round> {
  const schema = `bench_${side}_${round}`;
  const table = `${schema}.effects`;
  await seed(url, schema, pendingDeliveries(traffic, deliveries, `${side}_${round}`));
  const receiver = await createReceiver({
    database: url,
    databaseSchema: schema,
    databasePoolSize: concurrency + 4,
    concurrency,
    logger: pino({ level: 'error' }),
  });
  const plainPool = new pg.Pool({ connectionString: url, max: concurrency });
  // A connection that end() closed may not have been let go by its server process yet when the
  // database is dropped (on a busy machine): its termination notice comes too late to matter.
  plainPool.on('error', () => {});
  try {
    await plainPool.query(`CREATE TABLE ${table} (delivery_id text NOT NULL, attempt integer NOT NULL)`);
    register(receiver, side, table, plainPool);
    const cpuBefore = process.cpuUsage();
    const machineBefore = machineTimes();
    const started = performance.now();
    receiver.start();
    while ((await receiver.inbox.countByState()).pending > 0) await sleep(20);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const machineAfter = machineTimes();
    const { rows } = await plainPool.query<{ rows: number }>(`SELECT count(*)::integer AS rows FROM ${table}`);
    if (rows[0]!.rows < deliveries) throw new Error(`${side}: ${rows[0]!.rows} rows for ${deliveries} deliveries`);
    return {
      perSecond: deliveries / seconds,
      processCores: (cpu.user + cpu.system) / 1e6 / seconds,
      machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
    };
  } finally {
    await receiver.close();
    await plainPool.end();
  }
}

await withTemporaryDatabase(values.postgres, async (url) => {
  const results: Record<SideName, Round[]> = { transactional: [], plain: [] };
  console.log(
    `draining ${deliveries} deliveries over ${traffic.conversations.length} conversations, concurrency ${concurrency}, ${rounds} rounds`,
  );
  for (let round = 0; round < rounds; round += 1) {
    // Alternating which side goes first, so that neither always meets a warmer server.
    const order: SideName[] = round % 2 === 0 ? ['transactional', 'plain'] : ['plain', 'transactional'];
    for (const side of order) {
      const figures = await drain(url, side, round);
      results[side].push(figures);
      console.log(
        `  round ${round + 1} ${side.padEnd(13)} ${Math.round(figures.perSecond)}/s  this process ${figures.processCores.toFixed(2)} cores ` +
          `(${((figures.processCores / figures.perSecond) * 1000).toFixed(2)} ms of CPU a delivery), machine ${Math.round(figures.machineBusy * 100)}% busy`,
      );
    }
  }
  const medianOf = (side: SideName, figure: (round: Round) => number) => median(results[side].map(figure));
  const summary = (side: SideName) => {
    const perSecond = medianOf(side, ({ perSecond: value }) => value);
    const cpu = medianOf(side, ({ processCores, perSecond: rate }) => (processCores / rate) * 1000);
    return {
      perSecond,
      text: `${side} ${Math.round(perSecond)}/s, ${(1000 / perSecond).toFixed(2)} ms a delivery, ${cpu.toFixed(2)} ms of CPU here`,
    };
  };
  const [transactional, plain] = [summary('transactional'), summary('plain')];
  console.log(
    `median: ${transactional.text}; ${plain.text}; transactional / plain ${(transactional.perSecond / plain.perSecond).toFixed(2)}`,
  );
});
