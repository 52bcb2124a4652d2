// A stream or a queue that is full refuses every message, whatever it holds: the system's
// condition, not a delivery's. JetStream says so (maximum messages or bytes exceeded): forwarding
// fails as in an outage, nothing is counted or dead, nothing is claimed, and once the stream has
// room the waiting deliveries go out in conversation order. RabbitMQ's nack does not say why: a
// nacked delivery is published alone the next time, and only a nack then counts.
import { DiscardPolicy, jetstreamManager, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import amqp, { type ChannelModel } from 'amqplib';
import { expect } from 'chai';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNatsServer, type NatsServer } from '../soak/faults/nats-server.ts';
import { jetStreamBroker, natsPort, rabbitMqBroker, rabbitPort, type TestBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { useTemporaryDirectory } from '../support/process.ts';
import { deliver, messageEvent, startReceiver, type TestReceiver } from '../support/receiver.ts';

const failing = 'forwarding is failing: deliveries wait in their lanes until the broker is back';
const worksAgain = 'forwarding works again: waiting deliveries go out in order';

const messagesOf = (receiver: TestReceiver) => receiver.logs.map(({ msg }) => msg);

interface Limit {
  name: string;
  /** The limit that leaves room for two messages of `bytes` each, and the limit lifted. */
  full: (bytes: number) => Partial<StreamConfig>;
  lifted: Partial<StreamConfig>;
  refusal: RegExp;
}

const limits: Limit[] = [
  { name: 'max_msgs', full: () => ({ max_msgs: 2 }), lifted: { max_msgs: -1 }, refusal: /maximum messages exceeded/ },
  {
    name: 'max_bytes',
    full: (bytes) => ({ max_bytes: Math.floor(2.5 * bytes) }),
    lifted: { max_bytes: -1 },
    refusal: /maximum bytes exceeded/,
  },
  {
    name: 'max_msgs_per_subject',
    full: () => ({ max_msgs_per_subject: 2, discard_new_per_subject: true }),
    lifted: { max_msgs_per_subject: -1, discard_new_per_subject: false },
    refusal: /maximum messages per subject exceeded/,
  },
];

describe('forwarding to a JetStream stream that is full', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let receiver: TestReceiver | undefined;
  let connection: NatsConnection;
  let manager: JetStreamManager;
  beforeEach(async () => {
    broker = await jetStreamBroker();
    connection = await connect({ servers: `nats://127.0.0.1:${natsPort}` });
    manager = await jetstreamManager(connection);
  });
  afterEach(async () => {
    await receiver?.close();
    await broker.destroy();
    await connection.close();
    receiver = undefined;
  });

  for (const limit of limits)
    it(`holds deliveries back uncounted while the stream holds its ${limit.name} with discard new, says why, then forwards them in order once it has room`, async () => {
      const { forwardStream: stream, forwardSubject } = broker.options() as Record<string, string>;
      const prefix = forwardSubject!.split('.')[0]!;
      const config = { name: stream!, subjects: [`${prefix}.>`], discard: DiscardPolicy.New };
      await manager.streams.add(config);
      receiver = await startReceiver(broker.options());
      receiver.receiver.start();
      const { url, inbox } = receiver;
      const stateOf = async (id: string) => (await inbox.get(id))?.state;
      const ids = [(await deliver(url, messageEvent('full-stream', 0))).id];
      await eventually(async () => (await stateOf(ids[0]!)) === 'done', 10_000);
      const bytes = (await manager.streams.info(stream!)).state.bytes;
      await manager.streams.update(stream!, { ...config, ...limit.full(bytes) });

      for (let n = 1; n < 5; n += 1) ids.push((await deliver(url, messageEvent('full-stream', n))).id);
      await eventually(async () => (await stateOf(ids[1]!)) === 'done', 10_000);
      const failure = await eventually(() => receiver!.logs.find(({ msg }) => msg === failing));
      expect(failure['brokerError'])
        .to.match(new RegExp(`^the stream ${stream} takes no message now: `))
        .and.to.match(limit.refusal);
      expect((await receiver.receiver.readiness()).forwarding).to.include({ state: 'failing' });
      // Past several probes of a second: the stream stays full, and nothing is tried against it.
      await sleep(3000);
      for (const id of ids.slice(2)) expect(await inbox.get(id), id).to.deep.include({ state: 'pending', attempts: 0 });
      expect((await broker.messages()).map(({ id }) => id)).to.deep.equal(ids.slice(0, 2));
      expect(messagesOf(receiver).filter((msg) => msg === failing)).to.have.length(1);
      expect(messagesOf(receiver)).not.to.include(worksAgain);
      expect((await receiver.receiver.readiness()).forwarding).to.include({ state: 'failing' });

      await manager.streams.update(stream!, { ...config, ...limit.lifted });
      await eventually(async () => (await Promise.all(ids.map(stateOf))).every((state) => state === 'done'), 15_000);
      expect((await broker.messages()).map(({ id }) => id)).to.deep.equal(ids);
      for (const id of ids) expect(await inbox.get(id), id).to.deep.include({ attempts: 1 });
      expect((await receiver.receiver.readiness()).forwarding).to.include({ state: 'ok' });
      expect(messagesOf(receiver)).to.include(worksAgain);
      expect(await inbox.list({ state: 'dead', limit: 10 })).to.deep.equal([]);

      // After idle time, forwarding goes on as in the first second.
      await sleep(1500);
      const later = await deliver(url, messageEvent('full-stream', 5));
      await eventually(async () => (await stateOf(later.id)) === 'done', 10_000);
      expect((await broker.messages()).map(({ id }) => id)).to.deep.equal([...ids, later.id]);
    });

  it("refuses a message larger than the max_bytes of the stream as the delivery's own failure, and forwards the others", async () => {
    const { forwardStream: stream, forwardSubject } = broker.options() as Record<string, string>;
    const prefix = forwardSubject!.split('.')[0]!;
    await manager.streams.add({ name: stream!, subjects: [`${prefix}.>`], discard: DiscardPolicy.New, max_bytes: 4000 });
    receiver = await startReceiver(broker.options());
    receiver.receiver.start();
    const large = messageEvent('too-large', 0);
    large['data'].content.body = 'x'.repeat(5000);
    const tooLarge = await deliver(receiver.url, large);
    const after = await deliver(receiver.url, messageEvent('too-large', 1));
    await eventually(async () => (await receiver!.inbox.get(after.id))?.state === 'done', 10_000);
    const dead = (await receiver.inbox.get(tooLarge.id))!;
    expect(dead).to.deep.include({ state: 'dead', attempts: 3 });
    expect(dead.lastError).to.match(
      new RegExp(
        `^MessageRefused: the message would take \\d+ bytes in the stream ${stream}, more than its max_bytes of 4000: it could not be stored even in an empty stream`,
      ),
    );
    expect(messagesOf(receiver)).not.to.include(failing);
  });
});

