// Forwarding to NATS JetStream. The stream is created if missing, with an explicit duplicate
// window; each message's `Nats-Msg-Id` is the delivery id, so that JetStream keeps one copy of a
// delivery published again inside that window (after a crash between its ack and the settlement).
// nats.js reconnects by itself once connected; the first connection, and the stream after any
// reconnect, are probed every second until they work. A stream that exists already must take the
// subjects forwarded: one that does not is a configuration to fix, and nothing is published.
//
// What NATS would refuse is refused before it is sent: the server closes the connection of a
// client that sends a line or a message past its limits, which would look like an outage. What the
// stream refuses for want of room (see stream-room.ts), or a publish that nothing in JetStream
// answers, is the stream's condition: nothing is published until a probe finds that it takes
// messages again.
import {
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import {
  AuthorizationError,
  connect,
  InvalidArgumentError,
  MsgHdrsImpl,
  nanos,
  RequestError,
  type NatsConnection,
} from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { withoutPassword } from '../support/settings-reader.ts';
import { confirmTimeoutMs, CredentialsRefused, MessageRefused, ProbedForwarder, type Forwarder, type PublishOutcome } from './forwarder.ts';
import type { ForwardedMessage } from './message.ts';
import type { ForwardSettings } from './settings.ts';
import { neverFits, noRoom, refusesEveryMessage, storedMessage, type StoredMessage } from './stream-room.ts';
import { maxSubjectBytes, subjectCovers, subjectOf } from './subject.ts';

/** The room that a delivery's headers take beside its body, with ids of ordinary length: a few hundred bytes, and a margin. */
const headerAllowanceBytes = 1024;

export class JetStreamForwarder extends ProbedForwarder implements Forwarder {
  readonly broker = 'nats';
  readonly #settings: ForwardSettings;
  readonly #logger: Logger;
  #connection: NatsConnection | undefined;
  #client: JetStreamClient | undefined;
  /** False between a disconnect and nats.js's reconnect. */
  #connected = false;
  #warnedAboutWindow = false;
  /** The largest body accepted, held against the server's max_payload. */
  readonly #bodyLimitBytes: number;
  /** The max_payload that the body limit was last held against. */
  #maxPayloadChecked: number | undefined;
  /** Rejects each publish that waits for its ack: called when the connection drops, after which no ack can come. */
  readonly #awaitingAck = new Set<(error: Error) => void>();
  /** The stream's configuration, as the last probe found it. */
  #stream: StreamInfo['config'] | undefined;
  /** The last message that the stream refused for a reason of its own: the probe looks for room for it. */
  #refused: StoredMessage | undefined;

  constructor(settings: ForwardSettings, logger: Logger, bodyLimitBytes: number) {
    super(settings.url, { kind: 'stream', name: settings.stream });
    this.#settings = settings;
    this.#logger = logger;
    this.#bodyLimitBytes = bodyLimitBytes;
  }

  async publish(message: ForwardedMessage): Promise<PublishOutcome> {
    this.requireAvailable();
    const client = this.#client!;
    const subject = subjectOf(this.#settings.subject, message);
    const body = Buffer.from(message.body);
    const messageHeaders = natsHeaders(message);
    const headerBytes = this.#checkSizes(subject, body, messageHeaders);
    try {
      const ack = await this.#whileConnected(client.publish(subject, body, { headers: messageHeaders, timeout: confirmTimeoutMs }));
      this.took();
      return ack.duplicate ? 'duplicate' : 'published';
    } catch (error) {
      // JetStream answered, and refused the message (nats.js reports "not enabled for account" with the API's error as the cause).
      const refusal = error instanceof JetStreamApiError ? error : (error as Error).cause;
      if (refusal instanceof JetStreamApiError) throw this.#refusal(refusal, subject, headerBytes + body.length);
      // The client refused it before sending anything.
      if (error instanceof InvalidArgumentError)
        throw new MessageRefused(`the NATS client refused the message: ${error.message}`, { cause: error });
      // The connection is up, and nothing listens on the subject: the stream went, or stopped taking it (nats.js says "jetstream is not enabled").
      if ((error as Error).cause instanceof RequestError && ((error as Error).cause as RequestError).isNoResponders()) {
        this.#refused = undefined;
        throw this.refusingAll(
          error,
          `nothing in JetStream answered a publish on ${subject}: the stream ${this.#settings.stream} is gone, offline, or no longer takes that subject`,
        );
      }
      // No answer: a timeout, a cut connection.
      throw this.unreachable(error);
    }
  }

  /** What a refusal by JetStream means: this message's failure, or the stream's condition (see stream-room.ts). */
  #refusal(error: JetStreamApiError, subject: string, payloadBytes: number): Error {
    if (!refusesEveryMessage(error)) return new MessageRefused(`JetStream refused the message: ${error.message}`, { cause: error });
    // A probe found the stream before anything was published.
    const stream = this.#stream!;
    const stored = storedMessage(stream, subject, payloadBytes);
    const never = neverFits(stream, stored);
    if (never) return new MessageRefused(never, { cause: error });
    this.#refused = stored;
    return this.refusingAll(
      error,
      `the stream ${this.#settings.stream} takes no message now: ${error.message} (JetStream error ${error.code}); deliveries wait in their lanes until it takes messages again`,
    );
  }

  async close(): Promise<void> {
    this.stopProbing();
    // Nothing is subscribed, and every publish under way was awaited by the dispatcher's stop.
    await this.#connection?.close().catch(() => {});
  }

  /** Connects the first time; then checks that the connection is up and the stream is there. */
  protected async prepare(): Promise<void> {
    if (!this.#connection) {
      const connection = await connect({
        ...natsServerOf(this.#settings.url),
        name: 'ada-webhooks',
        timeout: 2000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      }).catch((error: unknown) => {
        if (!(error instanceof AuthorizationError)) throw error;
        throw new CredentialsRefused(`the NATS server refused the credentials of FORWARD_URL (${this.destination}): ${error.message}`, {
          cause: error,
        });
      });
      this.#connection = connection;
      this.#connected = true;
      void this.#followStatus(connection).catch(() => {});
    }
    if (!this.#connected) throw this.reconnecting();
    this.#holdBodyLimitAgainstMaxPayload(this.#connection);
    const manager = await jetstreamManager(this.#connection, { timeout: 2000 });
    const stream = await this.#ensureStream(manager);
    this.#stream = stream.config;
    if (this.#refused) {
      const refused = this.#refused;
      const countOnSubject = async () =>
        (await manager.streams.info(stream.config.name, { subjects_filter: refused.subject })).state.subjects?.[refused.subject] ?? 0;
      const full = await noRoom(stream, refused, countOnSubject);
      if (full) throw new Error(full);
      this.#refused = undefined;
    }
    this.#client ??= jetstream(this.#connection, { timeout: confirmTimeoutMs });
  }

  /**
   * Throws MessageRefused for a subject longer than NATS takes, or a message larger than the
   * server's max_payload; returns the bytes of the headers.
   */
  #checkSizes(subject: string, body: Uint8Array, messageHeaders: MsgHdrsImpl): number {
    const subjectBytes = Buffer.byteLength(subject);
    if (subjectBytes > maxSubjectBytes) {
      throw new MessageRefused(
        `the subject would be ${subjectBytes} bytes, more than the ${maxSubjectBytes} that are forwarded to NATS (a publish's control line holds 4 KiB by default): an id in it is too long`,
      );
    }
    const maxPayload = this.#connection?.info?.max_payload;
    const headerBytes = messageHeaders.encode().length;
    if (maxPayload !== undefined && body.length + headerBytes > maxPayload) {
      throw new MessageRefused(
        `the message would be ${body.length + headerBytes} bytes with its headers (a body of ${body.length} and ${headerBytes} of headers), more than the ${maxPayload} bytes that the NATS server takes (max_payload)`,
      );
    }
    return headerBytes;
  }

  /** Warns once per max_payload when the body limit lets in bodies that the server cannot take with their headers. */
  #holdBodyLimitAgainstMaxPayload(connection: NatsConnection): void {
    const maxPayload = connection.info?.max_payload;
    const bodyLimitBytes = this.#bodyLimitBytes;
    if (maxPayload === undefined || maxPayload === this.#maxPayloadChecked) return;
    this.#maxPayloadChecked = maxPayload;
    if (bodyLimitBytes + headerAllowanceBytes <= maxPayload) return;
    this.#logger.warn(
      { bodyLimitBytes, maxPayload },
      `the NATS server at ${withoutPassword(this.#settings.url)} takes messages of at most ${maxPayload} bytes with their headers (max_payload), and the body limit lets in bodies of ${bodyLimitBytes}: a delivery too large for the server is accepted, then fails to forward and ends dead; raise the server's max_payload to at least ${bodyLimitBytes + headerAllowanceBytes} bytes, or lower the body limit to ${maxPayload - headerAllowanceBytes} bytes`,
    );
  }

  /** `publish`, or a rejection as soon as the connection drops: the ack cannot come any more (a second copy is a duplicate to JetStream). */
  #whileConnected<T>(publish: Promise<T>): Promise<T> {
    const { promise: dropped, reject } = Promise.withResolvers<never>();
    this.#awaitingAck.add(reject);
    return Promise.race([publish, dropped]).finally(() => this.#awaitingAck.delete(reject));
  }

  async #followStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
        for (const reject of this.#awaitingAck) reject(new Error('the connection dropped before the ack'));
        this.lost(`disconnected from ${withoutPassword(this.#settings.url)}`);
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        void this.connect().catch(() => {});
      }
    }
  }

  /** The stream, created if missing; throws when it exists and does not take the subjects forwarded. */
  async #ensureStream(manager: JetStreamManager): Promise<StreamInfo> {
    const { stream, subject, duplicateWindowSeconds } = this.#settings;
    const existing = await manager.streams.info(stream).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.status === 404) return undefined;
      throw error;
    });
    if (!existing) {
      const created = await manager.streams.add({
        name: stream,
        subjects: [subject.streamSubject],
        duplicate_window: nanos(duplicateWindowSeconds * 1000),
      });
      this.#logger.info(
        { stream, subjects: [subject.streamSubject], duplicateWindowSeconds },
        `created the JetStream stream ${stream} for forwarded deliveries`,
      );
      return created;
    }
    const subjects = existing.config.subjects ?? [];
    if (!subjects.some((taken) => subjectCovers(taken, subject.streamSubject))) {
      throw new Error(
        `the stream ${stream} takes the subjects ${subjects.join(', ') || '(none)'}, not ${subject.streamSubject} that the subject template ${subject.text} (FORWARD_SUBJECT) publishes on: add ${subject.streamSubject} to the stream's subjects, or give forwarding a stream of its own (FORWARD_STREAM), or set FORWARD_SUBJECT back to subjects that the stream takes`,
      );
    }
    const window = existing.config.duplicate_window / 1e9;
    if (window < duplicateWindowSeconds && !this.#warnedAboutWindow) {
      this.#warnedAboutWindow = true;
      this.#logger.warn(
        { stream, duplicateWindowSeconds: window, configured: duplicateWindowSeconds },
        `the stream ${stream} remembers message ids for ${window} s, less than the ${duplicateWindowSeconds} s configured: a delivery published again after a crash may be stored twice; raise the stream's duplicate_window`,
      );
    }
    return existing;
  }
}

