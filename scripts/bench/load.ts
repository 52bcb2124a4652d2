// The load: distinct, correctly signed message events, spread over a number of conversations, sent
// by a load generator in a process of its own (load-generator.ts), and the figures it reports with
// how busy each side was.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadContract } from '../../src/contract/document.ts';
import type { GeneratorFailure, GeneratorReport, GeneratorRequest, Traffic } from './load-protocol.ts';
import type { Server } from './servers.ts';

export type { Traffic } from './load-protocol.ts';

/** One side of a comparison: one server, or several that share the load as behind a load balancer. */
export interface Side {
  name: string;
  servers: Server[];
  traffic: Traffic;
  /** The run's connections for each server rather than shared out among them: load enough to fill every replica. */
  connectionsEach?: boolean;
  /** The cores each server may use (a CPU quota's share); 1 by default. A baseline busy below 90 % of it is flagged. */
  cores?: number;
}

/** Alternating rounds of two sides (bench.ts): the medians of each. */
export type Compare = (label: string, first: Side, second: Side) => Promise<{ base: Figures; measured: Figures }>;

/** `count` conversation ids: `<prefix>-0000`, `<prefix>-0001`, ... */
export const conversationIds = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}-${String(index).padStart(4, '0')}`);

export interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** Requests answered. */
  requests: number;
  /** CPU time the servers used per request answered, in microseconds, when they were measured. */
  cpuPerRequest?: number;
  /** Cores the servers kept busy while loaded (their CPU time over the wall time), when they were measured. */
  serverCores?: number;
  /** Cores the load generator kept busy meanwhile. */
  generatorCores: number;
  /** Answers by HTTP status. */
  statusCodes: Record<string, number>;
  /** The first answers that were not 2xx, with their bodies. */
  failures: GeneratorFailure[];
  /** Deliveries the generator had to sign under load (its pool ran out). */
  signedUnderLoad: number;
}

/** A `v1.conversation.message` of about `size` bytes. */
export function messageTemplate(size: number): string {
  const event = structuredClone(loadContract().components.examples['ConversationMessageText']!.value) as {
    timestamp: string;
    data: { message_id: string; conversation_id: string; end_user_id: string; content: { body: string } };
  };
  event.timestamp = '__TIMESTAMP__';
  event.data.message_id = '__ID__';
  // An end user per conversation, as Ada's traffic has: their ids follow the conversation's.
  event.data.conversation_id = '__CONVERSATION__';
  event.data.end_user_id = '__CONVERSATION__';
  event.data.content.body = '';
  // The placeholders' values: a UUID, a conversation id of about 24 characters twice, and an ISO timestamp.
  const placeholders = '__ID____CONVERSATION____CONVERSATION____TIMESTAMP__'.length;
  const overhead = Buffer.byteLength(JSON.stringify(event)) - placeholders + 36 + 24 + 24 + 24;
  event.data.content.body = 'Where is my order? '.repeat(size).slice(0, Math.max(0, size - overhead));
  return JSON.stringify(event);
}

let sent = 0;

/** A body of `traffic`: a fresh message id, the next conversation in turn, the current time. */
export function nextBody({ template, conversations }: Traffic): string {
  sent += 1;
  return template
    .replace('__ID__', crypto.randomUUID())
    .replaceAll('__CONVERSATION__', conversations[sent % conversations.length]!)
    .replace('__TIMESTAMP__', new Date().toISOString());
}

/** The load generator's process, started at the first load; `pinLoadGenerator` moves it to a core. */
let generator: ChildProcess | undefined;
/** The last rate seen at each URL with each template, to size the next job's pool of signed deliveries. */
const lastRates = new Map<string, number>();
/** The bodies signed ahead of one job take at most this much memory; the rest are signed under load (and counted). */
const poolBytes = 256 * 1024 * 1024;

function loadGenerator(): ChildProcess {
  if (generator) return generator;
  generator = fork(fileURLToPath(new URL('load-generator.ts', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  generator.unref();
  generator.channel?.unref();
  return generator;
}

/**
 * Pins the load generator, every thread of it, to core `cpu` (all cores when undefined): true
 * when taskset could.
 */
export function pinLoadGenerator(cpu: number | undefined): boolean {
  const cores = cpu === undefined ? `0-${availableParallelism() - 1}` : String(cpu);
  try {
    execFileSync('taskset', ['-a', '-cp', cores, String(loadGenerator().pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Stops the load generator (the bench's end). */
export function stopLoadGenerator(): void {
  generator?.disconnect();
  generator = undefined;
}

/** Runs one job in the load generator; `onStarted` is called as its clock starts. */
function generate(request: GeneratorRequest, onStarted: () => void): Promise<GeneratorReport & { kind: 'finished' }> {
  const child = loadGenerator();
  child.ref();
  child.channel?.ref();
  return new Promise((resolve, reject) => {
    const listen = (report: GeneratorReport) => {
      if (report.kind === 'started') return onStarted();
      child.off('message', listen);
      child.unref();
      child.channel?.unref();
      if (report.kind === 'failed') reject(new Error(`the load generator failed: ${report.message}`));
      else resolve(report);
    };
    child.on('message', listen);
    child.send(request);
  });
}

/** `rate`: requests per second offered in all, when the load should not be as fast as the server answers. */
export async function load(url: string, traffic: Traffic, seconds: number, connections: number, rate?: number): Promise<Figures> {
  return loadTargets([{ url, connections }], traffic, seconds, [], rate);
}

/**
 * The same load spread over several servers at once (the connections shared out), as a load
 * balancer would: req/s summed, p99 the worst, and the CPU time that the servers' processes used
 * per request.
 */
export async function loadAcross(servers: Server[], traffic: Traffic, seconds: number, connections: number): Promise<Figures> {
  const targets = servers.map(({ url }, index) => ({ url, connections: Math.floor((connections + index) / servers.length) }));
  return loadTargets(targets, traffic, seconds, servers);
}

async function loadTargets(
  targets: GeneratorRequest['targets'],
  traffic: Traffic,
  seconds: number,
  servers: Server[],
  rate?: number,
): Promise<Figures> {
  // Enough signed deliveries for twice the rate last seen (a warm-up runs slower than what
  // follows); 10,000 req/s where none was seen.
  const rateKey = (url: string) => `${url} ${traffic.template.length}`;
  const expected = targets.reduce((sum, { url }) => sum + (lastRates.get(rateKey(url)) ?? 10_000), 0);
  const pool = Math.min(Math.ceil((rate ?? expected * 2) * seconds) + 2000, Math.floor(poolBytes / traffic.template.length));
  let cpuBefore: number[] = [];
  let started = 0;
  const report = await generate({ targets, traffic, seconds, rate, pool }, () => {
    cpuBefore = servers.map((server) => server.cpuSeconds());
    started = performance.now();
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = servers.reduce((sum, server, index) => sum + server.cpuSeconds() - cpuBefore[index]!, 0);
  report.targets.forEach(({ requestsPerSecond }, index) => lastRates.set(rateKey(targets[index]!.url), requestsPerSecond));
  const each = report.targets;
  const requests = each.reduce((sum, figures) => sum + figures.requests, 0);
  const statusCodes: Record<string, number> = {};
  for (const figures of each) {
    for (const [status, count] of Object.entries(figures.statusCodes)) statusCodes[status] = (statusCodes[status] ?? 0) + count;
  }
  return {
    requestsPerSecond: each.reduce((sum, figures) => sum + figures.requestsPerSecond, 0),
    p50: Math.max(...each.map((figures) => figures.p50)),
    p99: Math.max(...each.map((figures) => figures.p99)),
    errors: each.reduce((sum, figures) => sum + figures.errors, 0),
    requests,
    ...(servers.length === 0 ? {} : { cpuPerRequest: (cpuSeconds / requests) * 1e6, serverCores: cpuSeconds / wallSeconds }),
    generatorCores: report.cpuSeconds / report.wallSeconds,
    statusCodes,
    failures: report.failures,
    signedUnderLoad: report.signedUnderLoad,
  };
}

export const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;

/** What one call of `work` costs in this process, in nanoseconds: the median of 5 runs of `iterations` calls. */
export function nanosecondsPerCall(iterations: number, work: (index: number) => unknown): number {
  const runs = Array.from({ length: 5 }, () => {
    const started = performance.now();
    for (let index = 0; index < iterations; index += 1) work(index);
    return ((performance.now() - started) * 1e6) / iterations;
  });
  return median(runs);
}

const medianOf = (all: Figures[], pick: (f: Figures) => number | undefined) =>
  all.some((f) => pick(f) === undefined) ? undefined : median(all.map((f) => pick(f)!));

export function medianFigures(all: Figures[]): Figures {
  const statusCodes: Record<string, number> = {};
  for (const f of all)
    for (const [status, count] of Object.entries(f.statusCodes)) statusCodes[status] = (statusCodes[status] ?? 0) + count;
  const cpuPerRequest = medianOf(all, (f) => f.cpuPerRequest);
  const serverCores = medianOf(all, (f) => f.serverCores);
  return {
    requestsPerSecond: median(all.map((f) => f.requestsPerSecond)),
    p50: median(all.map((f) => f.p50)),
    p99: median(all.map((f) => f.p99)),
    errors: all.reduce((sum, f) => sum + f.errors, 0),
    requests: all.reduce((sum, f) => sum + f.requests, 0),
    ...(cpuPerRequest === undefined ? {} : { cpuPerRequest }),
    ...(serverCores === undefined ? {} : { serverCores }),
    generatorCores: median(all.map((f) => f.generatorCores)),
    statusCodes,
    failures: all.flatMap((f) => f.failures),
    signedUnderLoad: all.reduce((sum, f) => sum + f.signedUnderLoad, 0),
  };
}
