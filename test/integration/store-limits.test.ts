// Signed, well-formed deliveries that carry what a store cannot keep as it is (NUL and lone
// surrogates escaped in the JSON, ids and keys past PostgreSQL's index entries), over real HTTP to
// a real receiver on every backend: each is answered 200 or 422 and stored, or 400 for an id that
// no store can key; never 503, and the inbox is never said to be unavailable for it.
import { expect } from 'chai';
import fc from 'fast-check';
import { maxDeliveryIdBytes, maxViolationsKept } from '../../src/inbox/storable.ts';
import { eventually } from '../support/eventually.ts';
import { hostileText, seedFrom } from '../support/hostile-text.ts';
import { inboxBackends } from '../support/inbox-backends.ts';
import { contractExample, deliver, post, signedHeaders, startReceiver, type TestReceiver } from '../support/receiver.ts';

const seed = seedFrom('STORE_LIMITS_SEED');
const runs = Number(process.env['STORE_LIMITS_RUNS'] ?? 100);

/** A delivery id as an HTTP header carries it: visible ASCII and Latin-1 (two bytes of UTF-8 each), short, or about the inbox's bound. */
const headerCharacter = fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }));
const headerId = fc
  .oneof(
    { weight: 3, arbitrary: fc.array(headerCharacter, { maxLength: 40 }) },
    { weight: 1, arbitrary: fc.array(headerCharacter, { minLength: 450, maxLength: 800 }) },
  )
  .map((codes) => String.fromCharCode(...codes));

