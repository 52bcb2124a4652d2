// The broker of a soak run, as the checker reads it: a JetStream stream, or a RabbitMQ exchange
// with a queue of the run's bound to every routing key before the first delivery is forwarded.
// Either gives every message it holds, in the order it holds them.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import amqp from 'amqplib';

/** One message as the broker holds it. */
export interface BrokerCopy {
  /** Nats-Msg-Id, or the AMQP message_id: the delivery id. */
  id: string;
  /** The subject, or the routing key. */
  route: string;
}

export interface SoakBroker {
  name: 'nats' | 'rabbitmq';
  /** The stream or the exchange that the receiver forwards to. */
  destination: string;
  /** Every message held, in order; a queue is drained by it. */
  messages(): Promise<BrokerCopy[]>;
  destroy(): Promise<void>;
}

/** A stream that the receiver creates on the run's NATS server; read from that server directly, not through the proxy. */
export async function jetStreamOfTheRun(port: number, stream: string): Promise<SoakBroker> {
  const servers = `nats://127.0.0.1:${port}`;
  return {
    name: 'nats',
    destination: stream,
    async messages() {
      const connection = await connectNats({ servers });
      try {
        const manager = await jetstreamManager(connection);
        const info = await manager.streams.info(stream).catch(() => undefined);
        const held = info?.state.messages ?? 0;
        const copies: BrokerCopy[] = [];
        const consumer = await jetstream(connection).consumers.get(stream);
        while (copies.length < held) {
          const batch = await consumer.fetch({ max_messages: Math.min(1000, held - copies.length), expires: 5000 });
          for await (const message of batch) copies.push({ id: message.headers?.get('Nats-Msg-Id') ?? '', route: message.subject });
        }
        return copies;
      } finally {
        await connection.close();
      }
    },
    // The server is the run's own, and goes with the run's directory.
    destroy: async () => {},
  };
}

/** An exchange of the run's on the machine's RabbitMQ, with a queue bound to every routing key. */
export async function rabbitMqOfTheRun(port: number, name: string): Promise<SoakBroker> {
  const connection = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
  const channel = await connection.createChannel();
  await channel.assertExchange(name, 'topic', { durable: true });
  await channel.assertQueue(name, { durable: true });
  await channel.bindQueue(name, name, '#');
  return {
    name: 'rabbitmq',
    destination: name,
    async messages() {
      const copies: BrokerCopy[] = [];
      for (;;) {
        const message = await channel.get(name, { noAck: true });
        if (!message) return copies;
        copies.push({ id: String(message.properties.messageId), route: message.fields.routingKey });
      }
    },
    async destroy() {
      await channel.deleteQueue(name).catch(() => {});
      await channel.deleteExchange(name).catch(() => {});
      await connection.close();
    },
  };
}
