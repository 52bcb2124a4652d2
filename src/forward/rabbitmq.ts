// Forwarding to RabbitMQ: persistent messages to a durable topic exchange (declared if missing)
// on a confirm channel, routed by event type, `message_id` = the delivery id. RabbitMQ keeps no
// memory of message ids, so a delivery published again after a crash reaches consumers twice
// with the same `message_id`: they dedupe on it.
//
// amqplib does not reconnect, and the libraries that do (amqp-connection-manager) keep unsent
// messages in memory while disconnected and send them later: here a publish must fail at once so
// that its delivery waits in its lane, in the store. So the reconnection is this probe, every
// second while the broker is unreachable.
//
// What amqplib or RabbitMQ would refuse is refused before it is sent: amqplib throws in the middle
// of a publish, and RabbitMQ closes the connection on a frame past its limits. RabbitMQ does not
// tell clients its max_message_size: a larger message closes the channel, with every publish under
// way on it, and is refused then.
//
// A nack says nothing of why: a queue full with x-overflow reject-publish refuses every message,
// and one that does not fit a queue's x-max-length-bytes refuses this one. So a nacked delivery is
// a suspect, published alone the next time, and its failure only if nacked then too.
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { confirmTimeoutMs, CredentialsRefused, MessageRefused, ProbedForwarder, type Forwarder, type PublishOutcome } from './forwarder.ts';
import type { ForwardedMessage } from './message.ts';
import type { ForwardSettings } from './settings.ts';

/** RabbitMQ's max_message_size by default since 4.0 (128 MiB from 3.8 to 3.13, more than a body may be). */
const defaultMaxMessageBytes = 16 * 1024 * 1024;

/** The longest AMQP short string (message_id, type, a routing key, a header's name), in bytes. */
const shortStringLimit = 255;

/** amqplib encodes a message's headers in a scratch buffer of 64 KiB, and cuts a larger table short (RabbitMQ then closes the connection). */
const headersTableLimit = 65_536;

/** The frame size that every AMQP peer takes, when the connection does not tell. */
const minimumFrameMax = 4096;

export class RabbitMqForwarder extends ProbedForwarder implements Forwarder {
  readonly broker = 'rabbitmq';
  readonly #settings: ForwardSettings;
  readonly #logger: Logger;
  #connection: ChannelModel | undefined;
  #channel: ConfirmChannel | undefined;
  /** The largest frame of the connection: a message's properties travel in one. */
  #frameMax = minimumFrameMax;
  /** Message ids that the broker returned as unroutable: their confirm follows. */
  readonly #returned = new Set<string>();
  /** Why the broker closed a channel: what its publishes under way are told. */
  readonly #closedWith = new WeakMap<ConfirmChannel, Error>();
  /** The largest body accepted, held against the broker's max_message_size by default. */
  readonly #bodyLimitBytes: number;
  #warnedAboutMaxMessageSize = false;

  constructor(settings: ForwardSettings, logger: Logger, bodyLimitBytes: number) {
    super(settings.url, { kind: 'exchange', name: settings.exchange });
    this.#settings = settings;
    this.#logger = logger;
    this.#bodyLimitBytes = bodyLimitBytes;
  }

