// Benchmarks the receiver as users run it against baselines in the same run (bare Koa, and a
// durable receiver written by hand), and prints the figures.
//   npm run bench -- [--rounds 3] [--seconds 10] [--connections 20] [--drain 100000]
//                    [--large-inbox 1000000] [--soak-minutes 0] [--stages]
//                    [--postgres postgres://postgres@127.0.0.1:5432/test | --no-postgres | --postgres-only]
//                    [--no-forwarding | --forwarding-only] [--no-tracing | --tracing-only] [--drift-only] [--retention-only]
//                    [--encryption-only]
//                    [--pinned-only]
//                    [--baseline <git revision>]
// See BENCHMARKS.md for what each figure means and what limits it.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { SqliteInbox } from '../src/inbox/sqlite/inbox.ts';
import { SqliteWrites } from '../src/inbox/sqlite/writes.ts';
import {
  conversationIds,
  load,
  loadAcross,
  median,
  medianFigures,
  messageTemplate,
  pinLoadGenerator,
  stopLoadGenerator,
  type Figures,
  type Side,
  type Traffic,
} from './bench/load.ts';
import { forwardingFigures } from './bench/forwarding.ts';
import { baselineFigures } from './bench/baseline.ts';
import { driftFigures } from './bench/drift.ts';
import { tracingFigures } from './bench/tracing.ts';
import { encryptionFigures } from './bench/encryption.ts';
import { defaultPostgresUrl, withTemporaryDatabase } from './bench/postgres.ts';
import { pendingDeliveries, seedDone, seedPending } from './bench/seed.ts';
import { cpuQuota, type CpuQuota } from './bench/cpu-quota.ts';
import { startReceiver, startServer, startService, type Server } from './bench/servers.ts';
import { parseCommandLine } from './commands/command-line.ts';

const usage = `Usage: npm run bench -- [options]

Measures the receiver as users run it (npm start's defaults, dispatcher on) against bare Koa and a
durable receiver written by hand, in alternating rounds, and prints the figures (see BENCHMARKS.md).

  --rounds N          rounds of each comparison (default 3)
  --seconds N         seconds of each round (default 10)
  --connections N     concurrent connections of the load (default 20)
  --drain N           deliveries of the drain backlogs (default 100000)
  --large-inbox N     rows of the large-inbox comparison, 0 to skip (default 1000000)
  --soak-minutes N    minutes of load while RSS is sampled, 0 to skip (default 0)
  --stages            also the pipeline stage by stage, with the CPU time each stage adds
  --postgres URL      the PostgreSQL server for its figures (a database is created there and dropped;
                      default TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  --no-postgres       skip the PostgreSQL figures
  --postgres-only     only the PostgreSQL figures (replicas with and without a CPU quota each included)
  --no-forwarding     skip the forwarding figures (NATS JetStream on 127.0.0.1:4222, RabbitMQ on 127.0.0.1:5672)
  --forwarding-only   only the forwarding figures
  --no-tracing        skip the tracing figures (tracing off, and on with an OTLP exporter)
  --tracing-only      only the tracing figures
  --drift-only        only what watching for contract drift costs a delivery
  --retention-only    only intake while INBOX_RETENTION purges the large inbox (--large-inbox rows)
  --encryption-only   only npm start without and with INBOX_ENCRYPTION_KEY (encryption at rest)
  --pinned-only       only bare Koa and the hand-written durable receiver against the receiver, each pinned to
                      core 1 with the load generator on core 0 (taskset): a comparison per core (also part of a full run)
  --baseline REV      first, the receiver against the receiver at this git revision
  --version           the version of ada-webhooks
  -h, --help          this text`;
const { values, count } = parseCommandLine('bench', usage, {
  rounds: { type: 'string', default: '3' },
  seconds: { type: 'string', default: '10' },
  connections: { type: 'string', default: '20' },
  drain: { type: 'string', default: '100000' },
  'large-inbox': { type: 'string', default: '1000000' },
  'soak-minutes': { type: 'string', default: '0' },
  stages: { type: 'boolean', default: false },
  postgres: { type: 'string', default: defaultPostgresUrl },
  'no-postgres': { type: 'boolean', default: false },
  'postgres-only': { type: 'boolean', default: false },
  'no-forwarding': { type: 'boolean', default: false },
  'forwarding-only': { type: 'boolean', default: false },
  'no-tracing': { type: 'boolean', default: false },
  'tracing-only': { type: 'boolean', default: false },
  'encryption-only': { type: 'boolean', default: false },
  'drift-only': { type: 'boolean', default: false },
  'retention-only': { type: 'boolean', default: false },
  'pinned-only': { type: 'boolean', default: false },
  baseline: { type: 'string' },
});
const rounds = count('rounds', values.rounds);
const seconds = count('seconds', values.seconds);
const connections = count('connections', values.connections);
const drainCount = count('drain', values.drain);
const largeInbox = count('large-inbox', values['large-inbox'], 0);
const soakMinutes = count('soak-minutes', values['soak-minutes'], 0);

