// How long the inspector takes to answer on a large inbox: the service as users run it
// (src/main.ts, INSPECTOR_TOKEN set) over HTTP, a page of the list under each filter and a
// delivery-id search, against the same requests on an empty inbox and GET /healthz in the same
// run; on SQLite, then on PostgreSQL. Then what the list's indexes cost intake on SQLite: the
// inbox's own writes for a stream of deliveries, with and without them.
//   npm run bench:inspector -- [--rows 1000000] [--runs 30] [--postgres URL | --no-postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseCommandLine } from '../commands/command-line.ts';
import pg from 'pg';
import { conversationIds, median, messageTemplate, nextBody } from './load.ts';
import { defaultPostgresUrl, withTemporaryDatabase } from './postgres.ts';
import { openDatabase, transaction } from '../../src/inbox/sqlite/database.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { newRow } from '../../src/inbox/sqlite/intake.ts';
import { SqliteWrites } from '../../src/inbox/sqlite/writes.ts';
import { pendingDeliveries, seedDone } from './seed.ts';
import { startReceiver, type Server } from './servers.ts';

const usage = `Usage: npm run bench:inspector -- [options]

  --rows N        deliveries in the large inbox (default 1000000)
  --runs N        requests of each kind (default 30)
  --postgres URL  the PostgreSQL server for its figures (a database is created there and dropped;
                  default TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  --no-postgres   skip the PostgreSQL figures
  -h, --help      this text`;
const { values, count } = parseCommandLine('bench:inspector', usage, {
  rows: { type: 'string', default: '1000000' },
  runs: { type: 'string', default: '30' },
  postgres: { type: 'string', default: defaultPostgresUrl },
  'no-postgres': { type: 'boolean', default: false },
});
const rows = count('rows', values.rows);
const runs = count('runs', values.runs);
const token = 'a-token-only-for-the-inspector-benchmark-0123';

const workDirectory = mkdtempSync(join(tmpdir(), 'ada-bench-inspector-'));
const traffic = { template: messageTemplate(1024), conversations: conversationIds('conversation', 1000) };

/** Median and slowest of `runs` GETs of `path`, in ms; fails on anything but 200. */
async function timeGet(server: Server, path: string): Promise<{ median: number; max: number }> {
  const timings: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    timings.push(performance.now() - started);
  }
  return { median: median(timings), max: Math.max(...timings) };
}

const middle = `msg_done_${Math.floor(rows / 2)}`;
/** The requests timed, each by name; the seeded rows are received a millisecond apart, ending now. */
const requests = (): [string, string][] => {
  const now = Date.now();
  const middlePosition = `${new Date(now - rows / 2).toISOString()}_${middle}`;
  return [
    ['GET /healthz (the HTTP floor)', '/healthz'],
    ['the first page, no filter', '/inspector'],
    ['a delivery-id search', `/inspector?id=${middle}`],
    ['a page from the middle of the inbox', `/inspector?after=${encodeURIComponent(middlePosition)}`],
    ['state = done', '/inspector?state=done'],
    ['state = dead (1 row in 10,000)', '/inspector?state=dead'],
    ['one conversation', '/inspector?conversation=17'],
    ['event type', '/inspector?type=v1.conversation.message'],
    ['an event type that no row has', '/inspector?type=v1.conversation.rated'],
    ['received before the oldest', `/inspector?until=${encodeURIComponent(new Date(now - rows - 60_000).toISOString())}`],
    ['the delivery page', `/inspector/delivery?id=${middle}`],
  ];
};

async function timeRequests(store: string, empty: Server, full: Server): Promise<void> {
  console.log(`\n${store}: median and slowest of ${runs} requests, ms (the service as users run it, over HTTP, page and counts included)`);
  console.log(`${'request'.padEnd(42)}${'empty inbox'.padStart(18)}${`${rows} rows`.padStart(20)}`);
  const cell = (figures: { median: number; max: number } | undefined) =>
    figures ? `${figures.median.toFixed(1)} / ${figures.max.toFixed(1)}` : '-';
  for (const [name, path] of requests()) {
    // The delivery page of a delivery that an empty inbox does not hold would be a 404.
    const base = path.includes('/delivery?') ? undefined : await timeGet(empty, path);
    const measured = await timeGet(full, path);
    console.log(`${name.padEnd(42)}${cell(base).padStart(18)}${cell(measured).padStart(20)}`);
  }
}

/** The large inbox is kept whole: its SQLite rows are a month old, which the default retention would purge. */
const env = { INSPECTOR_TOKEN: token, INBOX_RETENTION: 'forever' };