  async publish(message: ForwardedMessage): Promise<PublishOutcome> {
    this.requireAvailable();
    const connection = this.#connection!;
    const channel = this.#channel!;
    const routingKey = message.eventType;
    const properties = {
      persistent: true,
      // An exchange with no queue bound for this routing key would drop the message, confirmed.
      mandatory: true,
      messageId: message.id,
      type: message.eventType,
      contentType: 'application/json',
      timestamp: Math.floor(message.receivedAt.getTime() / 1000),
      headers: { 'ada-lane': message.lane, 'ada-received-at': message.receivedAt.toISOString(), ...message.traceContext },
    };
    const refusal = amqpRefusal(properties, this.#frameMax);
    if (refusal) throw new MessageRefused(refusal);
    const confirm = Promise.withResolvers<void>();
    const body = Buffer.from(message.body);
    try {
      channel.publish(this.#settings.exchange, routingKey, body, properties, (error: unknown) =>
        error ? confirm.reject(error) : confirm.resolve(),
      );
    } catch (error) {
      throw this.#brokenByPublish(connection, error as Error);
    }
    try {
      await withinConfirmTimeout(confirm.promise);
    } catch (error) {
      if (this.#channel === channel && (error as Error).message === 'message nacked') {
        throw this.unreachable(
          error,
          `RabbitMQ refused a message (nack) on the exchange ${this.#settings.exchange}: a queue bound to it may be full (x-max-length with x-overflow reject-publish), or unable to take it`,
        );
      }
      const closedWith = this.#closedWith.get(channel);
      const tooLarge = closedWith && tooLargeFor(closedWith, body.length);
      if (tooLarge) throw new MessageRefused(tooLarge, { cause: closedWith });
      throw this.unreachable(error, closedWith && `could not publish to ${this.destination}: ${closedWith.message}`);
    }
    this.took();
    if (this.#returned.delete(message.id)) {
      throw new MessageRefused(
        `no queue is bound to the exchange ${this.#settings.exchange} for the routing key ${routingKey}: RabbitMQ would have dropped the message; bind a queue, then replay`,
      );
    }
    return 'published';
  }

  /**
   * amqplib queues a publish's confirm callback before it encodes the message: after a throw, every
   * later confirm of the channel would settle the wrong message. The connection is closed and the
   * next probe starts clean; the publishes under way are given back.
   */
  #brokenByPublish(connection: ChannelModel, error: Error): Error {
    if (this.#connection === connection) {
      this.#forget();
      void connection.close().catch(() => {});
    }
    // The channel was closed under it: the broker went away.
    if (error.name === 'IllegalOperationError') return this.unreachable(error);
    this.lost(`reconnecting to ${this.destination}: amqplib refused a message and left its channel unusable`);
    return new MessageRefused(`amqplib refused the message: ${error.message}`, { cause: error });
  }

  async close(): Promise<void> {
    this.stopProbing();
    const connection = this.#connection;
    this.#forget();
    await connection?.close().catch(() => {});
  }