const workDirectory = mkdtempSync(join(tmpdir(), 'ada-bench-'));
const databasePath = (name: string) => join(workDirectory, `${name}.sqlite`);
/** A DATABASE_URL of an inbox file of its own. */
const freshInbox = (name: string) => `sqlite:${databasePath(`${name}-${crypto.randomUUID()}`)}`;

const small = messageTemplate(1024);
const large = messageTemplate(64 * 1024);
const spread: Traffic = { template: small, conversations: conversationIds('conversation', 1000) };
const spreadLarge: Traffic = { template: large, conversations: spread.conversations };
const oneConversation: Traffic = { template: small, conversations: ['busy-conversation'] };

// ---------------------------------------------------------------- printing

const row = (name: string, f: Figures, ratio?: number) =>
  [
    `${name.padEnd(40)} ${Math.round(f.requestsPerSecond).toString().padStart(7)} req/s`,
    `p50 ${String(f.p50).padStart(3)} ms   p99 ${String(f.p99).padStart(3)} ms`,
    ...(f.cpuPerRequest === undefined ? [] : [`CPU ${Math.round(f.cpuPerRequest).toString().padStart(4)} µs/req`]),
    ...(f.serverCores === undefined ? [] : [`server ${f.serverCores.toFixed(2)} cores`]),
    `load generator ${f.generatorCores.toFixed(2)} cores`,
    `non-2xx ${f.errors}`,
    ...(ratio === undefined ? [] : [`ratio ${ratio.toFixed(2)}`]),
  ].join('   ');

/** The answers that were not 2xx, by status, with the first bodies; and deliveries the generator signed under load. */
function anomalies(name: string, f: Figures): string[] {
  const lines: string[] = [];
  const unexpected = Object.entries(f.statusCodes).filter(([status]) => !status.startsWith('2'));
  if (unexpected.length > 0 || f.errors > 0) {
    lines.push(`  ${name}: answers ${JSON.stringify(f.statusCodes)}, ${f.errors} non-2xx, errors or timeouts in all`);
    for (const { url, status, body } of f.failures.slice(0, 5)) lines.push(`    ${url} ${status} ${body.slice(0, 300)}`);
  }
  if (f.signedUnderLoad > 0) lines.push(`  ${name}: the generator signed ${f.signedUnderLoad} deliveries under load (its pool ran out)`);
  return lines;
}

/** Flags a comparison that a baseline with idle CPU, or a load generator near a full core, would make flattering. */
function flags(base: Side, baseFigures: Figures, figures: Figures[]): string[] {
  const lines: string[] = [];
  const available = (base.cores ?? 1) * base.servers.length;
  if (baseFigures.serverCores !== undefined && baseFigures.serverCores < 0.9 * available) {
    lines.push(
      `  FLAG: the baseline kept ${baseFigures.serverCores.toFixed(2)} of its ${available} cores busy (under 90 %): something else bound it, and the ratio flatters the other side`,
    );
  }
  if (figures.some((f) => f.generatorCores > 0.9)) {
    lines.push(`  FLAG: the load generator was above 0.9 of a core: it may be what bounds these figures`);
  }
  return lines;
}

/** The machine's load averages (1, 5 and 15 minutes), as uptime prints them: other work on the same cores. */
const machineLoad = () =>
  loadavg()
    .map((average) => average.toFixed(2))
    .join(', ');

const microseconds = (ms: number) => `${Math.round(ms * 1000)} µs`;

