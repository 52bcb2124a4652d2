// A message that the broker, or its client, refuses on its own merit is the failure of that one
// delivery: counted, retried, then dead with the reason, while every other delivery goes out as if
// it were not there. Only a broker that cannot be reached holds the lanes back. Written once and
// run against NATS JetStream and RabbitMQ, each with the limits of its own.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { brokerBackends, type TestBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { contractExample, deliver, messageEvent, startReceiver, storedDelivery, type TestReceiver } from '../support/receiver.ts';
import { startTcpProxy, type TcpProxy } from '../soak/faults/tcp-proxy.ts';

/** The body limit by default, and NATS's default max_payload. */
const mebibyte = 1024 * 1024;

/** A message event whose body is exactly `bytes` long. */
function eventOfSize(conversation: string, bytes: number): Record<string, any> {
  const event = messageEvent(conversation, 0);
  event['data'].content.body = '';
  event['data'].content.body = 'x'.repeat(bytes - JSON.stringify(event).length);
  return event;
}

type Outcome = 'forwarded' | RegExp;

interface Poison {
  name: string;
  event: (tag: string) => Record<string, any>;
  id?: (tag: string) => string;
  /** Stored straight into the inbox: no HTTP request carries such a delivery id. */
  seeded?: boolean;
  /** What becomes of it on each broker: forwarded, or dead with an error that matches. */
  nats: Outcome;
  rabbitmq: Outcome;
  /** The lane header that a forwarded copy carries. */
  lane?: (tag: string) => string;
}

const poisons: Poison[] = [
  {
    name: 'a body that its headers take past max_payload',
    event: (tag) => eventOfSize(`${tag}-large`, mebibyte - 100),
    nats: /MessageRefused: the message would be \d+ bytes with its headers \(a body of 1048476 and \d+ of headers\), more than the 1048576 bytes that the NATS server takes \(max_payload\)/,
    rabbitmq: 'forwarded',
  },
  {
    name: 'a delivery id of 256 bytes',
    event: (tag) => messageEvent(`${tag}-long-id`, 0),
    id: (tag) => `msg_${tag}_`.padEnd(256, 'i'),
    nats: 'forwarded',
    rabbitmq: /MessageRefused: the delivery id is 256 bytes, more than the 255 that RabbitMQ takes in message_id \(an AMQP short string\)/,
  },
  {
    name: 'a delivery id that ends with a space',
    event: (tag) => messageEvent(`${tag}-space`, 0),
    id: (tag) => `msg_${tag}_space `,
    seeded: true,
    nats: /MessageRefused: the NATS header Nats-Msg-Id cannot hold its value as it is: it has a CR or LF, or white space at either end/,
    rabbitmq: 'forwarded',
  },
  {
    name: 'CR and LF in a conversation id',
    event: (tag) => messageEvent(`${tag}\r\ncr-lf`, 0),
    nats: 'forwarded',
    rabbitmq: 'forwarded',
    lane: (tag) => `conversation:${tag}%0D%0Acr-lf`,
  },
  {
    name: 'an end-user id that ends with a line feed and a space',
    event: (tag) => {
      const event = contractExample('EndUserUpdated');
      event['data'].end_user_id = `${tag}\n `;
      return event;
    },
    nats: 'forwarded',
    rabbitmq: 'forwarded',
    lane: (tag) => `end_user:${tag}%0A%20`,
  },
  {
    name: 'a conversation id of 70,000 characters',
    event: (tag) => messageEvent(tag.padEnd(70_000, 'c'), 0),
    nats: /MessageRefused: the subject would be 70\d\d\d bytes, more than the 3840 that are forwarded to NATS/,
    // The inbox keeps a lane key of such an id bounded (its start and a digest), so its headers are small.
    rabbitmq: 'forwarded',
  },
];

