// Forwarding accepted deliveries to a real broker, written once and run against NATS JetStream and
// RabbitMQ: the exact body with its id and routing, only the types asked for, one publish per
// success beside the handler, conversation order under concurrency, and a broker that is
// unreachable at start-up or goes away under load.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerBackends, rabbitMqBroker, type TestBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { contractExample, deliver, messageEvent, startReceiver, type TestReceiver, type TestReceiverOptions } from '../support/receiver.ts';
import { startTcpProxy, type TcpProxy } from '../soak/faults/tcp-proxy.ts';

/** A message event of `conversation`, its timestamp `sequence` ms after nine o'clock, so that lanes order them as sent. */
for (const backend of brokerBackends)
  describe(`forwarding to ${backend.name}`, function () {
    this.timeout(60_000);
    let broker: TestBroker;
    let receiver: TestReceiver | undefined;
    let proxy: TcpProxy | undefined;
    beforeEach(async () => {
      broker = await backend.create();
    });
    afterEach(async () => {
      await receiver?.close();
      await proxy?.close();
      await broker.destroy();
      receiver = undefined;
      proxy = undefined;
    });

    const start = async (options: TestReceiverOptions = {}) => {
      receiver = await startReceiver({ ...broker.options(proxy?.port), ...options });
      return receiver.receiver;
    };
    const stateOf = async (id: string) => (await receiver!.inbox.get(id))?.state;

    it('publishes the exact body once the delivery is accepted, with its id, type and lane, and marks it done after the confirm', async () => {
      (await start()).start();
      const event = contractExample('ConversationCreated');
      const { id, status } = await deliver(receiver!.url, event);
      expect(status).to.equal(200);
      await eventually(async () => (await stateOf(id)) === 'done', 10_000);

      const [copy, ...others] = await broker.messages();
      expect(others).to.deep.equal([]);
      expect(copy!.id).to.equal(id);
      expect(copy!.body).to.equal(JSON.stringify(event));
      expect(copy!.route).to.match(/(^|\.)v1\.conversation\.created$/);
      expect(Object.values(copy!.headers)).to.include('application/json');
      expect((await receiver!.inbox.get(id))?.forwardedAt).to.be.instanceOf(Date);
      await eventually(async () => (await receiver!.receiver.metrics()).text.includes('outcome="published"'));
      expect((await receiver!.receiver.metrics()).text).to.include(
        'ada_webhook_forwarded_total{outcome="published",event_type="v1.conversation.created"} 1',
      );
    });

    it('forwards only the event types asked for, and handles the others all the same', async () => {
      const handled: string[] = [];
      (await start({ forwardTypes: ['v1.conversation.ended'] }))
        .on('v1.conversation.created', (_event, { deliveryId }) => void handled.push(deliveryId))
        .start();
      const created = await deliver(receiver!.url, contractExample('ConversationCreated'));
      const ended = await deliver(receiver!.url, contractExample('ConversationEndedByEndUser'));
      await eventually(async () => (await stateOf(created.id)) === 'done' && (await stateOf(ended.id)) === 'done', 10_000);

      expect((await broker.messages()).map(({ id }) => id)).to.deep.equal([ended.id]);
      expect(handled).to.deep.equal([created.id]);
      expect((await receiver!.inbox.get(created.id))?.forwardedAt).to.equal(null);
    });

    it('publishes once while the handler fails and is retried, and runs the handler only after the confirm', async () => {
      const seenByHandler: number[] = [];
      (await start({ maxAttempts: 5 }))
        .on('v1.conversation.created', async (_event, { attempt }) => {
          seenByHandler.push((await broker.messages()).length);
          if (attempt < 3) throw new Error(`flaky ${attempt}`);
        })
        .start();
      const { id } = await deliver(receiver!.url, contractExample('ConversationCreated'));
      await eventually(async () => (await stateOf(id)) === 'done', 10_000);

      expect(await receiver!.inbox.get(id)).to.deep.include({ attempts: 3 });
      expect(seenByHandler, 'the message was on the broker before each handler run').to.deep.equal([1, 1, 1]);
      expect((await broker.messages()).map((copy) => copy.id)).to.deep.equal([id]);
    });

    it('keeps the order of each conversation under concurrency', async () => {
      (await start({ concurrency: 8 })).start();
      const conversations = 20;
      const perConversation = 15;
      const sent = new Map<string, string[]>();
      await Promise.all(
        Array.from({ length: conversations }, async (_, c) => {
          const conversation = `forward-order-${c}`;
          sent.set(conversation, []);
          for (let n = 0; n < perConversation; n += 1) {
            const { id, status } = await deliver(receiver!.url, messageEvent(conversation, n));
            expect(status).to.equal(200);
            sent.get(conversation)!.push(id);
          }
        }),
      );
      await eventually(async () => (await broker.messages()).length >= conversations * perConversation, 30_000);

      const received = Map.groupBy(
        await broker.messages(),
        (copy) => (JSON.parse(copy.body) as { data: { conversation_id: string } }).data.conversation_id,
      );
      for (const [conversation, ids] of sent)
        expect(
          received.get(conversation)?.map(({ id }) => id),
          conversation,
        ).to.deep.equal(ids);
    });

    it('starts, accepts and stores while the broker is unreachable, says so in readiness, then forwards everything in order', async () => {
      proxy = await startTcpProxy({ host: '127.0.0.1', port: backend.port });
      proxy.refuse(true);
      (await start()).start();
      const ids: string[] = [];
      for (let n = 0; n < 10; n += 1) {
        const { id, status } = await deliver(receiver!.url, messageEvent('forward-outage', n));
        expect(status).to.equal(200);
        ids.push(id);
      }
      await sleep(300);
      const readiness = await receiver!.receiver.readiness();
      expect(readiness.status, 'intake works: a load balancer keeps sending').to.equal('ready');
      expect(readiness.checks['forwarding']).to.equal('failing');
      expect(readiness.forwarding).to.include({ state: 'failing' });
      expect(readiness.forwarding!.lagSeconds).to.be.greaterThan(0);
      expect(await receiver!.inbox.get(ids[0]!)).to.deep.include({ state: 'pending', attempts: 0 });
      expect((await receiver!.receiver.metrics()).text).to.match(/ada_webhook_forwarder_connected\{broker="\w+"\} 0/);

      proxy.refuse(false);
      await eventually(async () => (await broker.messages()).length === ids.length, 15_000);
      expect((await broker.messages()).map(({ id }) => id)).to.deep.equal(ids);
      await eventually(async () => (await receiver!.receiver.readiness()).forwarding?.state === 'ok', 5000);
      expect(receiver!.logs.map(({ msg }) => msg)).to.include.members([
        'forwarding is failing: deliveries wait in their lanes until the broker is back',
        'forwarding works again: waiting deliveries go out in order',
      ]);
    });

    it('says nothing about working again on a first start where nothing failed', async () => {
      (await start()).start();
      await eventually(() => receiver!.logs.some(({ msg }) => msg === 'forwarding accepted deliveries'));
      const { id } = await deliver(receiver!.url, contractExample('ConversationCreated'));
      await eventually(async () => (await stateOf(id)) === 'done', 10_000);
      // Past a probe's interval of a second, after which a line said late would be there.
      await sleep(1500);
      const messages = receiver!.logs.map(({ msg }) => msg);
      expect(messages).not.to.include('forwarding is failing: deliveries wait in their lanes until the broker is back');
      expect(messages).not.to.include('forwarding works again: waiting deliveries go out in order');
    });

    it('loses and reorders nothing when the connection is cut under load, and counts no attempt against the deliveries', async () => {
      proxy = await startTcpProxy({ host: '127.0.0.1', port: backend.port });
      (await start({ concurrency: 8 })).start();
      const sent = new Map<string, string[]>();
      const senders = Array.from({ length: 10 }, async (_, c) => {
        const conversation = `forward-cut-${c}`;
        sent.set(conversation, []);
        for (let n = 0; n < 30; n += 1) {
          const { id } = await deliver(receiver!.url, messageEvent(conversation, n));
          sent.get(conversation)!.push(id);
          if (n === 10 && c === 0) {
            proxy!.refuse(true);
            proxy!.cut();
            setTimeout(() => proxy!.refuse(false), 1500);
          }
        }
      });
      await Promise.all(senders);
      await eventually(async () => (await receiver!.inbox.countByState()).done === 300, 30_000);

      const copies = await broker.messages();
      const received = Map.groupBy(copies, (copy) => (JSON.parse(copy.body) as { data: { conversation_id: string } }).data.conversation_id);
      for (const [conversation, ids] of sent) {
        // A publish under way when the connection was cut may have reached the broker: RabbitMQ then holds it twice, in place.
        const firsts = [...new Set(received.get(conversation)?.map(({ id }) => id))];
        expect(firsts, conversation).to.deep.equal(ids);
      }
      const dead = await receiver!.inbox.list({ state: 'dead', limit: 10 });
      expect(dead).to.deep.equal([]);
    });
  });