/** Intake on an inbox of `--large-inbox` done rows against an empty one, /metrics on it, and intake while it is purged. */
async function largeInboxFigures({ retentionOnly = false } = {}): Promise<void> {
  if (largeInbox === 0) return;
  const largeDatabase = databasePath('large');
  const seeding = performance.now();
  await seedDone(largeDatabase, spread, largeInbox);
  console.log(`\nSeeded an inbox with ${largeInbox} rows in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
  const purgingDatabase = databasePath('purging');
  copyFileSync(largeDatabase, purgingDatabase);
  // Kept whole: its rows are a month old, which the default retention would purge.
  const full = await startReceiver(`sqlite:${largeDatabase}`, { INBOX_RETENTION: 'forever' });
  if (!retentionOnly) {
    const fresh = await startReceiver(`sqlite:${databasePath('fresh')}`);
    await compare(
      '1 KB deliveries, inbox size',
      { name: 'receiver, empty inbox', servers: [fresh], traffic: spread },
      { name: `receiver, inbox of ${largeInbox} rows`, servers: [full], traffic: spread },
    );
    const metrics = await time(20, () => fetch(`${full.url}/metrics`).then((response) => response.text()));
    console.log(`  GET /metrics on the ${largeInbox}-row inbox: median ${metrics.median.toFixed(1)} ms, p99 ${metrics.p99.toFixed(1)} ms`);
    await fresh.stop();
  }
  await intakeDuringPurge(full, purgingDatabase);
}

/** The median of `rounds` rounds of one side alone, after a warm-up. */
async function alone({ servers, traffic }: Side): Promise<Figures> {
  await loadAcross(servers, traffic, 2, connections);
  const results: Figures[] = [];
  for (let round = 0; round < rounds; round += 1) results.push(await loadAcross(servers, traffic, seconds, connections));
  return medianFigures(results);
}

/**
 * Intake on the large inbox, then on a copy of it whose receiver purges every row as it starts
 * (INBOX_RETENTION=28h, the shortest, and the rows are a month old): one after the other, not alternating, so that neither side's load
 * competes with the other's purge for the two cores. Stops `full`.
 */
async function intakeDuringPurge(full: Server, purgingDatabase: string): Promise<void> {
  const without = await alone({ name: 'no purge', servers: [full], traffic: spread });
  await full.stop();
  const startedAt = new Date();
  /** The seeded rows still there: those received before the purging receiver started. */
  const seededRows = () => {
    const db = new DatabaseSync(purgingDatabase, { readOnly: true });
    try {
      const query = db.prepare(`SELECT count(*) AS count FROM deliveries WHERE state = 'done' AND received_at < ?`);
      return (query.get(startedAt.toISOString()) as { count: number }).count;
    } finally {
      db.close();
    }
  };
  const before = seededRows();
  const purging = await startReceiver(`sqlite:${purgingDatabase}`, { INBOX_RETENTION: '28h' });
  const started = performance.now();
  const during = await alone({ name: 'purging', servers: [purging], traffic: spread });
  const elapsed = (performance.now() - started) / 1000;
  const left = seededRows();
  await purging.stop();
  console.log(
    `\n1 KB deliveries while INBOX_RETENTION purges a ${largeInbox.toLocaleString('en-US')}-row inbox (median of ${rounds} rounds of ${seconds} s each, one side after the other)`,
  );
  console.log(row(`receiver, ${largeInbox} done rows, no purge`, without));
  console.log(row('receiver, the same, purging', during, during.requestsPerSecond / without.requestsPerSecond));
  const purged = before - left;
  console.log(
    `  purged ${purged.toLocaleString('en-US')} of the ${before.toLocaleString('en-US')} rows meanwhile (${Math.round(purged / elapsed).toLocaleString('en-US')} rows/s), besides the new deliveries once older than 1 s; ${left.toLocaleString('en-US')} left`,
  );
}

/** Alternating rounds of two sides after a warm-up of each; prints the medians and the ratio second/first. */
async function compare(label: string, first: Side, second: Side): Promise<{ base: Figures; measured: Figures }> {
  const results: [Figures[], Figures[]] = [[], []];
  const sides = [first, second];
  const run = ({ servers, traffic, connectionsEach }: Side, duration: number) =>
    loadAcross(servers, traffic, duration, connectionsEach ? connections * servers.length : connections);
  for (const side of sides) await run(side, 2); // JIT, validators
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const index of order) results[index]!.push(await run(sides[index]!, seconds));
  }
  const [base, measured] = results.map(medianFigures) as [Figures, Figures];
  console.log(
    `\n${label} (${Buffer.byteLength(first.traffic.template)} bytes, ${connections} connections, median of ${rounds} rounds of ${seconds} s)`,
  );
  console.log(row(first.name, base));
  console.log(row(second.name, measured, measured.requestsPerSecond / base.requestsPerSecond));
  if (base.cpuPerRequest !== undefined && measured.cpuPerRequest !== undefined) {
    console.log(
      `  CPU per request ${(measured.cpuPerRequest / base.cpuPerRequest).toFixed(2)}x the first's; machine load ${machineLoad()}`,
    );
  }
  for (const line of [...anomalies(first.name, base), ...anomalies(second.name, measured), ...flags(first, base, [base, measured])]) {
    console.log(line);
  }
  return { base, measured };
}

