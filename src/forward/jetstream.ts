// Forwarding to NATS JetStream. The stream is created if missing, with an explicit duplicate
// window; each message's `Nats-Msg-Id` is the delivery id, so that JetStream keeps one copy of a
// delivery published again inside that window (after a crash between its ack and the settlement).
// nats.js reconnects by itself once connected; the first connection, and the stream after any
// reconnect, are probed every second until they work.
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { withoutPassword } from '../config/reader.ts';
import { ProbedForwarder, type Forwarder, type PublishOutcome } from './forwarder.ts';
import type { ForwardedMessage } from './message.ts';
import type { ForwardSettings } from './settings.ts';
import { subjectOf } from './subject.ts';

/** How long a publish waits for JetStream's ack before the broker counts as unreachable. */
const ackTimeoutMs = 5000;

export class JetStreamForwarder extends ProbedForwarder implements Forwarder {
  readonly broker = 'nats';
  readonly #settings: ForwardSettings;
  readonly #logger: Logger;
  #connection: NatsConnection | undefined;
  #client: JetStreamClient | undefined;
  /** False between a disconnect and nats.js's reconnect. */
  #connected = false;
  #warnedAboutWindow = false;

  constructor(settings: ForwardSettings, logger: Logger) {
    super(settings.url, { kind: 'stream', name: settings.stream });
    this.#settings = settings;
    this.#logger = logger;
  }

  async publish(message: ForwardedMessage): Promise<PublishOutcome> {
    this.requireAvailable();
    const client = this.#client!;
    const messageHeaders = headers();
    messageHeaders.set('Content-Type', 'application/json');
    messageHeaders.set('Ada-Event-Type', message.eventType);
    messageHeaders.set('Ada-Lane', message.lane);
    messageHeaders.set('Ada-Received-At', message.receivedAt.toISOString());
    for (const [name, value] of Object.entries(message.traceContext)) messageHeaders.set(name, value);
    try {
      const ack = await client.publish(subjectOf(this.#settings.subject, message), message.body, {
        msgID: message.id,
        headers: messageHeaders,
        timeout: ackTimeoutMs,
      });
      return ack.duplicate ? 'duplicate' : 'published';
    } catch (error) {
      // JetStream answered, and refused this message (too large, a subject its stream does not take...).
      if (error instanceof JetStreamApiError) throw error;
      // No answer: a timeout, a cut connection, no stream listening (JetStream starting up).
      throw this.unreachable(error);
    }
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
        servers: this.#settings.url,
        name: 'ada-webhooks',
        timeout: 2000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      });
      this.#connection = connection;
      this.#connected = true;
      void this.#followStatus(connection).catch(() => {});
    }
    if (!this.#connected) throw this.reconnecting();
    await this.#ensureStream(this.#connection);
    this.#client ??= jetstream(this.#connection, { timeout: ackTimeoutMs });
  }

  async #followStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
        this.lost(`disconnected from ${withoutPassword(this.#settings.url)}`);
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        void this.connect().catch(() => {});
      }
    }
  }

  async #ensureStream(connection: NatsConnection): Promise<void> {
    const { stream, subject, duplicateWindowSeconds } = this.#settings;
    const manager = await jetstreamManager(connection, { timeout: 2000 });
    const existing = await manager.streams.info(stream).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.status === 404) return undefined;
      throw error;
    });
    if (!existing) {
      await manager.streams.add({
        name: stream,
        subjects: [subject.streamSubject],
        duplicate_window: nanos(duplicateWindowSeconds * 1000),
      });
      this.#logger.info(
        { stream, subjects: [subject.streamSubject], duplicateWindowSeconds },
        `created the JetStream stream ${stream} for forwarded deliveries`,
      );
      return;
    }
    const window = existing.config.duplicate_window / 1e9;
    if (window < duplicateWindowSeconds && !this.#warnedAboutWindow) {
      this.#warnedAboutWindow = true;
      this.#logger.warn(
        { stream, duplicateWindowSeconds: window, configured: duplicateWindowSeconds },
        `the stream ${stream} remembers message ids for ${window} s, less than the ${duplicateWindowSeconds} s configured: a delivery published again after a crash may be stored twice; raise the stream's duplicate_window`,
      );
    }
  }
}
