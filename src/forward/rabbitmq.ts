// Forwarding to RabbitMQ: persistent messages to a durable topic exchange (declared if missing)
// on a confirm channel, routed by event type, `message_id` = the delivery id. RabbitMQ keeps no
// memory of message ids, so a delivery published again after a crash reaches consumers twice
// with the same `message_id`: they dedupe on it.
//
// amqplib does not reconnect, and the libraries that do (amqp-connection-manager) keep unsent
// messages in memory while disconnected and send them later: here a publish must fail at once so
// that its delivery waits in its lane, in the store. So the reconnection is this probe, every
// second while the broker is unreachable.
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { ProbedForwarder, type Forwarder, type PublishOutcome } from './forwarder.ts';
import type { ForwardedMessage } from './message.ts';
import type { ForwardSettings } from './settings.ts';

/** How long a publish waits for the broker's confirm before the broker counts as unreachable. */
const confirmTimeoutMs = 5000;

export class RabbitMqForwarder extends ProbedForwarder implements Forwarder {
  readonly broker = 'rabbitmq';
  readonly #settings: ForwardSettings;
  readonly #logger: Logger;
  #connection: ChannelModel | undefined;
  #channel: ConfirmChannel | undefined;
  /** Message ids that the broker returned as unroutable: their confirm follows. */
  readonly #returned = new Set<string>();

  constructor(settings: ForwardSettings, logger: Logger) {
    super(settings.url, { kind: 'exchange', name: settings.exchange });
    this.#settings = settings;
    this.#logger = logger;
  }

  async publish(message: ForwardedMessage): Promise<PublishOutcome> {
    this.requireAvailable();
    const channel = this.#channel!;
    const options = {
      persistent: true,
      // An exchange with no queue bound for this routing key would drop the message, confirmed.
      mandatory: true,
      messageId: message.id,
      type: message.eventType,
      contentType: 'application/json',
      timestamp: Math.floor(message.receivedAt.getTime() / 1000),
      headers: { 'ada-lane': message.lane, 'ada-received-at': message.receivedAt.toISOString(), ...message.traceContext },
    };
    try {
      await confirmed((done) => channel.publish(this.#settings.exchange, message.eventType, Buffer.from(message.body), options, done));
    } catch (error) {
      if (this.#channel === channel && (error as Error).message === 'message nacked') {
        throw new Error(`RabbitMQ refused the message (nack) on the exchange ${this.#settings.exchange}`, { cause: error });
      }
      throw this.unreachable(error);
    }
    if (this.#returned.delete(message.id)) {
      throw new Error(
        `no queue is bound to the exchange ${this.#settings.exchange} for the routing key ${message.eventType}: RabbitMQ would have dropped the message; bind a queue, then replay`,
      );
    }
    return 'published';
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
    const connection = await amqp.connect(this.#settings.url, { timeout: 2000, clientProperties: { connection_name: 'ada-webhooks' } });
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertExchange(this.#settings.exchange, 'topic', { durable: true });
      channel.on('return', (returned: { properties: { messageId?: string } }) => {
        if (returned.properties.messageId) this.#returned.add(returned.properties.messageId);
      });
      // Every failure of the channel or the connection ends both: the next probe starts afresh.
      const lost = (error?: Error) => {
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
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
    this.#logger.debug({ exchange: this.#settings.exchange }, `connected to ${this.destination}`);
  }

  #forget(): void {
    this.#connection = undefined;
    this.#channel = undefined;
    this.#returned.clear();
  }
}

/** Runs `publish` with a confirm callback; rejects when the confirm says no or does not come in time. */
function confirmed(publish: (done: (error: unknown) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no confirm within ${confirmTimeoutMs} ms`)), confirmTimeoutMs);
    publish((error) => {
      clearTimeout(timer);
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve();
    });
  });
}