/**
 * What each stage of the pipeline costs: the same load against the receiver cut short after
 * each stage, each against bare Koa; then the CPU time that each stage adds per delivery.
 */
async function stagesOf(traffic: Traffic, bare: Server): Promise<void> {
  const freshReceiver = (env: Record<string, string> = {}) => startReceiver(freshInbox('stage-receiver'), env);
  const stages: { name: string; start: () => Promise<Server> }[] = [
    { name: 'read: Koa, router, body as bytes, JSON.parse', start: () => startStage('read') },
    { name: '+ verify the signature', start: () => startStage('verify') },
    { name: '+ durable commit to the inbox', start: () => startStage('commit') },
    { name: '+ validation, log line, metrics (DISPATCHER=off)', start: () => freshReceiver({ DISPATCHER: 'off' }) },
    { name: '+ the dispatcher: the receiver as users run it', start: () => freshReceiver() },
  ];
  const figures: { name: string; bare: Figures; stage: Figures }[] = [];
  for (const { name, start } of stages) {
    const server = await start();
    const { base, measured } = await compare(
      `Stage: ${name}`,
      { name: 'bare Koa + body parser', servers: [bare], traffic },
      { name: 'receiver up to here', servers: [server], traffic },
    );
    figures.push({ name, bare: base, stage: measured });
    await server.stop();
  }
  console.log(`\nCPU time per delivery, stage by stage (${Buffer.byteLength(traffic.template)} bytes; each stage's own rounds)`);
  let previous = median(figures.map(({ bare }) => bare.cpuPerRequest!));
  console.log(`  ${'bare Koa + body parser'.padEnd(52)} ${Math.round(previous).toString().padStart(5)} µs`);
  for (const { name, bare: base, stage } of figures) {
    const cpu = stage.cpuPerRequest!;
    console.log(
      `  ${name.padEnd(52)} ${Math.round(cpu).toString().padStart(5)} µs  (${cpu >= previous ? '+' : ''}${Math.round(cpu - previous)} µs)   req/s ratio to bare Koa ${(stage.requestsPerSecond / base.requestsPerSecond).toFixed(2)}`,
    );
    previous = cpu;
  }
}

const startStage = (stage: string) =>
  startServer('scripts/bench/stages.ts', { BENCH_STAGE: stage, DATABASE_URL: freshInbox(`stage-${stage}`) });

// ---------------------------------------------------------------- drain and claims

/** Pending deliveries of the lanes whose key starts with `lanePrefix`, read from the file until none is left or `seconds` pass. */
async function watchDrain(path: string, lanePrefix: string, seconds: number) {
  const db = new DatabaseSync(path, { readOnly: true, timeout: 1000 });
  const read = db.prepare(`SELECT count(*) AS pending FROM deliveries WHERE state = 'pending' AND lane >= ? AND lane < ?`);
  const pending = () => (read.get(lanePrefix, `${lanePrefix}\uffff`) as { pending: number }).pending;
  const first = pending();
  const started = performance.now();
  let last = first;
  while (performance.now() - started < seconds * 1000 && last > 0) {
    await sleep(200);
    last = pending();
  }
  const elapsed = (performance.now() - started) / 1000;
  db.close();
  return { handled: first - last, seconds: elapsed, perSecond: (first - last) / elapsed, emptied: last === 0 };
}

/** The receiver with no-op handlers works through a seeded backlog while it takes the spread load. */
async function drain(label: string, path: string, watched: { name: string; lanePrefix: string }[]) {
  const server = await startServer('scripts/bench/receiver.ts', {
    DATABASE_URL: `sqlite:${path}`,
    LOG_LEVEL: 'warn',
    DISPATCHER_CONCURRENCY: '64',
  });
  const [intake, ...drained] = await Promise.all([
    load(server.url, spread, seconds, connections),
    ...watched.map(({ lanePrefix }) => watchDrain(path, lanePrefix, seconds)),
  ]);
  await server.stop();
  console.log(`\n${label}`);
  watched.forEach(({ name }, index) => {
    const figures = drained[index]!;
    const emptied = figures.emptied ? `, all done in ${figures.seconds.toFixed(1)} s` : '';
    console.log(
      `  ${name}: ${Math.round(figures.perSecond)} deliveries/s (${figures.handled} in ${figures.seconds.toFixed(1)} s${emptied})`,
    );
  });
  console.log(row('  the receiver meanwhile', intake));
}

