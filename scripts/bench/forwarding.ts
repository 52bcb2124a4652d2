// Forwarding figures: the receiver as users run it with FORWARD_URL against the same receiver
// without, under the same load (intake rate, CPU per delivery, how far forwarding falls behind),
// then the rate at which the lanes drain a backlog into the broker. Each broker gets a stream
// or an exchange (with a queue bound) of its own, removed afterwards.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { load, type Compare, type Traffic } from './load.ts';
import { pendingDeliveries, seedPending } from './seed.ts';
import { startReceiver, startServer } from './servers.ts';

/** Steady loads below the receiver's own limit, as real traffic comes: does forwarding keep up? */
const offeredRates = [1000, 2000, 3000];

interface BrokerTarget {
  name: string;
  env: Record<string, string>;
  /** Messages the broker holds for this run. */
  held(): Promise<number>;
  remove(): Promise<void>;
}

async function jetStreamTarget(): Promise<BrokerTarget> {
  const tag = crypto.randomUUID().slice(0, 8);
  const stream = `ADA_BENCH_${tag}`;
  const connection = await connect({ servers: 'nats://127.0.0.1:4222' });
  const manager = await jetstreamManager(connection);
  return {
    name: 'NATS JetStream',
    env: { FORWARD_URL: 'nats://127.0.0.1:4222', FORWARD_STREAM: stream, FORWARD_SUBJECT: `adabench${tag}.{type}` },
    held: async () => (await manager.streams.info(stream).catch(() => undefined))?.state.messages ?? 0,
    async remove() {
      await manager.streams.delete(stream).catch(() => {});
      await connection.close();
    },
  };
}

async function rabbitMqTarget(): Promise<BrokerTarget> {
  const exchange = `ada-bench-${crypto.randomUUID().slice(0, 8)}`;
  const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(exchange, { durable: true });
  await channel.bindQueue(exchange, exchange, '#');
  return {
    name: 'RabbitMQ',
    env: { FORWARD_URL: 'amqp://guest:guest@127.0.0.1:5672', FORWARD_EXCHANGE: exchange },
    held: async () => (await channel.checkQueue(exchange)).messageCount,
    async remove() {
      await channel.deleteQueue(exchange);
      await channel.deleteExchange(exchange);
      await connection.close();
    },
  };
}

/** A count read from the inbox's file. */
function countIn(path: string, where: string): number {
  const db = new DatabaseSync(path, { readOnly: true, timeout: 1000 });
  try {
    return (db.prepare(`SELECT count(*) AS count FROM deliveries WHERE ${where}`).get() as { count: number }).count;
  } finally {
    db.close();
  }
}

/** Pending deliveries not forwarded yet. */
const unforwarded = (path: string) => countIn(path, `state = 'pending' AND forwarded_at IS NULL`);

/** Deliveries the inbox took in. */
const accepted = (path: string) => countIn(path, 'true');

/** Seconds until nothing waits to be forwarded, polling every 100 ms; at most `limitSeconds`. */
async function secondsUntilForwarded(path: string, limitSeconds: number): Promise<number> {
  const started = performance.now();
  while (unforwarded(path) > 0 && performance.now() - started < limitSeconds * 1000) await sleep(100);
  return (performance.now() - started) / 1000;
}

export interface ForwardingBench {
  compare: Compare;
  traffic: Traffic;
  /** A fresh inbox's file path. */
  inboxPath: (name: string) => string;
  seconds: number;
  connections: number;
  backlog: number;
}

export async function forwardingFigures({ compare, traffic, inboxPath, seconds, connections, backlog }: ForwardingBench): Promise<void> {
  for (const target of [await jetStreamTarget(), await rabbitMqTarget()]) {
    try {
      const forwardingInbox = inboxPath('forwarding');
      const [plain, forwarding] = await Promise.all([
        startReceiver(`sqlite:${inboxPath('plain')}`),
        startReceiver(`sqlite:${forwardingInbox}`, target.env),
      ]);
      const { measured } = await compare(
        `Forwarding to ${target.name}: the receiver as users run it, without and with FORWARD_URL`,
        { name: 'receiver', servers: [plain], traffic },
        { name: `receiver forwarding to ${target.name}`, servers: [forwarding], traffic },
      );
      const behind = unforwarded(forwardingInbox);
      const caughtUp = await secondsUntilForwarded(forwardingInbox, 120);
      console.log(
        `  at that load (${Math.round(measured.requestsPerSecond)} req/s), when it stopped: ${behind} accepted deliveries not forwarded yet; none ${caughtUp.toFixed(1)} s later; the broker holds ${await target.held()} of the ${accepted(forwardingInbox)} accepted`,
      );
      await Promise.all([plain.stop(), forwarding.stop()]);

      for (const rate of offeredRates) {
        const path = inboxPath(`forward-rate-${rate}`);
        const server = await startReceiver(`sqlite:${path}`, target.env);
        const figures = await load(server.url, traffic, seconds, connections, rate);
        const behindAtEnd = unforwarded(path);
        const settled = await secondsUntilForwarded(path, 120);
        console.log(
          `  ${rate} req/s offered for ${seconds} s: ${Math.round(figures.requestsPerSecond)} req/s taken, p99 ${figures.p99} ms; ${behindAtEnd} not forwarded when the load stopped, none ${settled.toFixed(1)} s later`,
        );
        await server.stop();
      }

      for (const concurrency of ['8', '64']) {
        const path = inboxPath(`forward-backlog-${concurrency}`);
        await seedPending(path, pendingDeliveries(traffic, backlog, `forward_${concurrency}`));
        const server = await startServer('scripts/bench/receiver.ts', {
          DATABASE_URL: `sqlite:${path}`,
          LOG_LEVEL: 'warn',
          DISPATCHER_CONCURRENCY: concurrency,
          ...target.env,
        });
        const cpuBefore = server.cpuSeconds();
        const drained = await secondsUntilForwarded(path, 300);
        const cpu = server.cpuSeconds() - cpuBefore;
        const left = unforwarded(path);
        console.log(
          `  a backlog of ${backlog} over 1,000 conversations, no-op handlers, DISPATCHER_CONCURRENCY=${concurrency}: ${Math.round((backlog - left) / drained)} deliveries/s into ${target.name}, CPU ${Math.round((cpu / (backlog - left)) * 1e6)} µs per delivery${left > 0 ? ` (${left} left after ${drained.toFixed(0)} s)` : ''}`,
        );
        await server.stop();
      }
    } finally {
      await target.remove();
    }
  }
}