describe('forwarding to RabbitMQ with a queue that is full', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let receiver: TestReceiver | undefined;
  let connection: ChannelModel;
  let queue: string;
  afterEach(async () => {
    await receiver?.close();
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
    await connection.close();
    await broker.destroy();
    receiver = undefined;
  });

  it('counts a nack only when the delivery was published alone: the first is given back uncounted, and forwarding says that it fails', async () => {
    broker = await rabbitMqBroker(undefined, { bindQueue: false });
    const { forwardExchange: exchange } = broker.options() as Record<string, string>;
    queue = `${exchange}-bounded`;
    connection = await amqp.connect(`amqp://guest:guest@127.0.0.1:${rabbitPort}`);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue(queue, exchange!, '#');
    for (const n of [1, 2]) channel.sendToQueue(queue, Buffer.from(`filler ${n}`));
    await channel.waitForConfirms();

    receiver = await startReceiver({ ...broker.options(), maxAttempts: 2 });
    receiver.receiver.start();
    const { id } = await deliver(receiver.url, messageEvent('full-queue', 0));
    await eventually(async () => (await receiver!.inbox.get(id))?.state === 'dead', 15_000);
    const dead = (await receiver.inbox.get(id))!;
    expect(dead.attempts).to.equal(2);
    expect(dead.lastError).to.match(
      /^MessageRefused: the broker failed each time this delivery was published, the last time with nothing else under way: RabbitMQ refused a message \(nack\) on the exchange/,
    );
    const failure = receiver.logs.find(({ msg }) => msg === failing);
    expect(failure?.['brokerError']).to.match(/nack.*x-max-length with x-overflow reject-publish/);
    expect((await receiver.receiver.metrics()).text).to.include(
      'ada_webhook_forwarded_total{outcome="unavailable",event_type="v1.conversation.message"} 1',
    );

    // Once the queue has room, a replay goes out.
    await channel.purgeQueue(queue);
    await receiver.inbox.requeue([{ id }]);
    await eventually(async () => (await receiver!.inbox.get(id))?.state === 'done', 10_000);
    expect((await channel.checkQueue(queue)).messageCount).to.equal(1);
  });
});

describe('forwarding to a NATS server out of storage', function () {
  this.timeout(90_000);
  const temporaryDirectory = useTemporaryDirectory('ada-forward-storage-');
  let nats: NatsServer | undefined;
  let broker: TestBroker | undefined;
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await broker?.destroy();
    await nats?.close();
    nats = broker = receiver = undefined;
  });

  it('holds deliveries back uncounted, tries again less and less often while nothing tells it has room, and forwards them in order once it has', async () => {
    nats = await startNatsServer({ dir: join(temporaryDirectory(), 'jetstream'), maxFileStore: '20KB' });
    broker = await jetStreamBroker(nats.port);
    receiver = await startReceiver(broker.options());
    receiver.receiver.start();
    const { url, inbox } = receiver;
    const ids: string[] = [];
    for (let n = 0; n < 30; n += 1) ids.push((await deliver(url, messageEvent('out-of-storage', n))).id);

    // The first refusal, then three more, each after a probe that found nothing wrong: 1, 2, then 4 s later.
    await eventually(() => receiver!.logs.filter(({ msg }) => msg === failing).length >= 4, 30_000);
    const refusals = receiver.logs.filter(({ msg }) => msg === failing);
    expect(refusals[0]!['brokerError']).to.match(/takes no message now: insufficient resources \(JetStream error 10023\)/);
    expect(Number(refusals[3]!['time']) - Number(refusals[0]!['time'])).to.be.at.least(7000);
    expect(await inbox.list({ state: 'dead', limit: 10 })).to.deep.equal([]);
    const held = (await broker.messages()).map(({ id }) => id);
    expect(held).to.deep.equal(ids.slice(0, held.length));
    for (const id of ids.slice(held.length)) expect(await inbox.get(id), id).to.deep.include({ state: 'pending', attempts: 0 });

    const connection = await connect({ servers: nats.url });
    const stream = String(broker.options()['forwardStream']);
    await (await jetstreamManager(connection)).streams.purge(stream);
    await connection.close();
    await eventually(async () => (await Promise.all(ids.map((id) => inbox.get(id)))).every((stored) => stored?.state === 'done'), 30_000);
    expect((await broker.messages()).map(({ id }) => id)).to.deep.equal(ids.slice(held.length));
  });
});