async function sqliteFigures(): Promise<void> {
  const large = join(workDirectory, 'large.sqlite');
  const seeding = performance.now();
  await seedDone(large, traffic, rows);
  // Rare rows, as an inbox holds them: one dead delivery in 10,000.
  const db = new DatabaseSync(large);
  db.exec(`UPDATE deliveries SET state = 'dead', last_error = 'Error: down' WHERE rowid % 10000 = 0`);
  db.close();
  console.log(
    `SQLite: seeded ${rows} deliveries in ${((performance.now() - seeding) / 1000).toFixed(1)} s (1 KB bodies, 5,000 conversations)`,
  );
  const [empty, full] = await Promise.all([
    startReceiver(`sqlite:${join(workDirectory, 'empty.sqlite')}`, env),
    startReceiver(`sqlite:${large}`, env),
  ]);
  await timeRequests('SQLite', empty, full);
  await Promise.all([empty.stop(), full.stop()]);
}

/** The indexes of schema version 4, before the list had its own: the baseline of what they cost. */
const withoutListIndexes = `
  DROP INDEX deliveries_by_lane; DROP INDEX deliveries_by_type; DROP INDEX deliveries_by_state;
  CREATE INDEX deliveries_by_state ON deliveries (state, received_at);`;

/** µs per delivery of the inbox's writes for 40,000 deliveries in batches of 40: accepted, claimed, settled done, a commit each. */
async function intakeCost(schemaChange: string): Promise<number> {
  const path = join(workDirectory, `intake-${crypto.randomUUID()}.sqlite`);
  await new SqliteInbox(path).close();
  const db = openDatabase(path, 1000);
  db.exec(schemaChange);
  const writes = new SqliteWrites(db);
  const deliveries = pendingDeliveries(traffic, 40_000, crypto.randomUUID());
  const started = performance.now();
  for (let first = 0; first < deliveries.length; first += 40) {
    const batch = deliveries.slice(first, first + 40);
    transaction(db, () => writes.applyAll([batch.map((delivery) => ({ kind: 'accept', row: newRow(delivery) }))]));
    const claimed = transaction(db, () =>
      writes.applyAll([[{ kind: 'claim', options: { owner: 'bench', limit: 40, leaseMs: 60_000, now: new Date() } }]]),
    )[0]![0];
    const settlements = (claimed as { id: string }[]).map(({ id }) => ({ id, outcome: 'done' as const }));
    transaction(db, () => writes.applyAll([[{ kind: 'settle', owner: 'bench', settlements, now: new Date() }]]));
  }
  const microseconds = ((performance.now() - started) * 1000) / deliveries.length;
  db.close();
  return microseconds;
}

async function indexCost(): Promise<void> {
  const figures: Record<'with' | 'without', number[]> = { with: [], without: [] };
  for (let round = 0; round < 5; round += 1) {
    for (const side of round % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
      figures[side].push(await intakeCost(side === 'with' ? '' : withoutListIndexes));
    }
  }
  const cell = (values: number[]) => `${median(values).toFixed(0)} µs (${values.map((value) => value.toFixed(0)).join(', ')})`;
  console.log(
    "\nSQLite: the inbox's writes per delivery (accept, claim, settle; batches of 40, a commit each), median of 5 alternating rounds",
  );
  console.log(`  with the list's indexes     ${cell(figures.with)}`);
  console.log(`  without them (version 4)    ${cell(figures.without)}`);
}

async function postgresFigures(url: string): Promise<void> {
  const [empty, full] = await Promise.all([
    startReceiver(url, { ...env, DATABASE_SCHEMA: 'empty' }),
    startReceiver(url, { ...env, DATABASE_SCHEMA: 'large' }),
  ]);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const seeding = performance.now();
  await client.query(
    `INSERT INTO large.deliveries (id, state, event_type, received_at, headers, body, lane, event_time)
     SELECT 'msg_done_' || i, CASE WHEN i % 10000 = 0 THEN 'dead' ELSE 'done' END, 'v1.conversation.message',
            to_timestamp(($1::bigint + i) / 1000.0), '{}', $2, 'conversation:' || (i % 5000), $1::bigint + i
     FROM generate_series(0, $3::bigint - 1) AS i`,
    [Date.now() - rows, nextBody(traffic), rows],
  );
  await client.query('ANALYZE large.deliveries');
  await client.end();
  console.log(`\nPostgreSQL: seeded ${rows} deliveries in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
  await timeRequests('PostgreSQL', empty, full);
  await Promise.all([empty.stop(), full.stop()]);
}

try {
  await sqliteFigures();
  if (!values['no-postgres']) await withTemporaryDatabase(values.postgres, postgresFigures);
  await indexCost();
} finally {
  rmSync(workDirectory, { recursive: true, force: true });
}