/** Median and 99th percentile of `runs` timings of `work`, in milliseconds. */
async function time(runs: number, work: () => unknown): Promise<{ median: number; p99: number }> {
  const timings: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await work();
    timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  return { median: median(timings), p99: timings[Math.floor(runs * 0.99)]! };
}

/** A claim through the inbox (writer thread and commit included), and the claim's statements alone, on the inbox at `path`. */
async function claimTimings(path: string) {
  const inbox = new SqliteInbox(path);
  const throughInbox = await time(300, () => inbox.claim({ owner: 'bench', limit: 8, leaseMs: 60_000 }));
  await inbox.close();
  const db = new DatabaseSync(path);
  const writes = new SqliteWrites(db);
  const statements = await time(300, () => {
    db.exec('BEGIN');
    writes.applyAll([[{ kind: 'claim', options: { owner: 'bench', limit: 8, leaseMs: 60_000, now: new Date() } }]]);
    db.exec('ROLLBACK');
  });
  db.close();
  return { throughInbox, statements };
}

async function claimCost() {
  const empty = databasePath('claims-empty');
  await new SqliteInbox(empty).close();
  const busy = databasePath('claims-busy');
  await seedPending(busy, pendingDeliveries(oneConversation, drainCount, 'busy'));
  // The busy conversation's head is in flight: every delivery behind it waits, the case that a
  // scan of the backlog made slowest.
  const leasing = new SqliteInbox(busy);
  await leasing.claim({ owner: 'in-flight', limit: 1, leaseMs: 3_600_000 });
  await leasing.close();

  console.log(`\nClaims of up to 8 deliveries (300 each; median / p99)`);
  for (const [name, path] of [
    ['empty inbox', empty],
    [`${drainCount} pending in one conversation, its head in flight`, busy],
  ] as const) {
    const { throughInbox, statements } = await claimTimings(path);
    console.log(
      `  ${name.padEnd(58)} through the inbox ${microseconds(throughInbox.median)} / ${microseconds(throughInbox.p99)};  statements alone ${microseconds(statements.median)} / ${microseconds(statements.p99)}`,
    );
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** Commits and WAL flushes of the database per delivery while `servers` take the spread load for a few seconds. */
/**
 * What PostgreSQL does per delivery under 5 s of load: commits and WAL flushes (its statistics),
 * and, sampled every 100 ms, how many of the database's sessions wait for a lock and how many sit
 * idle in a transaction (holding its locks while their client does something else).
 */
async function postgresWork(url: string, servers: Server[]): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const counters = async () => {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ commits: string; flushes: string; claims: string | null; settlements: string | null }>(
      `SELECT xact_commit AS commits, (SELECT wal_sync FROM pg_stat_wal) AS flushes,
              (SELECT sum(calls) FROM pg_stat_user_functions WHERE funcname = 'claim_lanes') AS claims,
              (SELECT sum(calls) FROM pg_stat_user_functions WHERE funcname = 'settle_attempts') AS settlements
       FROM pg_stat_database WHERE datname = current_database()`,
    );
    const [row] = rows;
    return {
      commits: Number(row!.commits),
      flushes: Number(row!.flushes),
      claims: Number(row!.claims),
      settlements: Number(row!.settlements),
    };
  };
  const before = await counters();
  const samples: { waiting: number; idleInTransaction: number }[] = [];
  let loading = true;
  const sampling = (async () => {
    while (loading) {
      const { rows } = await client.query<{ waiting: number; idle: number }>(
        `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock')::integer AS waiting,
                count(*) FILTER (WHERE state = 'idle in transaction')::integer AS idle
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      samples.push({ waiting: rows[0]!.waiting, idleInTransaction: rows[0]!.idle });
      await sleep(100);
    }
  })();
  const { requests } = await loadAcross(servers, spread, 5, connections);
  loading = false;
  await sampling;
  // A backend publishes its statistics at most once a second, and an idle one after 10 s.
  await sleep(11_000);
  const after = await counters();
  await client.end();
  const mean = (pick: (sample: (typeof samples)[number]) => number) =>
    (samples.reduce((sum, sample) => sum + pick(sample), 0) / Math.max(1, samples.length)).toFixed(1);
  const perDelivery = (name: 'commits' | 'flushes' | 'claims' | 'settlements') => ((after[name] - before[name]) / requests).toFixed(2);
  // The claim and the settlement are counted where they are functions of the database.
  const calls = after.claims > 0 ? `, ${perDelivery('claims')} claims and ${perDelivery('settlements')} settlement statements` : '';
  return (
    `${perDelivery('commits')} commits, ${perDelivery('flushes')} WAL flushes${calls} per delivery; ` +
    `sessions waiting for a lock ${mean((sample) => sample.waiting)}, idle in a transaction ${mean((sample) => sample.idleInTransaction)} (means)`
  );
}

/** Replicas each in a CPU group of its own, `cores` each; a string says why there can be none. */
async function replicasUnderQuota(
  start: () => Promise<Server>,
  count: number,
  cores: number,
  label: string,
): Promise<{ servers: Server[]; release: () => Promise<void> } | string> {
  const servers: Server[] = [];
  const groups: CpuQuota[] = [];
  for (let index = 0; index < count; index += 1) {
    const group = cpuQuota(`ada-bench-${label}-${index}`, cores);
    if (typeof group === 'string') {
      await Promise.all(servers.map((server) => server.stop()));
      for (const made of groups) made.remove();
      return group;
    }
    const server = await start();
    group.add(server.child.pid!);
    servers.push(server);
    groups.push(group);
  }
  return {
    servers,
    async release() {
      await Promise.all(servers.map((server) => server.stop()));
      for (const group of groups) group.remove();
    },
  };
}

async function postgresFigures(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  console.log(`\nPostgreSQL ${rows[0]!.server_version} on this machine, a database of its own for this run`);
  const stage = (name: string, schema: string) =>
    startServer('scripts/bench/stages.ts', { BENCH_STAGE: name, DATABASE_URL: url, DATABASE_SCHEMA: schema });
  const [single, grouped] = await Promise.all([stage('single-insert', 'bench_single'), stage('commit', 'bench_grouped')]);
  await compare(
    'PostgreSQL: verify, then store durably',
    { name: 'one INSERT per request', servers: [single], traffic: spread },
    { name: 'the inbox, with group commit', servers: [grouped], traffic: spread },
  );
  console.log(`  one INSERT per request: ${await postgresWork(url, [single])}`);
  console.log(`  the inbox, with group commit: ${await postgresWork(url, [grouped])}`);
  await Promise.all([single.stop(), grouped.stop()]);

  const replica = (schema: string) => startReceiver(url, { DATABASE_SCHEMA: schema });
  const one = await replica('bench_one');
  const three = await Promise.all([replica('bench_three'), replica('bench_three'), replica('bench_three')]);
  await compare(
    'PostgreSQL: the receiver as users run it, one replica against three on the same database',
    { name: 'one replica', servers: [one], traffic: spread },
    { name: 'three replicas, load shared', servers: three, traffic: spread },
  );
  console.log(`  one replica: ${await postgresWork(url, [one])}`);
  console.log(`  three replicas: ${await postgresWork(url, three)}`);
  await Promise.all([one, ...three].map((server) => server.stop()));

  // As replicas run in production, each on a machine of its own: a CPU quota per replica. At 0.3
  // of a core three replicas need more than this 2-core machine has left beside PostgreSQL and
  // the load generator; at 0.1 the replicas' own CPU is what binds.
  for (const cores of [0.3, 0.1]) await replicasEachUnderQuota(url, replica, cores);
}

async function replicasEachUnderQuota(url: string, replica: (schema: string) => Promise<Server>, cores: number): Promise<void> {
  const label = String(cores).replace('.', '_');
  const quotaOne = await replicasUnderQuota(() => replica(`bench_quota_one_${label}`), 1, cores, `one-${label}`);
  const quotaThree =
    typeof quotaOne === 'string'
      ? quotaOne
      : await replicasUnderQuota(() => replica(`bench_quota_three_${label}`), 3, cores, `three-${label}`);
  if (typeof quotaOne === 'string' || typeof quotaThree === 'string') {
    console.log(`\nPostgreSQL, replicas under a CPU quota: skipped (${typeof quotaOne === 'string' ? quotaOne : quotaThree})`);
    if (typeof quotaOne !== 'string') await quotaOne.release();
    return;
  }
  // Each replica gets the connections one replica gets, as a balancer would share three times
  // the traffic: shared out, 20 connections cannot keep three throttled replicas busy.
  await compare(
    `PostgreSQL: one replica against three, each replica held to ${cores} of a core (a cgroup of its own), ${connections} connections each`,
    { name: `one replica, ${cores} core`, servers: quotaOne.servers, traffic: spread, connectionsEach: true, cores },
    { name: `three replicas, ${cores} core each`, servers: quotaThree.servers, traffic: spread, connectionsEach: true, cores },
  );
  console.log(`  one replica: ${await postgresWork(url, quotaOne.servers)}`);
  console.log(`  three replicas: ${await postgresWork(url, quotaThree.servers)}`);
  await Promise.all([quotaOne.release(), quotaThree.release()]);
}

// ---------------------------------------------------------------- start-up and memory

async function timeToReady(env: Record<string, string> = {}): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < 5; run += 1) {
    const started = performance.now();
    const server = await startReceiver(freshInbox(`ready-${run}`), env);
    while (
      !(await fetch(`${server.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      await sleep(2);
    times.push(performance.now() - started);
    await server.stop();
  }
  return median(times);
}

function rssMegabytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

// ---------------------------------------------------------------- run

try {
  console.log(`Node ${process.version}; ${cpus().length} cores; machine load ${machineLoad()}`);
  console.log('Load generator: autocannon in a process of its own, deliveries signed before each round');
  console.log('Receiver: src/main.ts as users run it (dispatcher on, the shipped handlers, LOG_LEVEL=warn), a fresh SQLite inbox;');
  console.log('  per core and against another revision: src/main.js as `npm start` runs it, every default (LOG_LEVEL=info)');

  const forwarding = () =>
    forwardingFigures({
      compare,
      traffic: spread,
      inboxPath: (name) => databasePath(`${name}-${crypto.randomUUID()}`),
      seconds,
      connections,
      backlog: drainCount,
    });
  const tracing = () => tracingFigures({ compare, traffic: spread, freshInbox });
  if (values.baseline !== undefined) await baselineFigures({ compare, traffic: spread, freshInbox, revision: values.baseline });
  if (values['forwarding-only']) await forwarding();
  else if (values['tracing-only']) await tracing();
  else if (values['drift-only']) await driftFigures(spread);
  else if (values['encryption-only']) await encryptionFigures({ compare, traffic: spread, freshInbox });
  else if (values['retention-only']) await largeInboxFigures({ retentionOnly: true });
  else if (values['postgres-only']) await withTemporaryDatabase(values.postgres, postgresFigures);
  else if (values['pinned-only']) await pinnedFigures();
  else await everything(forwarding, tracing);
} finally {
  stopLoadGenerator();
  rmSync(workDirectory, { recursive: true, force: true });
}

/**
 * Bare Koa, the receiver as users run it and the hand-written durable receiver, each pinned to
 * core 1 (every thread: the receiver's SQLite writer thread with it), the load generator to core
 * 0: unpinned, the receiver's writer thread gets a second core that bare Koa does not use, which
 * flatters it. Without taskset on this machine, says so and measures nothing.
 */
async function pinnedFigures(): Promise<void> {
  if (!pinLoadGenerator(0)) {
    console.log('\nPinned comparison: skipped (taskset cannot pin processes here)');
    return;
  }
  const [bare, receiver, handWritten] = await Promise.all([
    startServer('scripts/bench/bare-koa.ts', {}, { cpu: 1 }),
    startService(freshInbox('pinned'), {}, { cpu: 1 }),
    startServer('scripts/bench/hand-written.ts', { DATABASE_URL: freshInbox('pinned-hand-written') }, { cpu: 1 }),
  ]);
  const receiverSide: Side = { name: 'receiver (npm start), pinned', servers: [receiver], traffic: spread };
  const where = 'each pinned to core 1, the load generator on core 0';
  await compare(
    `1 KB deliveries over 1,000 conversations, bare Koa and the receiver ${where}`,
    {
      name: 'bare Koa + body parser, pinned',
      servers: [bare],
      traffic: spread,
    },
    receiverSide,
  );
  await compare(
    `1 KB deliveries over 1,000 conversations, the hand-written durable receiver and the receiver ${where}`,
    { name: 'hand-written: svix + INSERT, pinned', servers: [handWritten], traffic: spread },
    receiverSide,
  );
  await Promise.all([bare.stop(), receiver.stop(), handWritten.stop()]);
  pinLoadGenerator(undefined);
}

/** Every figure, forwarding's and tracing's last. */
async function everything(forwarding: () => Promise<void>, tracing: () => Promise<void>): Promise<void> {
  const bare = await startServer('scripts/bench/bare-koa.ts');
  const bareSide = (traffic: Traffic): Side => ({ name: 'bare Koa + body parser', servers: [bare], traffic });
  // Each group of comparisons gets receivers with fresh inboxes: 64 KB deliveries fill gigabytes.

  for (const [size, traffic] of [
    ['1 KB', spread],
    ['64 KB', spreadLarge],
  ] as const) {
    const [receiver, handWritten] = await Promise.all([
      startReceiver(freshInbox('receiver')),
      startServer('scripts/bench/hand-written.ts', { DATABASE_URL: freshInbox('hand-written') }),
    ]);
    const receiverSide: Side = { name: 'receiver', servers: [receiver], traffic };
    await compare(`${size} deliveries over 1,000 conversations`, bareSide(traffic), receiverSide);
    await compare(
      `${size} deliveries, against a durable receiver written by hand`,
      { name: 'hand-written: svix + INSERT', servers: [handWritten], traffic },
      receiverSide,
    );
    await Promise.all([receiver.stop(), handWritten.stop()]);
  }
  const receiver = await startReceiver(freshInbox('receiver'));
  await compare(
    'One busy conversation against the same load spread over 1,000',
    { name: 'receiver, 1,000 conversations', servers: [receiver], traffic: spread },
    { name: 'receiver, all one conversation', servers: [receiver], traffic: oneConversation },
  );

  await pinnedFigures();
  await driftFigures(spread);
  await encryptionFigures({ compare, traffic: spread, freshInbox });

  if (values.stages) {
    for (const traffic of [spread, spreadLarge]) await stagesOf(traffic, bare);
  }

  const spreadBacklog = databasePath('drain-spread');
  await seedPending(
    spreadBacklog,
    pendingDeliveries({ template: small, conversations: conversationIds('backlog', 5000) }, drainCount, 'backlog'),
  );
  await drain(
    `Drain, no-op handlers, of ${drainCount} deliveries over 5,000 conversations, in the receiver's process while it takes load`,
    spreadBacklog,
    [{ name: 'the backlog', lanePrefix: 'conversation:backlog-' }],
  );

  const busyBacklog = databasePath('drain-busy');
  await seedPending(busyBacklog, [
    ...pendingDeliveries({ template: small, conversations: ['backlog-busy'] }, drainCount, 'busy'),
    ...pendingDeliveries({ template: small, conversations: conversationIds('backlog', 1000) }, 10_000, 'others'),
  ]);
  await drain(`Drain, no-op handlers, of ${drainCount} deliveries of one conversation and 10,000 of 1,000 others`, busyBacklog, [
    { name: 'the 1,000 other conversations', lanePrefix: 'conversation:backlog-0' },
    { name: 'the busy conversation, one at a time', lanePrefix: 'conversation:backlog-busy' },
  ]);

  await claimCost();

  console.log(`\nTime from process start to a 200 from /readyz (median of 5)`);
  console.log(`  with Node's compile cache (every start after the first): ${Math.round(await timeToReady())} ms`);
  console.log(
    `  without it (NODE_DISABLE_COMPILE_CACHE=1, as a first start): ${Math.round(await timeToReady({ NODE_DISABLE_COMPILE_CACHE: '1' }))} ms`,
  );

  await largeInboxFigures();

  if (!values['no-postgres']) await withTemporaryDatabase(values.postgres, postgresFigures);
  if (!values['no-forwarding']) await forwarding();
  if (!values['no-tracing']) await tracing();

  if (soakMinutes > 0) {
    console.log(`\nSoak: ${soakMinutes} min of load on the receiver; RSS sampled every 30 s`);
    const samples: number[] = [];
    for (let slice = 0; slice < soakMinutes * 2; slice += 1) {
      const figures = await load(receiver.url, spread, 30, connections);
      samples.push(rssMegabytes(receiver.child.pid!));
      console.log(
        `  ${String((slice + 1) * 30).padStart(4)} s  RSS ${samples.at(-1)!.toFixed(1)} MB  ${Math.round(figures.requestsPerSecond)} req/s  errors ${figures.errors}`,
      );
    }
    const settled = samples[Math.min(1, samples.length - 1)]!;
    console.log(
      `  RSS after the first minute ${settled.toFixed(1)} MB, at the end ${samples.at(-1)!.toFixed(1)} MB, max ${Math.max(...samples).toFixed(1)} MB`,
    );
  }

  await Promise.all([bare.stop(), receiver.stop()]);
}
