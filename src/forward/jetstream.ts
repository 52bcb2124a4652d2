// Forwarding to NATS JetStream. The stream is created if missing, with an explicit duplicate
// window; each message's `Nats-Msg-Id` is the delivery id, so that JetStream keeps one copy of a
// delivery published again inside that window (after a crash between its ack and the settlement).
// nats.js reconnects by itself once connected; the first connection, and the stream after any
// reconnect, are probed every second until they work.
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { withoutPassword } from '../config/reader.ts';
import { ProbedAvailability, type Availability } from '../support/availability.ts';
import { BrokerUnavailable, type Forwarder, type PublishOutcome } from './forwarder.ts';
import type { ForwardedMessage } from './message.ts';
import type { ForwardSettings } from './settings.ts';
import { subjectOf } from './subject.ts';

/** How long a publish waits for JetStream's ack before the broker counts as unreachable. */
const ackTimeoutMs = 5000;

export class JetStreamForwarder implements Forwarder {
  readonly broker = 'nats';
  readonly destination: string;
  readonly #settings: ForwardSettings;
  readonly #logger: Logger;
  readonly #availability = new ProbedAvailability(() => this.#prepare());
  #connection: NatsConnection | undefined;
  #client: JetStreamClient | undefined;
  /** False between a disconnect and nats.js's reconnect. */
  #connected = false;
  #closed = false;
  #warnedAboutWindow = false;

  constructor(settings: ForwardSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
    this.destination = `${withoutPassword(settings.url)} stream ${settings.stream}`;
    this.#availability.lost(`not connected to ${withoutPassword(settings.url)} yet`);
  }

  connect(): Promise<void> {
    return this.#availability.check();
  }

  availability(): Availability {
    return this.#availability.current;
  }

  onAvailabilityChange(listener: (availability: Availability) => void): () => void {
    return this.#availability.onChange(listener);
  }

  async publish(message: ForwardedMessage): Promise<PublishOutcome> {
    const client = this.#client;
    const availability = this.#availability.current;
    if (!client || !availability.available) throw new BrokerUnavailable(availability.available ? 'not connected' : availability.reason);
    const messageHeaders = headers();
    messageHeaders.set('Content-Type', 'application/json');
    messageHeaders.set('Ada-Event-Type', message.eventType);
    messageHeaders.set('Ada-Lane', message.lane);
    messageHeaders.set('Ada-Received-At', message.receivedAt.toISOString());
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
      const reason = `could not publish to ${this.destination}: ${(error as Error).message}`;
      this.#availability.lost(reason);
      throw new BrokerUnavailable(reason, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#availability.stop();
    await this.#connection?.drain().catch(() => {});
  }

  /** Connects the first time; then checks that the connection is up and the stream is there. */
  async #prepare(): Promise<void> {
    if (this.#closed) throw new Error('the forwarder is closed');
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
      void this.#followStatus(connection);
    }
    if (!this.#connected) throw new Error(`reconnecting to ${withoutPassword(this.#settings.url)}`);
    await this.#ensureStream(this.#connection);
    this.#client ??= jetstream(this.#connection, { timeout: ackTimeoutMs });
  }

  async #followStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
        this.#availability.lost(`disconnected from ${withoutPassword(this.#settings.url)}`);
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        void this.#availability.check().catch(() => {});
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