describe('forwarding to RabbitMQ with no queue bound', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let receiver: TestReceiver;
  afterEach(async () => {
    await receiver.close();
    await broker.destroy();
  });

  it('does not count a message that the exchange would drop as forwarded: the attempt fails and says why', async () => {
    broker = await rabbitMqBroker(undefined, { bindQueue: false });
    receiver = await startReceiver({ ...broker.options(), maxAttempts: 2 });
    receiver.receiver.start();
    const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
    await eventually(async () => (await receiver.inbox.get(id))?.state === 'dead', 10_000);
    expect((await receiver.inbox.get(id))?.lastError).to.include('no queue is bound to the exchange');
    expect((await receiver.inbox.get(id))?.forwardedAt).to.equal(null);
  });
});

describe("JetStream's duplicate window", function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await broker.destroy();
    receiver = undefined;
  });

  it('drops a delivery published again inside the window, and keeps a second copy after it: documented, not hidden', async () => {
    broker = await brokerBackends[0]!.create();
    // The shortest window the settings allow with a 1 s handler timeout: longer than a lease of 12 s.
    const started = await startReceiver({ ...broker.options(), forwardDuplicateWindowSeconds: 13 });
    receiver = started;
    started.receiver.start();
    const { id } = await deliver(started.url, contractExample('ConversationCreated'));
    const settledAgain = async (done: number) => {
      await eventually(async () => (await started.inbox.get(id))?.state === 'done', 10_000);
      await eventually(
        async () => (await started.receiver.metrics()).text.match(/ada_webhook_forwarded_total\{[^}]*\} \d+/g)?.length === done,
      );
    };
    await settledAgain(1);

    // A replay inside the window: JetStream acks it as a duplicate and keeps one copy.
    await started.inbox.requeue([{ id }]);
    await settledAgain(2);
    expect((await broker.messages()).map((copy) => copy.id)).to.deep.equal([id]);
    expect((await started.receiver.metrics()).text).to.include(
      'ada_webhook_forwarded_total{outcome="duplicate",event_type="v1.conversation.created"} 1',
    );

    // After the window JetStream no longer remembers the id: the stream holds a second copy.
    await sleep(13_500);
    await started.inbox.requeue([{ id }]);
    await eventually(async () => (await broker.messages()).length === 2, 10_000);
    expect((await broker.messages()).map((copy) => copy.id)).to.deep.equal([id, id]);
  });

  it('refuses a window no longer than a lease, which would let a crashed receiver store a delivery twice', async () => {
    broker = await brokerBackends[0]!.create();
    let refused: unknown;
    await startReceiver({ ...broker.options(), forwardDuplicateWindowSeconds: 12 }).then(
      (started) => (receiver = started),
      (error: unknown) => (refused = error),
    );
    expect(String(refused)).to.include(
      "forwardDuplicateWindowSeconds must be longer than a lease (12 s: 10 s to publish and wait for the broker's confirm, then twice the handler timeout)",
    );
  });
});
