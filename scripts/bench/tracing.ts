// Tracing figures: the receiver as users run it with tracing off, against the same receiver at
// another revision (`--baseline`: what the tracing calls cost when nothing traces), then with the
// SDK set up from the OTEL_* variables, exporting OTLP (http/protobuf, the default protocol) to a
// collector stand-in that takes and drops what it gets: every trace sampled, one in ten, and one
// in ten without the HTTP server span.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClaimedDelivery } from '../../src/inbox/inbox.ts';
import {
  endProcessSpan,
  endReceiveSpan,
  inActiveSpan,
  startProcessSpan,
  startReceiveSpan,
  traceContextOf,
} from '../../src/operations/tracing.ts';
import type { Figures, Traffic } from './load.ts';
import { startReceiver, startServer, type Server } from './servers.ts';

interface Side {
  name: string;
  servers: Server[];
  traffic: Traffic;
}

type Compare = (label: string, first: Side, second: Side) => Promise<{ base: Figures; measured: Figures }>;

interface TracingBenchOptions {
  compare: Compare;
  traffic: Traffic;
  /** A DATABASE_URL of an inbox of its own. */
  freshInbox: (name: string) => string;
  /** A git revision to compare tracing off with, or none. */
  baseline: string | undefined;
}

const root = new URL('../..', import.meta.url).pathname;

/** A collector stand-in on a loopback port: reads every export and answers 200, as a collector does. */
async function startCollector() {
  let exports = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      exports += 1;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The project at `revision`, checked out beside this one, sharing its node_modules. */
function checkOut(revision: string) {
  const directory = mkdtempSync(join(tmpdir(), 'ada-bench-baseline-'));
  execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', '--force', directory, revision], { stdio: 'ignore' });
  symlinkSync(join(root, 'node_modules'), join(directory, 'node_modules'));
  return {
    main: join(directory, 'src/main.ts'),
    remove() {
      execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', directory], { stdio: 'ignore' });
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * What the tracing calls of one delivery cost when no SDK is registered (as in this process): its
 * receive span and one attempt's process span, in nanoseconds, the median of a few runs.
 */
function callsWithoutSdk(): number {
  const delivery: ClaimedDelivery = {
    id: 'msg_bench',
    eventType: 'v1.conversation.message',
    body: '{}',
    receivedAt: new Date(),
    lane: 'conversation:bench',
    attempt: 1,
    forwardedAt: null,
    traceContext: null,
  };
  const facts = { outcome: 'accepted', deliveryId: delivery.id, eventType: 'v1.conversation.message', event: {} };
  const iterations = 1_000_000;
  const runs = Array.from({ length: 5 }, () => {
    const started = performance.now();
    for (let index = 0; index < iterations; index += 1) {
      const receive = startReceiveSpan();
      traceContextOf(receive);
      endReceiveSpan(receive, facts);
      const attempt = startProcessSpan(delivery, 'v1.conversation.message');
      inActiveSpan(attempt, () => index);
      endProcessSpan(attempt.span, 'done');
    }
    return ((performance.now() - started) * 1e6) / iterations;
  });
  return runs.sort((a, b) => a - b)[2]!;
}

export async function tracingFigures({ compare, traffic, freshInbox, baseline }: TracingBenchOptions): Promise<void> {
  console.log(`\nTracing off: the tracing calls of one delivery (receive span, one attempt) cost ${callsWithoutSdk().toFixed(0)} ns`);
  const collector = await startCollector();
  const traced = (ratio: string, env: Record<string, string>) =>
    startReceiver(freshInbox(`traced-${ratio}`), {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: ratio,
      ...env,
    });
  const off = await startReceiver(freshInbox('tracing-off'));
  const offSide: Side = { name: 'receiver, tracing off', servers: [off], traffic };
  try {
    if (baseline === undefined) {
      console.log('\nTracing off against another revision: skipped (give --baseline <git revision>)');
    } else {
      const checkout = checkOut(baseline);
      const before = await startServer(checkout.main, { DATABASE_URL: freshInbox('baseline'), LOG_LEVEL: 'warn' });
      try {
        await compare(
          `Tracing off, against the receiver at ${baseline}`,
          { name: `receiver at ${baseline}`, servers: [before], traffic },
          offSide,
        );
      } finally {
        await before.stop();
        checkout.remove();
      }
    }
    for (const [ratio, share, env] of [
      ['1', 'every trace', {}],
      ['0.1', 'one in ten', {}],
      ['0.1', '1 in 10, no HTTP span', { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' }],
    ] as const) {
      const on = await traced(ratio, env);
      const exportsBefore = collector.exports();
      await compare(`Tracing on, OTLP http/protobuf, traces sampled: ${share}`, offSide, {
        name: `receiver, traced: ${share}`,
        servers: [on],
        traffic,
      });
      await on.stop();
      console.log(`  the collector took ${collector.exports() - exportsBefore} exports`);
    }
  } finally {
    await off.stop();
    await collector.close();
  }
}
