// Benchmarks the receiver against a bare Koa server in the same run, and prints the figures.
//   npm run bench -- [--rounds 3] [--seconds 10] [--connections 20] [--drain 100000]
//                    [--large-inbox 1000000] [--soak-minutes 0] [--stages]
// See BENCHMARKS.md for what each figure means and what limits it.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createInterface } from 'node:readline';
import { loadContract } from '../src/contract.ts';
import { SqliteInbox } from '../src/inbox/sqlite/inbox.ts';
import { createSigner } from '../src/signature.ts';
import { parseCommandLine } from './command-line.ts';
import { freePort } from './free-port.ts';

const usage = `Usage: npm run bench -- [--rounds N] [--seconds N] [--connections N] [--drain N] [--large-inbox N] [--soak-minutes N] [--stages]`;
const { values, count } = parseCommandLine(usage, {
  rounds: { type: 'string', default: '3' },
  seconds: { type: 'string', default: '10' },
  connections: { type: 'string', default: '20' },
  drain: { type: 'string', default: '100000' },
  'large-inbox': { type: 'string', default: '1000000' },
  'soak-minutes': { type: 'string', default: '0' },
  stages: { type: 'boolean', default: false },
});
const rounds = count('rounds', values.rounds);
const seconds = count('seconds', values.seconds);
const connections = count('connections', values.connections);
const drainCount = count('drain', values.drain);
const largeInbox = Number(values['large-inbox']);
const soakMinutes = Number(values['soak-minutes']);

const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
const sign = createSigner(secret);
const root = new URL('..', import.meta.url).pathname;
const workDirectory = mkdtempSync(join(tmpdir(), 'ada-bench-'));

