// The load: distinct, correctly signed message events from autocannon, spread over a number of
// conversations, and the figures it reports.
import autocannon from 'autocannon';
import { loadContract } from '../../src/contract/document.ts';
import { createSigner } from '../../src/intake/signature.ts';
import { benchSecret, type Server } from './servers.ts';

export interface Traffic {
  /** A message event with `__ID__`, `__CONVERSATION__` and `__TIMESTAMP__` where each delivery's values go. */
  template: string;
  /** The conversations that the deliveries go to in turn; one is a single busy conversation. */
  conversations: readonly string[];
}

/** One side of a comparison: one server, or several that share the load as behind a load balancer. */
export interface Side {
  name: string;
  servers: Server[];
  traffic: Traffic;
  /** The run's connections for each server rather than shared out among them: load enough to fill every replica. */
  connectionsEach?: boolean;
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
}

const sign = createSigner(benchSecret);

/** A `v1.conversation.message` of about `size` bytes. */
export function messageTemplate(size: number): string {
  const event = structuredClone(loadContract().components.examples['ConversationMessageText']!.value) as {
    timestamp: string;
    data: { message_id: string; conversation_id: string; content: { body: string } };
  };
  event.timestamp = '__TIMESTAMP__';
  event.data.message_id = '__ID__';
  event.data.conversation_id = '__CONVERSATION__';
  event.data.content.body = '';
  // The placeholders' values: a UUID, a conversation id of about 24 characters and an ISO timestamp.
  const overhead = Buffer.byteLength(JSON.stringify(event)) - '__ID____CONVERSATION____TIMESTAMP__'.length + 36 + 24 + 24;
  event.data.content.body = 'Where is my order? '.repeat(size).slice(0, Math.max(0, size - overhead));
  return JSON.stringify(event);
}

let sent = 0;

/** A body of `traffic`: a fresh message id, the next conversation in turn, the current time. */
export function nextBody({ template, conversations }: Traffic): string {
  sent += 1;
  return template
    .replace('__ID__', crypto.randomUUID())
    .replace('__CONVERSATION__', conversations[sent % conversations.length]!)
    .replace('__TIMESTAMP__', new Date().toISOString());
}

/** `rate`: requests per second offered in all, when the load should not be as fast as the server answers. */
export async function load(url: string, traffic: Traffic, seconds: number, connections: number, rate?: number): Promise<Figures> {
  const result = await autocannon({
    url: `${url}/webhooks/ada`,
    method: 'POST',
    connections,
    duration: seconds,
    ...(rate === undefined ? {} : { overallRate: rate }),
    requests: [
      {
        setupRequest: (request) => {
          const body = nextBody(traffic);
          const id = `msg_bench_${process.pid}_${sent}`;
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
    requests: result.requests.total,
  };
}

/**
 * The same load spread over several servers at once (the connections shared out), as a load
 * balancer would: req/s summed, p99 the worst, and the CPU time that the servers' processes used
 * per request.
 */
export async function loadAcross(servers: Server[], traffic: Traffic, seconds: number, connections: number): Promise<Figures> {
  const cpuBefore = servers.map((server) => server.cpuSeconds());
  const each = await Promise.all(
    servers.map(({ url }, index) => load(url, traffic, seconds, Math.floor((connections + index) / servers.length))),
  );
  const cpuSeconds = servers.reduce((sum, server, index) => sum + server.cpuSeconds() - cpuBefore[index]!, 0);
  const requests = each.reduce((sum, figures) => sum + figures.requests, 0);
  return {
    requestsPerSecond: each.reduce((sum, figures) => sum + figures.requestsPerSecond, 0),
    p50: Math.max(...each.map((figures) => figures.p50)),
    p99: Math.max(...each.map((figures) => figures.p99)),
    errors: each.reduce((sum, figures) => sum + figures.errors, 0),
    requests,
    cpuPerRequest: (cpuSeconds / requests) * 1e6,
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

export const medianFigures = (all: Figures[]): Figures => ({
  requestsPerSecond: median(all.map((f) => f.requestsPerSecond)),
  p50: median(all.map((f) => f.p50)),
  p99: median(all.map((f) => f.p99)),
  errors: all.reduce((sum, f) => sum + f.errors, 0),
  requests: all.reduce((sum, f) => sum + f.requests, 0),
  cpuPerRequest: all.some((f) => f.cpuPerRequest === undefined) ? undefined : median(all.map((f) => f.cpuPerRequest!)),
});