  /** Connects, opens a confirm channel and declares the exchange, unless that is done already. */
  protected async prepare(): Promise<void> {
    if (this.#channel) return;
    const connection = await amqp
      .connect(this.#settings.url, { timeout: 2000, clientProperties: { connection_name: 'ada-webhooks' } })
      .catch((error: Error) => {
        // amqplib tells a refused login only in its message: the broker's reply 403 ACCESS_REFUSED.
        if (!error.message.includes('ACCESS-REFUSED')) throw error;
        throw new CredentialsRefused(`RabbitMQ refused the user and password of FORWARD_URL (${this.destination}): ${error.message}`, {
          cause: error,
        });
      });
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertExchange(this.#settings.exchange, 'topic', { durable: true });
      channel.on('return', (returned: { properties: { messageId?: string } }) => {
        if (returned.properties.messageId) this.#returned.add(returned.properties.messageId);
      });
      // Every failure of the channel or the connection ends both: the next probe starts afresh.
      const lost = (error?: Error) => {
        if (error) this.#closedWith.set(channel, error);
        if (this.#connection !== connection) return;
        this.#forget();
        void connection.close().catch(() => {});
        this.lost(`lost the connection to ${this.destination}${error ? `: ${error.message}` : ''}`);
      };
      for (const emitter of [connection, channel]) {
        emitter.on('error', lost);
        emitter.on('close', lost);
      }
      this.#connection = connection;
      this.#channel = channel;
      this.#frameMax = frameMaxOf(connection);
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
    this.#logger.debug({ exchange: this.#settings.exchange }, `connected to ${this.destination}`);
    this.#holdBodyLimitAgainstMaxMessageSize(connection.connection.serverProperties.version);
  }

  /** Warns once when the broker is RabbitMQ 4 or later, whose max_message_size by default is less than the body limit. */
  #holdBodyLimitAgainstMaxMessageSize(version: string): void {
    const bodyLimitBytes = this.#bodyLimitBytes;
    if (this.#warnedAboutMaxMessageSize || bodyLimitBytes <= defaultMaxMessageBytes || !(Number.parseInt(version, 10) >= 4)) return;
    this.#warnedAboutMaxMessageSize = true;
    this.#logger.warn(
      { bodyLimitBytes, rabbitMqVersion: version, defaultMaxMessageBytes },
      `RabbitMQ ${version} takes messages of at most ${defaultMaxMessageBytes} bytes unless its max_message_size is raised, which it does not tell clients, and the body limit lets in bodies of ${bodyLimitBytes}: a larger delivery is accepted, then refused by RabbitMQ and ends dead; set max_message_size in rabbitmq.conf to at least ${bodyLimitBytes}, or lower the body limit to ${defaultMaxMessageBytes} bytes (16mb)`,
    );
  }

  #forget(): void {
    this.#connection = undefined;
    this.#channel = undefined;
    this.#returned.clear();
  }
}

/** What RabbitMQ said when it closed the channel on a message of `bodyBytes` larger than its max_message_size, or undefined. */
function tooLargeFor(closedWith: Error, bodyBytes: number): string | undefined {
  const [, size, max] = /message size (\d+) is larger than configured max size (\d+)/.exec(closedWith.message) ?? [];
  if (Number(size) !== bodyBytes) return undefined;
  return `the message is ${size} bytes, more than the ${max} that RabbitMQ takes (its max_message_size, ${defaultMaxMessageBytes} by default since RabbitMQ 4.0): raise max_message_size in rabbitmq.conf, then replay`;
}

/** Rejects when the confirm does not come in time. */
async function withinConfirmTimeout(confirm: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no confirm within ${confirmTimeoutMs} ms`)), confirmTimeoutMs);
  });
  try {
    await Promise.race([confirm, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The frame size negotiated with the broker (0: no limit), which amqplib keeps on its connection without declaring it. */
function frameMaxOf(connection: ChannelModel): number {
  const { frameMax } = (connection as unknown as { connection: { frameMax?: unknown } }).connection;
  if (frameMax === 0) return Infinity;
  return typeof frameMax === 'number' && frameMax >= minimumFrameMax ? frameMax : minimumFrameMax;
}

interface AmqpProperties {
  messageId: string;
  type: string;
  contentType: string;
  headers: Record<string, string>;
}

/**
 * Why amqplib or RabbitMQ would refuse these properties, or undefined: a short string (message_id,
 * type, which is also the routing key, a header's name) over 255 bytes, a headers table larger than
 * amqplib encodes, or properties that do not fit in one frame. Sizes as AMQP 0-9-1 encodes them.
 */
function amqpRefusal({ messageId, type, contentType, headers }: AmqpProperties, frameMax: number): string | undefined {
  const shortStrings: [what: string, field: string, value: string][] = [
    ['the delivery id', 'message_id', messageId],
    ['the event type', 'type and the routing key', type],
    ...Object.keys(headers).map((name): [string, string, string] => [`the header name ${name}`, 'a header name', name]),
  ];
  for (const [what, field, value] of shortStrings) {
    const bytes = Buffer.byteLength(value);
    if (bytes > shortStringLimit) {
      return `${what} is ${bytes} bytes, more than the ${shortStringLimit} that RabbitMQ takes in ${field} (an AMQP short string)`;
    }
  }
  // Per header: the name as a short string, a type tag, and the value as a long string; and the table's size first.
  const tableBytes = Object.entries(headers).reduce(
    (sum, [name, value]) => sum + 1 + Buffer.byteLength(name) + 1 + 4 + Buffer.byteLength(value),
    4,
  );
  if (tableBytes > headersTableLimit) {
    return `the headers would take ${tableBytes} bytes, more than the ${headersTableLimit} that amqplib can encode`;
  }
  // The content header frame: its own header and end (8); class, weight, body size and flags (14);
  // then content_type, delivery_mode, message_id, timestamp, type and the headers.
  const frameBytes = 8 + 14 + shortStringBytes(contentType) + 1 + shortStringBytes(messageId) + 8 + shortStringBytes(type) + tableBytes;
  if (frameBytes > frameMax) {
    return `the message's properties would take a frame of ${frameBytes} bytes, more than the ${frameMax} of the connection (frame_max)`;
  }
  return undefined;
}

const shortStringBytes = (value: string) => 1 + Buffer.byteLength(value);