/**
 * The message's headers. `Nats-Msg-Id` is set here rather than through the client's `msgID`, so
 * that the size checked is the size sent. nats.js refuses CR and LF in a value and trims white
 * space at either end, which would give consumers another value: such a value is refused here.
 */
function natsHeaders(message: ForwardedMessage): MsgHdrsImpl {
  const values: [string, string][] = [
    ['Nats-Msg-Id', message.id],
    ['Content-Type', 'application/json'],
    ['Ada-Event-Type', message.eventType],
    ['Ada-Lane', message.lane],
    ['Ada-Received-At', message.receivedAt.toISOString()],
    ...Object.entries(message.traceContext),
  ];
  const messageHeaders = new MsgHdrsImpl();
  for (const [name, value] of values) {
    if (/[\r\n]/.test(value) || value !== value.trim()) {
      throw new MessageRefused(`the NATS header ${name} cannot hold its value as it is: it has a CR or LF, or white space at either end`);
    }
    messageHeaders.set(name, value);
  }
  return messageHeaders;
}

/**
 * The server and the credentials of a NATS URL: nats.js reads no user or password from a URL, and
 * would connect without them. A user alone is a token, as NATS's own clients read it.
 */
function natsServerOf(url: string): { servers: string; user?: string; pass?: string; token?: string } {
  const { protocol, host, username, password } = new URL(url);
  const servers = `${protocol}//${host}`;
  if (!username) return { servers };
  const user = decodeURIComponent(username);
  return password ? { servers, user, pass: decodeURIComponent(password) } : { servers, token: user };
}