for (const backend of inboxBackends)
  describe(`what a sender chose, at the stores' limits, over HTTP (${backend.name})`, () => {
    let receiver: TestReceiver;
    beforeEach(async () => {
      receiver = await startReceiver({ backend });
    });
    afterEach(() => receiver.close());

    const availabilityLines = () => receiver.logs.filter(({ msg }) => String(msg).startsWith('the inbox '));

    it(`answers every signed delivery 200 or 422 and stores it, or 400 for an id past ${maxDeliveryIdBytes} bytes; never 503 (STORE_LIMITS_SEED=${seed})`, async function () {
      this.timeout(300_000);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            chosenId: headerId,
            endUserEvent: fc.boolean(),
            type: fc.option(hostileText),
            conversation: hostileText,
            endUser: hostileText,
            key: hostileText,
          }),
          async ({ chosenId, endUserEvent, type, conversation, endUser, key }) => {
            const id = `msg_${(run += 1)}_${chosenId}`;
            const event = contractExample(endUserEvent ? 'EndUserUpdated' : 'ConversationMessageText');
            if (type !== null) event['type'] = type;
            Object.assign(event['data'], { conversation_id: conversation, end_user_id: endUser, [key]: key });
            // An object where the contract wants a value: a violation whose pointer holds the key.
            if (endUserEvent) event['data'].profile.metadata[key] = {};

            const answer = await deliver(receiver.url, event, { id });
            if (Buffer.byteLength(id) > maxDeliveryIdBytes) {
              expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
              return;
            }
            expect(answer.status, JSON.stringify(answer.body)).to.be.oneOf([200, 422]);
            const stored = await receiver.inbox.get(id);
            expect(stored?.state).to.equal(answer.status === 200 ? 'pending' : 'quarantined');
            expect(stored?.body).to.equal(JSON.stringify(event));
          },
        ),
        { seed, numRuns: runs },
      );
      const delivered = receiver.logs.filter(({ msg }) => msg === 'delivery').length;
      expect(delivered).to.equal(run);
      expect(availabilityLines(), 'no delivery made the inbox unavailable').to.deep.equal([]);

      // The same log says so when the store does fail: the lines above could have been there.
      const allowWrites = await receiver.refuseWrites();
      try {
        expect((await deliver(receiver.url, contractExample('ConversationCreated'))).status).to.equal(503);
      } finally {
        await allowWrites();
      }
      await eventually(() => availabilityLines().length === 2, 10_000);
    });

    it(`refuses a delivery whose id takes more than ${maxDeliveryIdBytes} bytes with 400, saying why, and stores nothing`, async () => {
      const longest = 'é'.repeat(maxDeliveryIdBytes / 2);
      expect((await deliver(receiver.url, contractExample('ConversationCreated'), { id: longest })).status).to.equal(200);
      expect(await receiver.inbox.get(longest)).to.deep.include({ state: 'pending' });

      const invalid = { type: 'v1.conversation.created', timestamp: 'x', data: {} };
      for (const [id, event] of [
        [`${longest}a`, contractExample('ConversationCreated')],
        [`${longest}a`, invalid],
        ['m'.repeat(15 * 1024), contractExample('ConversationCreated')],
      ] as const) {
        const answer = await deliver(receiver.url, event, { id });
        expect(answer.status).to.equal(400);
        const bytes = Buffer.byteLength(id);
        expect(answer.body).to.deep.equal({
          type: 'about:blank',
          title: 'Delivery refused',
          status: 400,
          detail: `The inbox cannot store this delivery: its id takes ${bytes} bytes; the inbox keys deliveries by ids of at most ${maxDeliveryIdBytes} bytes. Nothing was stored.`,
        });
        expect(receiver.logs.at(-1)).to.include({ msg: 'delivery', outcome: 'refused', status: 400, level: 40 });
      }
      expect(await receiver.inbox.countByState()).to.deep.equal({ pending: 1, quarantined: 0, done: 0, dead: 0, discarded: 0 });
      expect(availabilityLines()).to.deep.equal([]);
    });

    it(`answers a body that breaks the contract everywhere with the violations it keeps: ${maxViolationsKept}, then how many more`, async () => {
      const event = contractExample('ConversationMessageText');
      // An object where the contract wants a value, under 1,500 keys: a violation each.
      event['data'].channel.metadata = Object.fromEntries(Array.from({ length: 1500 }, (_, index) => [`key${index}`, {}]));
      const { id, status, body } = await deliver(receiver.url, event);
      expect(status).to.equal(422);
      const { violations } = body as { violations: { pointer: string; message: string }[] };
      expect(violations).to.have.length(maxViolationsKept + 1);
      expect(violations.at(-1)).to.deep.equal({ pointer: '', message: `and ${1500 - maxViolationsKept} more violations, not kept` });
      expect((await receiver.inbox.get(id))?.violations).to.deep.equal(violations);
    });

    const numbers = (count: number, text: string) => `[${Array<string>(count).fill(text).join(',')}]`;
    const timestamp = '2026-11-24T09:15:02.417+00:00';

    it('quarantines a body of 140,000 numbers beyond a double, of a new type or in an extra field of a known one, with the violations it keeps', async function () {
      this.timeout(60_000);
      const bodies = [
        `{"type":"v1.example.rated","timestamp":"${timestamp}","data":{"x":${numbers(140_000, '1e400')}}}`,
        `{"type":"v1.conversation.created","timestamp":"${timestamp}","data":{"conversation_id":"c1"},"x":${numbers(140_000, '-1e999')}}`,
      ];
      for (const body of bodies) {
        expect(Buffer.byteLength(body)).to.be.below(1024 * 1024);
        const headers = signedHeaders(body);
        const { status, body: answer } = await post(receiver.url, body, headers);
        expect(status).to.equal(422);
        const { violations } = answer as { violations: { pointer: string; message: string }[] };
        expect(violations).to.have.length(maxViolationsKept + 1);
        expect(violations[0]!.message).to.match(/^is a number out of the range of a double .*, which would be read as -?Infinity$/);
        expect(violations.at(-1)).to.deep.equal({ pointer: '', message: `and ${140_000 - maxViolationsKept} more violations, not kept` });
        expect(await receiver.inbox.get(headers['svix-id']!)).to.deep.include({ state: 'quarantined', body, violations });
      }
    });

    it(`quarantines a body whose tags hold 500,000 numbers with the first ${maxViolationsKept} violations and a count of the rest`, async function () {
      this.timeout(60_000);
      const body = `{"type":"v1.conversation.created","timestamp":"${timestamp}","data":{"conversation_id":"big"},"tags":${numbers(500_000, '1')}}`;
      const headers = signedHeaders(body);
      const { status, body: answer } = await post(receiver.url, body, headers);
      expect(status).to.equal(422);
      const { violations } = answer as { violations: { pointer: string; message: string }[] };
      expect(violations.slice(0, 1)).to.deep.equal([{ pointer: '/tags/0', message: 'must be string' }]);
      expect(violations.at(-1)).to.deep.equal({ pointer: '', message: `and ${500_000 - maxViolationsKept} more violations, not kept` });
      expect(await receiver.inbox.get(headers['svix-id']!)).to.deep.include({ state: 'quarantined', body, violations });
      expect(receiver.logs.at(-1)).to.include({ outcome: 'quarantined', status: 422 });
    });

    it('lets a delivery whose handler fails quoting what the sender chose die after its attempts, and runs the next of its lane', async function () {
      this.timeout(20_000);
      const first = contractExample('ConversationMessageText');
      first['data'].content.body = 'answer this\u0000\uD800';
      const next = contractExample('ConversationMessageText');
      next['timestamp'] = '2026-11-24T09:15:10.000+00:00';
      const handled: string[] = [];
      receiver.receiver
        .on('v1.conversation.message', (event) => {
          const { content } = event.data;
          if (content?.type === 'text' && content.body.startsWith('answer this')) throw new Error(`cannot answer ${content.body}`);
          handled.push(event.timestamp);
        })
        .start();
      const failing = await deliver(receiver.url, first);
      expect((await deliver(receiver.url, next)).status).to.equal(200);

      const dead = await eventually(async () => {
        const stored = await receiver.inbox.get(failing.id);
        return stored?.state === 'dead' && stored;
      }, 15_000);
      expect(dead.lastError).to.include('Error: cannot answer answer this\uFFFD\uFFFD');
      expect(await receiver.inbox.failedAttempts(failing.id)).to.have.length(3);
      await eventually(() => handled.length === 1, 15_000);
      expect(handled).to.deep.equal([next['timestamp']]);
    });
  });
