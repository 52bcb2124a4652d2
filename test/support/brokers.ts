// The brokers that forwarding runs against, each test with a stream or an exchange of its own,
// removed afterwards: NATS JetStream on 127.0.0.1:4222, RabbitMQ on 127.0.0.1:5672; and a RabbitMQ
// server of a test's own, to configure (a NATS server of a test's own: soak/faults/nats-server.ts).
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, nanos } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { eventually } from './eventually.ts';

export const natsPort = Number(process.env['TEST_NATS_PORT'] ?? 4222);
export const rabbitPort = Number(process.env['TEST_RABBITMQ_PORT'] ?? 5672);

/** One message as a consumer gets it. */
export interface ForwardedCopy {
  id: string;
  body: string;
  /** The subject (JetStream) or the routing key (RabbitMQ). */
  route: string;
  headers: Record<string, string>;
}

export interface TestBroker {
  /** createReceiver's options for this test's stream or exchange, through `port` (a proxy's) when given. */
  options(port?: number): Record<string, string | number>;
  /** The same as the service's environment. */
  env(port?: number): Record<string, string>;
  /** Every message it holds for this test, in the order it holds them; on JetStream, only those on `subject` when given (wildcards allowed). */
  messages(subject?: string): Promise<ForwardedCopy[]>;
  destroy(): Promise<void>;
}

export interface BrokerOptions {
  duplicateWindowSeconds?: number;
  /** JetStream: the subject template after the test's own first token (`{type}` by default). */
  subject?: string;
}

export interface BrokerBackend {
  name: string;
  broker: 'nats' | 'rabbitmq';
  port: number;
  create(options?: BrokerOptions): Promise<TestBroker>;
}

const environmentOf = (options: Record<string, string | number>) =>
  Object.fromEntries(
    Object.entries(options).map(([option, value]) => [option.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase(), String(value)]),
  );

/** A JetStream stream of its own, on subjects of its own: streams may not share subjects. */
export async function jetStreamBroker(
  port = natsPort,
  { duplicateWindowSeconds, subject = '{type}' }: BrokerOptions = {},
): Promise<TestBroker> {
  const tag = randomUUID().slice(0, 8);
  const stream = `ADA_TEST_${tag}`;
  const connection = await connectNats({ servers: `nats://127.0.0.1:${port}`, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const options = (through = port) => ({
    forwardUrl: `nats://127.0.0.1:${through}`,
    forwardStream: stream,
    forwardSubject: `adatest${tag}.${subject}`,
    ...(duplicateWindowSeconds ? { forwardDuplicateWindowSeconds: duplicateWindowSeconds } : {}),
  });
  return {
    options,
    env: (through) => environmentOf(options(through)),
    async messages(subject) {
      const manager = await jetstreamManager(connection);
      const info = await manager.streams.info(stream, subject ? { subjects_filter: subject } : {}).catch(() => undefined);
      const copies: ForwardedCopy[] = [];
      const held = subject ? Object.values(info?.state.subjects ?? {}).reduce((sum, count) => sum + count, 0) : (info?.state.messages ?? 0);
      if (held === 0) return copies;
      // A consumer of the subject alone, as a consumer of one conversation would subscribe (filter_subjects needs NATS 2.10).
      const filtered =
        subject &&
        (await manager.consumers.add(stream, { filter_subject: subject, ack_policy: AckPolicy.None, inactive_threshold: nanos(60_000) }));
      const consumer = await jetstream(connection).consumers.get(stream, filtered ? filtered.name : undefined);
      while (copies.length < held) {
        const batch = await consumer.fetch({ max_messages: held - copies.length, expires: 2000 });
        for await (const message of batch) {
          const headers = Object.fromEntries([...(message.headers?.keys() ?? [])].map((name) => [name, message.headers!.get(name)]));
          copies.push({ id: headers['Nats-Msg-Id'] ?? '', body: message.string(), route: message.subject, headers });
        }
      }
      return copies;
    },
    async destroy() {
      const manager = await jetstreamManager(connection);
      await manager.streams.delete(stream).catch(() => {});
      await connection.close();
    },
  };
}

/** A topic exchange of its own, with a queue bound to every routing key that the test reads. */
export async function rabbitMqBroker(port = rabbitPort, { bindQueue = true } = {}): Promise<TestBroker> {
  const tag = randomUUID().slice(0, 8);
  const exchange = `ada-test-${tag}`;
  const queue = `ada-test-${tag}`;
  const connection = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const copies: ForwardedCopy[] = [];
  if (bindQueue) {
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (message) => {
      if (!message) return;
      const headers = Object.fromEntries(Object.entries(message.properties.headers ?? {}).map(([name, value]) => [name, String(value)]));
      headers['content-type'] = String(message.properties.contentType);
      headers['type'] = String(message.properties.type);
      copies.push({
        id: String(message.properties.messageId),
        body: message.content.toString(),
        route: message.fields.routingKey,
        headers,
      });
      channel.ack(message);
    });
  }
  const options = (through = port) => ({ forwardUrl: `amqp://guest:guest@127.0.0.1:${through}`, forwardExchange: exchange });
  return {
    options,
    env: (through) => environmentOf(options(through)),
    messages: async () => [...copies],
    async destroy() {
      await channel.deleteQueue(queue).catch(() => {});
      await channel.deleteExchange(exchange).catch(() => {});
      await connection.close();
    },
  };
}

export const brokerBackends: BrokerBackend[] = [
  { name: 'NATS JetStream', broker: 'nats', port: natsPort, create: (options) => jetStreamBroker(natsPort, options) },
  { name: 'RabbitMQ', broker: 'rabbitmq', port: rabbitPort, create: () => rabbitMqBroker(rabbitPort) },
];

/** Whether a server on loopback accepts a connection on `port` now. */
export const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
    socket.unref();
    setTimeout(() => socket.destroy(), 100);
  });

/** Resolves once a server accepts connections on `port`. */
export async function accepting(port: number, timeoutMs: number): Promise<void> {
  await eventually(() => accepts(port), timeoutMs);
}

export interface PrivateRabbitMq {
  port: number;
  stop(): Promise<void>;
}

/**
 * A RabbitMQ node of the test's own on `port` (guest/guest, from loopback), with `config` lines
 * added to its rabbitmq.conf and everything it stores in `directory`; resolves once it accepts
 * connections, which takes a few seconds.
 */
export async function startRabbitMqServer(
  port: number,
  distributionPort: number,
  directory: string,
  config: string[],
): Promise<PrivateRabbitMq> {
  const configFile = join(directory, 'rabbitmq.conf');
  writeFileSync(configFile, [`listeners.tcp.default = 127.0.0.1:${port}`, ...config, ''].join('\n'));
  writeFileSync(join(directory, 'enabled_plugins'), '[].\n');
  const server = spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], {
    stdio: 'ignore',
    // A process group of its own: the script starts the Erlang VM as its child.
    detached: true,
    env: {
      ...process.env,
      HOME: directory,
      RABBITMQ_NODENAME: `ada-test-${port}@localhost`,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distributionPort),
      RABBITMQ_CONFIG_FILE: configFile,
      RABBITMQ_ENABLED_PLUGINS_FILE: join(directory, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(directory, 'mnesia'),
      RABBITMQ_LOG_BASE: join(directory, 'log'),
      RABBITMQ_PID_FILE: join(directory, 'rabbitmq.pid'),
    },
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await accepting(port, 60_000);
  return {
    port,
    async stop() {
      process.kill(-server.pid!, 'SIGTERM');
      await exited;
    },
  };
}