for (const backend of brokerBackends)
  describe(`refusals of ${backend.name}`, function () {
    this.timeout(60_000);
    let broker: TestBroker;
    let receiver: TestReceiver | undefined;
    let proxy: TcpProxy | undefined;
    afterEach(async () => {
      await receiver?.close();
      await proxy?.close();
      await broker.destroy();
      receiver = undefined;
      proxy = undefined;
    });

    /** Sends `count` message events over 40 conversations of their own, each conversation in order; resolves with their ids. */
    const sendOthers = async (url: string, tag: string, count: number) => {
      const perConversation = Math.ceil(count / 40);
      const ids = await Promise.all(
        Array.from({ length: 40 }, async (_, conversation) => {
          const sent: string[] = [];
          for (let n = 0; n < perConversation && conversation * perConversation + n < count; n += 1) {
            const { id, status } = await deliver(url, messageEvent(`${tag}-other-${conversation}`, n));
            expect(status).to.equal(200);
            sent.push(id);
          }
          return sent;
        }),
      );
      return ids.flat();
    };

    it('fails only the poisoned deliveries, each dead with its reason, while 200 others go out on their first attempt', async () => {
      broker = await backend.create({ subject: '{conversation}.{type}' });
      receiver = await startReceiver(broker.options());
      const { inbox } = receiver;
      receiver.receiver.start();
      const tag = randomUUID().slice(0, 8);
      const started = performance.now();
      const poisoned = await Promise.all(
        poisons.map(async (poison) => {
          if (poison.seeded) {
            const id = poison.id!(tag);
            await inbox.accept(storedDelivery(poison.event(tag), id));
            return { ...poison, id };
          }
          const { id, status } = await deliver(receiver!.url, poison.event(tag), poison.id ? { id: poison.id(tag) } : {});
          expect(status, poison.name).to.equal(200);
          return { ...poison, id };
        }),
      );
      const others = await sendOthers(receiver.url, tag, 200);
      const sent = performance.now();
      await eventually(async () => {
        const states = await Promise.all(others.map(async (id) => (await inbox.get(id))?.state));
        return states.every((state) => state === 'done');
      }, 30_000);
      const othersDone = performance.now();
      await eventually(async () => {
        const states = await Promise.all(poisoned.map(async ({ id }) => (await inbox.get(id))?.state));
        return states.every((state) => state === 'done' || state === 'dead');
      }, 30_000);
      console.log(
        `      ${others.length} others sent in ${Math.round(sent - started)} ms beside ${poisoned.length} poisoned, all done ${Math.round(othersDone - sent)} ms after the last send`,
      );

      for (const id of others) expect(await inbox.get(id), id).to.deep.include({ state: 'done', attempts: 1 });
      const expected = poisoned.filter((poison) => poison[backend.broker] === 'forwarded');
      // A RabbitMQ consumer gets a confirmed message a moment later.
      const copies = await eventually(async () => {
        const held = await broker.messages();
        return held.length >= others.length + expected.length && held;
      }, 10_000);
      for (const poison of poisoned) {
        const outcome = poison[backend.broker];
        const stored = (await inbox.get(poison.id))!;
        if (outcome === 'forwarded') {
          expect(stored.state, poison.name).to.equal('done');
          const copy = copies.find(({ id }) => id === poison.id);
          expect(copy?.body, poison.name).to.equal(JSON.stringify(poison.event(tag)));
          if (poison.lane)
            expect(copy!.headers[backend.broker === 'nats' ? 'Ada-Lane' : 'ada-lane'], poison.name).to.equal(poison.lane(tag));
        } else {
          expect(stored, poison.name).to.deep.include({ state: 'dead', attempts: 3 });
          expect(stored.lastError, poison.name).to.match(outcome);
        }
      }
      const ids = copies.map(({ id }) => id);
      expect(ids.length, 'nothing is published twice').to.equal(new Set(ids).size);
      expect([...ids].sort()).to.deep.equal([...others, ...expected.map(({ id }) => id)].sort());
      expect(receiver.logs.map(({ msg }) => msg)).not.to.include(
        'forwarding is failing: deliveries wait in their lanes until the broker is back',
      );
      expect((await receiver.receiver.metrics()).text, 'no attempt was given back').not.to.include('outcome="unavailable"');
    });

    it('counts a delivery as failed when the broker drops the connection each time it is sent, even alone, and loses none of the others sent beside it', async () => {
      broker = await backend.create();
      const poisonId = `msg_poison_${randomUUID()}`;
      proxy = await startTcpProxy({ host: '127.0.0.1', port: backend.port }, { cutWhenSent: Buffer.from(poisonId) });
      receiver = await startReceiver({ ...broker.options(proxy.port), maxAttempts: 2 });
      const { inbox } = receiver;
      receiver.receiver.start();
      const tag = randomUUID().slice(0, 8);
      const { status } = await deliver(receiver.url, messageEvent(`${tag}-poison`, 0), { id: poisonId });
      expect(status).to.equal(200);
      const others = await sendOthers(receiver.url, tag, 40);

      await eventually(async () => (await inbox.get(poisonId))?.state === 'dead', 30_000);
      const dead = (await inbox.get(poisonId))!;
      expect(dead.attempts).to.equal(2);
      expect(dead.lastError).to.match(
        /MessageRefused: the broker failed each time this delivery was published, the last time with nothing else under way: could not publish to/,
      );
      await eventually(async () => {
        const states = await Promise.all(others.map(async (id) => (await inbox.get(id))?.state));
        return states.every((state) => state === 'done');
      }, 30_000);
      for (const id of others) expect(await inbox.get(id), id).to.deep.include({ state: 'done', attempts: 1 });
      expect((await broker.messages()).map(({ id }) => id)).not.to.include(poisonId);
      // The lane moves on: a later delivery of the same conversation is forwarded.
      const next = await deliver(receiver.url, messageEvent(`${tag}-poison`, 1));
      await eventually(async () => (await inbox.get(next.id))?.state === 'done', 10_000);
    });
  });
