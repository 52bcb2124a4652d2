// Tracing figures: what the tracing calls cost with no SDK, then the receiver as users run it with
// tracing off against the same receiver with the SDK set up from the OTEL_* variables, exporting
// OTLP (http/protobuf, the default protocol) to a collector stand-in that takes and drops what it
// gets: every trace sampled, and one in ten.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClaimedDelivery } from '../../src/inbox/inbox.ts';
import {
  endProcessSpan,
  endReceiveSpan,
  inActiveSpan,
  startProcessSpan,
  startReceiveSpan,
  traceContextOfSpan,
} from '../../src/telemetry/tracing.ts';
import { nanosecondsPerCall, type Compare, type Side, type Traffic } from './load.ts';
import { startReceiver } from './servers.ts';

interface TracingBenchOptions {
  compare: Compare;
  traffic: Traffic;
  /** A DATABASE_URL of an inbox of its own. */
  freshInbox: (name: string) => string;
}

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
    unreadable: null,
    forwardedAt: null,
    traceContext: null,
  };
  const facts = { outcome: 'accepted', deliveryId: delivery.id, eventType: 'v1.conversation.message', event: {} };
  const headers = { 'content-type': 'application/json', 'svix-id': delivery.id, 'svix-timestamp': '1795424400', 'svix-signature': 'v1,x' };
  return nanosecondsPerCall(1_000_000, (index) => {
    const receive = startReceiveSpan(headers);
    traceContextOfSpan(receive);
    endReceiveSpan(receive, facts);
    const attempt = startProcessSpan(delivery, 'v1.conversation.message');
    inActiveSpan(attempt, () => index);
    endProcessSpan(attempt.span, 'done');
  });
}

export async function tracingFigures({ compare, traffic, freshInbox }: TracingBenchOptions): Promise<void> {
  console.log(`\nTracing off: the tracing calls of one delivery (receive span, one attempt) cost ${callsWithoutSdk().toFixed(0)} ns`);
  const collector = await startCollector();
  const traced = (ratio: string) =>
    startReceiver(freshInbox(`traced-${ratio}`), {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: ratio,
    });
  const off = await startReceiver(freshInbox('tracing-off'));
  const offSide: Side = { name: 'receiver, tracing off', servers: [off], traffic };
  try {
    for (const [ratio, share] of [
      ['1', 'every trace'],
      ['0.1', 'one in ten'],
    ] as const) {
      const on = await traced(ratio);
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
