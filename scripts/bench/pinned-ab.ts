// Two builds or settings of the service as `npm start` runs it, A and B, in alternating rounds,
// each pinned to core 1 with the load generator on core 0: CPU per request by thread (the main
// thread, the SQLite writer thread, the rest), the busy core, and the fsync and fdatasync calls per
// delivery where `perf` can count them. What a change to the receiver costs or saves, per core.
//   node scripts/bench/pinned-ab.ts <rounds> <seconds> '<A>' '<B>'
// where A and B are JSON: {"name": "before", "root": "<a checkout of the project>", "env": {...}},
// every field optional (root: this project). Example, against the revision before a change:
//   git worktree add --detach /tmp/before HEAD~1 && ln -s "$PWD/node_modules" /tmp/before/
//   node scripts/bench/pinned-ab.ts 4 8 '{"name":"before","root":"/tmp/before"}' '{"name":"after"}'
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { conversationIds, loadAcross, median, messageTemplate, pinLoadGenerator, stopLoadGenerator, type Figures } from './load.ts';
import { startServer, type Server } from './servers.ts';

interface Build {
  name?: string;
  root?: string;
  env?: Record<string, string>;
}

const [rounds, seconds] = [Number(process.argv[2] ?? 4), Number(process.argv[3] ?? 8)];
const builds = [process.argv[4], process.argv[5]].map((text, index): Build & { name: string } => {
  const build = JSON.parse(text ?? '{}') as Build;
  return { ...build, name: build.name ?? (index === 0 ? 'A' : 'B') };
});
const traffic = { template: messageTemplate(1024), conversations: conversationIds('conversation', 1000) };
const work = mkdtempSync(join(tmpdir(), 'ada-pinned-ab-'));

/** Thread groups of the service: Node names its main thread and a worker thread so. */
const groupOf = (name: string) => ({ MainThread: 'main', WorkerThread: 'writer' })[name] ?? 'other';

/** CPU seconds by thread group, from /proc. */
function cpuByThread(pid: number): Record<string, number> {
  const seconds: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const group = groupOf(stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    seconds[group] = (seconds[group] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return seconds;
}

/** Counts fsync and fdatasync calls of `pid` until the returned function is called; undefined without perf. */
function countSyncs(pid: number): () => Promise<number | undefined> {
  const events = 'syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync';
  const perf = spawn('perf', ['stat', '-x,', '-e', events, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  perf.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(perf, 'close').catch(() => undefined);
  perf.on('error', () => {});
  return async () => {
    perf.kill('SIGINT');
    await exited;
    const counts = output.split('\n').filter((line) => line.includes('syscalls:'));
    return counts.length === 0 ? undefined : counts.reduce((sum, line) => sum + Number(line.split(',')[0]), 0);
  };
}

interface Round {
  figures: Figures;
  /** CPU microseconds per request by thread group. */
  threads: Record<string, number>;
  syncsPerDelivery: number | undefined;
}

async function round(server: Server, duration: number): Promise<Round> {
  const pid = server.child.pid!;
  const before = cpuByThread(pid);
  const syncs = countSyncs(pid);
  const figures = await loadAcross([server], traffic, duration, 20);
  const synced = await syncs();
  const after = cpuByThread(pid);
  const threads = Object.fromEntries(
    Object.entries(after).map(([group, cpu]) => [group, ((cpu - (before[group] ?? 0)) / figures.requests) * 1e6]),
  );
  return { figures, threads, syncsPerDelivery: synced === undefined ? undefined : synced / figures.requests };
}

const describe = (name: string, { figures, threads, syncsPerDelivery }: Round) =>
  [
    `${name}: ${Math.round(figures.requestsPerSecond)} req/s`,
    `CPU ${Math.round(figures.cpuPerRequest!)} µs/req (main ${Math.round(threads['main'] ?? 0)}, writer ${Math.round(threads['writer'] ?? 0)}, other ${Math.round(threads['other'] ?? 0)})`,
    `core ${figures.serverCores!.toFixed(2)}`,
    ...(syncsPerDelivery === undefined ? [] : [`fsyncs per delivery ${syncsPerDelivery.toFixed(3)}`]),
    `p99 ${figures.p99} ms`,
    `non-2xx ${figures.errors}`,
  ].join(', ');

const medianRound = (all: Round[]): Round => {
  const pick = (value: (round: Round) => number) => median(all.map(value));
  return {
    figures: {
      ...all[0]!.figures,
      requestsPerSecond: pick((r) => r.figures.requestsPerSecond),
      cpuPerRequest: pick((r) => r.figures.cpuPerRequest!),
      serverCores: pick((r) => r.figures.serverCores!),
      p99: pick((r) => r.figures.p99),
      errors: all.reduce((sum, r) => sum + r.figures.errors, 0),
    },
    threads: Object.fromEntries(['main', 'writer', 'other'].map((group) => [group, pick((r) => r.threads[group] ?? 0)])),
    syncsPerDelivery: all.some((r) => r.syncsPerDelivery === undefined) ? undefined : pick((r) => r.syncsPerDelivery!),
  };
};

if (!pinLoadGenerator(0)) throw new Error('taskset cannot pin processes here');
const servers = await Promise.all(
  builds.map(({ root, env, name }) =>
    startServer(join(root ?? process.cwd(), 'src/main.js'), { DATABASE_URL: `sqlite:${join(work, `${name}.sqlite`)}`, ...env }, { cpu: 1 }),
  ),
);
try {
  for (const server of servers) await round(server, 3); // JIT, validators
  const results: Round[][] = [[], []];
  for (let index = 0; index < rounds; index += 1) {
    for (const side of index % 2 === 0 ? [0, 1] : [1, 0]) {
      const result = await round(servers[side]!, seconds);
      results[side]!.push(result);
      console.log(`round ${index + 1} ${describe(builds[side]!.name, result)}; machine load ${loadavg()[0]!.toFixed(1)}`);
    }
  }
  console.log(`medians of ${rounds} rounds of ${seconds} s:`);
  results.forEach((all, side) => console.log(`  ${describe(builds[side]!.name, medianRound(all))}`));
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  stopLoadGenerator();
  rmSync(work, { recursive: true, force: true });
}