// ---------------------------------------------------------------- processes

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startServer(script: string, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [join(root, script)], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ADA_WEBHOOK_SECRET: secret, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'receiver listening') {
        lines.close();
        child.stdout!.resume(); // the receiver's log lines: read and dropped, as a log shipper would
        resolve(entry.port!);
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const receiver = (databasePath: string, env: Record<string, string> = {}) =>
  startServer('src/main.ts', { DATABASE_URL: `sqlite:${databasePath}`, DISPATCHER: 'off', ...env });

// ---------------------------------------------------------------- load

/** A realistic message event of about `size` bytes; `__ID__` marks where each delivery's id goes. */
function bodyTemplate(size: number): string {
  const event = structuredClone(loadContract().components.examples['ConversationMessageText']!.value) as Record<string, any>;
  event['data'].message_id = '__ID__';
  event['data'].content.body = '';
  const overhead = Buffer.byteLength(JSON.stringify(event)) - '__ID__'.length + 36;
  event['data'].content.body = 'Where is my order? '.repeat(size).slice(0, Math.max(0, size - overhead));
  return JSON.stringify(event);
}

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

let deliveries = 0;
async function load(url: string, template: string, durationSeconds: number): Promise<Figures> {
  const result = await autocannon({
    url: `${url}/webhooks/ada`,
    method: 'POST',
    connections,
    duration: durationSeconds,
    requests: [
      {
        setupRequest: (request) => {
          const id = `msg_bench_${process.pid}_${(deliveries += 1)}`;
          const body = template.replace('__ID__', crypto.randomUUID());
          const timestamp = Math.floor(Date.now() / 1000);
          return {
            ...request,
            body,
            headers: {
              'content-type': 'application/json',
              'svix-id': id,
              'svix-timestamp': String(timestamp),
              'svix-signature': sign(id, timestamp, body),
            },
          };
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const medianFigures = (all: Figures[]): Figures => ({
  requestsPerSecond: median(all.map((f) => f.requestsPerSecond)),
  p50: median(all.map((f) => f.p50)),
  p99: median(all.map((f) => f.p99)),
  errors: all.reduce((sum, f) => sum + f.errors, 0),
});
const row = (name: string, f: Figures, ratio?: number) =>
  `${name.padEnd(34)} ${Math.round(f.requestsPerSecond).toString().padStart(7)} req/s   p50 ${String(f.p50).padStart(3)} ms   p99 ${String(f.p99).padStart(3)} ms   errors ${f.errors}${ratio === undefined ? '' : `   ratio ${ratio.toFixed(2)}`}`;

/** Alternating rounds of the baseline and the receiver; prints medians and the ratio. */
async function compare(label: string, names: [string, string], baseline: Server, subject: Server, template: string): Promise<number> {
  const results: { baseline: Figures[]; subject: Figures[] } = { baseline: [], subject: [] };
  await load(baseline.url, template, 2); // warm-up: JIT and validators
  await load(subject.url, template, 2);
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? (['baseline', 'subject'] as const) : (['subject', 'baseline'] as const);
    for (const which of order) results[which].push(await load((which === 'baseline' ? baseline : subject).url, template, seconds));
  }
  const base = medianFigures(results.baseline);
  const measured = medianFigures(results.subject);
  const ratio = measured.requestsPerSecond / base.requestsPerSecond;
  console.log(`\n${label} (${Buffer.byteLength(template)} bytes, ${connections} connections, median of ${rounds} rounds of ${seconds} s)`);
  console.log(row(names[0], base));
  console.log(row(names[1], measured, ratio));
  return ratio;
}

// ---------------------------------------------------------------- other figures

async function timeToReady(env: Record<string, string> = {}): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < 5; run += 1) {
    const port = await freePort();
    const started = performance.now();
    const child = spawn(process.execPath, [join(root, 'src/main.ts')], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ADA_WEBHOOK_SECRET: secret, DATABASE_URL: `sqlite:${join(workDirectory, `ready-${crypto.randomUUID()}.sqlite`)}`, ...env },
      stdio: 'ignore',
    });
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    times.push(performance.now() - started);
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  return median(times);
}

function seed(databasePath: string, rows: number, state: 'pending' | 'done', template: string): void {
  new SqliteInbox(databasePath).close(); // creates the schema
  const db = new DatabaseSync(databasePath);
  const insert = db.prepare(
    `INSERT INTO deliveries (id, state, event_type, received_at, headers, body, ordering_key, event_time)
     VALUES (?, ?, 'v1.conversation.message', ?, '{}', ?, ?, ?)`,
  );
  db.exec('BEGIN');
  const now = Date.now();
  for (let index = 0; index < rows; index += 1) {
    insert.run(`msg_seed_${index}`, state, new Date(now - rows + index).toISOString(), template.replace('__ID__', String(index)), `conversation:${index % 5000}`, now - rows + index);
  }
  db.exec('COMMIT');
  db.close();
}

/** Deliveries handled per second, read from the file, until `seconds` pass or nothing is pending. */
async function watchDrain(databasePath: string, seconds: number) {
  const db = new DatabaseSync(databasePath, { readOnly: true, timeout: 1000 });
  const count = db.prepare(`SELECT count(*) FILTER (WHERE state = 'done') AS done, count(*) FILTER (WHERE state = 'pending') AS pending FROM deliveries`);
  const read = () => count.get() as { done: number; pending: number };
  const first = read();
  const started = performance.now();
  let last = first;
  while (performance.now() - started < seconds * 1000 && last.pending > 0) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = read();
  }
  const elapsed = (performance.now() - started) / 1000;
  db.close();
  const handled = last.done - first.done;
  return { handled, seconds: elapsed, perSecond: handled / elapsed, emptied: last.pending === 0 };
}

function rssMegabytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

// ---------------------------------------------------------------- run

try {
  console.log(`Node ${process.version}; ${(await import('node:os')).cpus().length} cores; load generator: autocannon in this process`);
  const small = bodyTemplate(1024);
  const large = bodyTemplate(64 * 1024);

  const bare = await startServer('scripts/bench/bare-koa.ts');
  const subject = await receiver(join(workDirectory, 'inbox.sqlite'));
  const names: [string, string] = ['bare Koa + body parser', 'receiver (verify, validate, commit)'];
  await compare('1 KB deliveries', names, bare, subject, small);
  await compare('64 KB deliveries', names, bare, subject, large);

  if (values.stages) {
    // What each stage of the pipeline costs: the same load against the receiver cut short.
    for (const template of [small, large]) {
      for (const stage of ['read', 'verify', 'commit']) {
        const cut = await startServer('scripts/bench/stages.ts', { BENCH_STAGE: stage, DATABASE_URL: `sqlite:${join(workDirectory, `stage-${stage}.sqlite`)}` });
        await compare(`Stage "${stage}"`, ['bare Koa + body parser', `receiver up to "${stage}"`], bare, cut, template);
        await cut.stop();
      }
    }
  }

  // Drain rate: the receiver's own dispatcher, with no-op handlers, works through a backlog
  // while the receiver takes load (the default layout: one process).
  const drainDatabase = join(workDirectory, 'drain.sqlite');
  seed(drainDatabase, drainCount, 'pending', small);
  const drainReceiver = await startServer('scripts/bench/receiver.ts', {
    DATABASE_URL: `sqlite:${drainDatabase}`,
    DISPATCHER: 'on',
    DISPATCHER_CONCURRENCY: '64',
  });
  const [intakeDuringDrain, drain] = await Promise.all([load(drainReceiver.url, small, seconds), watchDrain(drainDatabase, seconds)]);
  await drainReceiver.stop();
  console.log(`\nDispatcher drain, no-op handlers, backlog of ${drainCount} deliveries of 5000 conversations, in the receiver's process while it takes load`);
  console.log(`  handled ${Math.round(drain.perSecond)} deliveries/s (${drain.handled} in ${drain.seconds.toFixed(1)} s${drain.emptied ? ', backlog emptied' : ''})`);
  console.log(row('  receiver meanwhile', intakeDuringDrain));

  console.log(`\nTime from process start to a 200 from /readyz (median of 5)`);
  console.log(`  with Node's compile cache (every start after the first): ${Math.round(await timeToReady())} ms`);
  console.log(`  without it (NODE_DISABLE_COMPILE_CACHE=1, as a first start): ${Math.round(await timeToReady({ NODE_DISABLE_COMPILE_CACHE: '1' }))} ms`);

  if (largeInbox > 0) {
    const largeDatabase = join(workDirectory, 'large.sqlite');
    const seeding = performance.now();
    seed(largeDatabase, largeInbox, 'done', small);
    console.log(`\nSeeded an inbox with ${largeInbox} rows in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
    const full = await receiver(largeDatabase);
    await compare('1 KB deliveries, inbox size', ['receiver, inbox of this run', `receiver, inbox of ${largeInbox} rows`], subject, full, small);
    await full.stop();
  }

  if (soakMinutes > 0) {
    console.log(`\nSoak: ${soakMinutes} min of load on the receiver; RSS sampled every 30 s`);
    const samples: number[] = [];
    for (let slice = 0; slice < soakMinutes * 2; slice += 1) {
      const figures = await load(subject.url, small, 30);
      samples.push(rssMegabytes(subject.child.pid!));
      console.log(`  ${String((slice + 1) * 30).padStart(4)} s  RSS ${samples.at(-1)!.toFixed(1)} MB  ${Math.round(figures.requestsPerSecond)} req/s  errors ${figures.errors}`);
    }
    const settled = samples[Math.min(1, samples.length - 1)]!;
    console.log(`  RSS after the first minute ${settled.toFixed(1)} MB, at the end ${samples.at(-1)!.toFixed(1)} MB, max ${Math.max(...samples).toFixed(1)} MB`);
  }

  await Promise.all([bare.stop(), subject.stop()]);
} finally {
  rmSync(workDirectory, { recursive: true, force: true });
}
