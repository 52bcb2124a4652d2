// A real receiver on a loopback port, as the service runs it (createReceiver, the service's app
// and HTTP server), over a real inbox: SQLite by default, or any of the backends in
// inbox-backends.ts. Its dispatcher runs only when a test starts it.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadContract } from '../../src/contract/document.ts';
import type { Inbox, NewDelivery } from '../../src/inbox/inbox.ts';
import { createReceiver, inboxOf, type Receiver, type ReceiverOptions } from '../../src/receiver.ts';
import { createServiceApp } from '../../src/service/app.ts';
import { createHttpServer, type HttpLimits } from '../../src/service/http-server.ts';
import { sign } from '../../src/intake/signature.ts';
import { inboxBackends, type InboxBackend, type TestStore } from './inbox-backends.ts';

export const testSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface TestReceiver {
  url: string;
  receiver: Receiver;
  /** The receiver's own inbox, whole: a test seeds it, claims from it, closes it. */
  inbox: Inbox;
  /** The environment that points a command, or a second inbox, at the same store. */
  env: Record<string, string>;
  /** Makes every write of the inbox fail; resolves with what undoes it. */
  refuseWrites(): Promise<() => Promise<void>>;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Settings that make retries and polling fast enough for tests. */
const fastDispatch = { pollIntervalMs: 10, retryBaseMs: 10, maxAttempts: 3, handlerTimeoutSeconds: 1 } satisfies Partial<ReceiverOptions>;

export interface TestReceiverOptions extends Partial<Omit<ReceiverOptions, 'database' | 'logger'>> {
  /** The store (a fresh SQLite file by default). */
  backend?: InboxBackend;
  /** A store that outlives this receiver (another receiver used it before, or will after); `close` leaves it. */
  store?: TestStore;
  http?: Partial<HttpLimits>;
}

export async function startReceiver({
  backend = inboxBackends[0]!,
  store: given,
  http,
  ...options
}: TestReceiverOptions = {}): Promise<TestReceiver> {
  const store = given ?? (await backend.createStore());
  const logs: Record<string, unknown>[] = [];
  const logSink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, logSink);
  const contract = options.contract ?? loadContract();
  const receiver = await createReceiver({ secrets: [testSecret], ...fastDispatch, ...options, ...store.options, contract, logger });
  const limits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5000, ...http };
  const server = createHttpServer(createServiceApp({ receiver, contract, logger, receive: true }), limits).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    receiver,
    inbox: inboxOf(receiver),
    env: store.env,
    refuseWrites: store.refuseWrites,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await receiver.close({ graceMs: 1000 });
      if (!given) await store.destroy();
    },
  };
}

export interface SigningOptions {
  secret?: string;
  id?: string;
  timestamp?: number;
  prefix?: 'svix' | 'webhook';
}

let deliveryCounter = 0;

/** Headers that sign `body` the way Svix does. */
export function signedHeaders(body: string | Buffer, options: SigningOptions = {}): Record<string, string> {
  const { secret = testSecret, prefix = 'svix' } = options;
  const id = options.id ?? `msg_test_${process.pid}_${(deliveryCounter += 1)}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: String(timestamp),
    [`${prefix}-signature`]: sign(secret, id, timestamp, body),
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** POSTs to the webhook endpoint; like Svix, gives up after 15 s without an answer. */
export async function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${url}/webhooks/ada`, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** A signed delivery of `event`; returns the answer and the delivery id. */
export async function deliver(url: string, event: unknown, options: SigningOptions = {}): Promise<Answer & { id: string }> {
  const body = JSON.stringify(event);
  const headers = signedHeaders(body, options);
  const id = headers[`${options.prefix ?? 'svix'}-id`]!;
  return { ...(await post(url, body, headers)), id };
}

export function contractExample(name: string): Record<string, any> {
  return structuredClone(loadContract().components.examples[name]!.value) as Record<string, any>;
}

/** A message event of `conversation`, `sequence` milliseconds into a fixed day: the forwarding tests' traffic, in order. */
export function messageEvent(conversation: string, sequence: number): Record<string, any> {
  const event = contractExample('ConversationMessageText');
  event['data'].conversation_id = conversation;
  event['timestamp'] = new Date(Date.UTC(2026, 11, 1, 9) + sequence).toISOString();
  return event;
}

/** A delivery as the receiver would take it in, for seeding an inbox directly. */
export function storedDelivery(event: Record<string, any>, id: string): NewDelivery {
  return { id, receivedAt: new Date(), headers: { 'svix-id': id }, body: JSON.stringify(event), event };
}

/** Done deliveries, each received when given and in a conversation of its own, as a retention finds them. */
export async function seedDoneDeliveries(inbox: Inbox, receivedAt: Record<string, Date>): Promise<void> {
  await Promise.all(
    Object.entries(receivedAt).map(([id, at], index) => {
      const event = contractExample('ConversationCreated');
      event['data'].conversation_id = `retained_${index}`;
      return inbox.accept({ ...storedDelivery(event, id), receivedAt: at });
    }),
  );
  for (;;) {
    const claimed = await inbox.claim({ owner: 'seed', limit: 500, leaseMs: 60_000 });
    if (claimed.length === 0) return;
    await inbox.settle(
      'seed',
      claimed.map(({ id }) => ({ id, outcome: 'done' as const })),
    );
  }
}
