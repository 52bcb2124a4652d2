// The TCP proxy between a client and a real broker: what passes through it, what cut() and
// refuse() do to the connection, and a client's way back once it lets connections through again.
import { connect as connectNats, type NatsConnection, type Status } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { natsPort, rabbitPort } from '../../support/brokers.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/** The first bytes a server sends through the proxy on a new connection, until the connection closes or 300 ms pass. */
async function greeting(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const timer = setTimeout(() => socket.destroy(), 300);
  await once(socket, 'close');
  clearTimeout(timer);
  return received;
}

/** Resolves when the connection reports a status of `type`. */
async function nextStatus(connection: NatsConnection, type: Status['type']): Promise<void> {
  for await (const status of connection.status()) if (status.type === type) return;
}

describe('a TCP proxy in front of a broker', function () {
  this.timeout(15_000);
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  describe('to NATS', () => {
    let nats: NatsConnection | undefined;
    afterEach(async () => {
      await nats?.close();
      nats = undefined;
    });

    /** Resolves once a message published on a subject of its own comes back through the connection. */
    async function roundTrip(connection: NatsConnection): Promise<string> {
      const subject = `ada-test-proxy.${randomUUID()}`;
      const subscription = connection.subscribe(subject, { max: 1 });
      connection.publish(subject, 'through the proxy');
      for await (const message of subscription) return message.string();
      throw new Error('the subscription ended without a message');
    }

    it('passes a connection through, drops it on cut(), refuses new ones while refusing, and lets the client reconnect after', async () => {
      proxy = await startTcpProxy({ host: '127.0.0.1', port: natsPort });
      nats = await connectNats({ servers: `nats://127.0.0.1:${proxy.port}`, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
      expect(await roundTrip(nats)).to.equal('through the proxy');

      const disconnected = nextStatus(nats, 'disconnect');
      proxy.refuse(true);
      proxy.cut();
      await disconnected;
      expect(await greeting(proxy.port), 'a new connection while refusing is closed before the server says anything').to.equal('');

      const reconnected = nextStatus(nats, 'reconnect');
      proxy.refuse(false);
      expect(await greeting(proxy.port), "the server's greeting once it lets connections through").to.match(/^INFO /);
      await reconnected;
      expect(await roundTrip(nats)).to.equal('through the proxy');
    });
  });

  describe('to RabbitMQ', () => {
    let rabbit: amqp.ChannelModel | undefined;
    afterEach(async () => {
      await rabbit?.close().catch(() => {});
      rabbit = undefined;
    });

    const connectThrough = (port: number) => amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`, { timeout: 2000 });

    /** Declares an exclusive queue and reads back what it holds, which needs the connection to work. */
    async function declareQueue(connection: amqp.ChannelModel): Promise<number> {
      const channel = await connection.createChannel();
      const { messageCount } = await channel.assertQueue('', { exclusive: true });
      await channel.close();
      return messageCount;
    }

    it('passes a connection through, drops it on cut(), refuses new ones while refusing, and lets the client connect again after', async () => {
      proxy = await startTcpProxy({ host: '127.0.0.1', port: rabbitPort });
      rabbit = await connectThrough(proxy.port);
      expect(await declareQueue(rabbit)).to.equal(0);

      // events.once would reject on the 'error' that comes first.
      const closed = new Promise<Error | undefined>((resolve) => rabbit!.on('error', () => {}).once('close', resolve));
      proxy.refuse(true);
      proxy.cut();
      expect((await closed)?.message, 'closed by the cut, not by the client').to.match(/Unexpected close/);
      let refusal: unknown;
      await connectThrough(proxy.port).catch((error: unknown) => (refusal = error));
      expect(refusal, 'a new connection while refusing').to.be.instanceOf(Error);

      proxy.refuse(false);
      rabbit = await connectThrough(proxy.port);
      expect(await declareQueue(rabbit)).to.equal(0);
    });
  });
});
