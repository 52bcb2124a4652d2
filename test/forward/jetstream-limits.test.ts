// What JetStream is sent of a delivery, at and past NATS's limits: subjects up to the length that
// fits NATS's control line, messages up to the server's max_payload with their headers, and a
// warning at start when the body limit lets in bodies that cannot fit. Past a limit, the delivery
// is refused before anything is sent, and the connection stays up for the others.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { maxSubjectBytes } from '../../src/forward/subject.ts';
import { jetStreamBroker, type TestBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { contractExample, deliver, startReceiver, type TestReceiver, type TestReceiverOptions } from '../support/receiver.ts';

function messageEvent(conversation: string, sequence = 0): Record<string, any> {
  const event = contractExample('ConversationMessageText');
  event['data'].conversation_id = conversation;
  event['timestamp'] = new Date(Date.UTC(2026, 11, 1, 9) + sequence).toISOString();
  return event;
}

/** The bytes that NATS counts for a message's headers (`NATS/1.0`, a line per header, a blank line). */
function headerBytes(headers: Record<string, string>): number {
  return Buffer.byteLength(
    `NATS/1.0\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')}\r\n`,
  );
}

const failing = 'forwarding is failing: deliveries wait in their lanes until the broker is back';

describe('forwarding to JetStream at the limits of NATS', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await broker.destroy();
    receiver = undefined;
  });

  const start = async (options: TestReceiverOptions = {}) => {
    broker = await jetStreamBroker(undefined, { subject: '{conversation}.{type}' });
    receiver = await startReceiver({ ...broker.options(), ...options });
    receiver.receiver.start();
    return receiver;
  };
  const prefix = () => String(broker.options()['forwardSubject']).split('.')[0]!;
  const stateOf = async (id: string) => (await receiver!.inbox.get(id))?.state;

  it(`forwards a subject of ${maxSubjectBytes} bytes, and refuses a longer one without losing the connection`, async () => {
    const { url } = await start();
    const fixed = `${prefix()}..v1.conversation.message`.length;
    const atLimit = `at-limit-${randomUUID()}`.padEnd(maxSubjectBytes - fixed, 'a');
    const pastLimit = `past-limit-${randomUUID()}`.padEnd(maxSubjectBytes - fixed + 1, 'a');
    // Short in characters, past the limit once each € is written as its three bytes of UTF-8, nine characters.
    const pastInUtf8 = `past-utf8-${randomUUID()}${'€'.repeat(Math.ceil((maxSubjectBytes - fixed) / 9) + 1)}`;
    const atNatsLimit = `past-control-line-${randomUUID()}`.padEnd(4096, 'a');
    const ids = new Map<string, string>();
    for (const conversation of [atLimit, pastLimit, pastInUtf8, atNatsLimit])
      ids.set(conversation, (await deliver(url, messageEvent(conversation))).id);
    const after = (await deliver(url, messageEvent('after-the-long-ones'))).id;
    await eventually(
      async () => (await Promise.all([...ids.values(), after].map(stateOf))).every((state) => state === 'done' || state === 'dead'),
      15_000,
    );

    const [copy] = await broker.messages(`${prefix()}.${atLimit}.>`);
    expect(Buffer.byteLength(copy!.route)).to.equal(maxSubjectBytes);
    expect(await stateOf(ids.get(atLimit)!)).to.equal('done');
    for (const conversation of [pastLimit, pastInUtf8, atNatsLimit]) {
      const stored = (await receiver!.inbox.get(ids.get(conversation)!))!;
      expect(stored.state).to.equal('dead');
      expect(stored.lastError).to.match(/^MessageRefused: the subject would be \d+ bytes, more than the 3840 that are forwarded to NATS/);
    }
    expect(await stateOf(after)).to.equal('done');
    expect(receiver!.logs.map(({ msg }) => msg)).not.to.include(failing);
  });

  it('forwards a message of exactly max_payload bytes with its headers, and refuses one a byte larger', async () => {
    const { url } = await start();
    const conversation = `max-payload-${randomUUID()}`;
    const sized = (bytes: number, sequence: number) => {
      const event = messageEvent(conversation, sequence);
      event['data'].content.body = '';
      event['data'].content.body = 'x'.repeat(bytes - JSON.stringify(event).length);
      return event;
    };
    // Every delivery here has headers of one length: ids, lane, type and time of the same sizes.
    const id = (n: number) => `msg_max_payload_${randomUUID()}_${n}`;
    const first = await deliver(url, sized(1000, 0), { id: id(0) });
    await eventually(async () => (await stateOf(first.id)) === 'done', 10_000);
    const [copy] = await broker.messages();
    const maxPayload = 1024 * 1024;
    const room = maxPayload - headerBytes(copy!.headers);

    const fits = await deliver(url, sized(room, 1), { id: id(1) });
    const tooLarge = await deliver(url, sized(room + 1, 2), { id: id(2) });
    await eventually(async () => (await stateOf(tooLarge.id)) === 'dead', 10_000);
    expect(await stateOf(fits.id)).to.equal('done');
    const held = await broker.messages();
    expect(held.map((message) => message.id)).to.deep.equal([first.id, fits.id]);
    expect(headerBytes(held[1]!.headers) + Buffer.byteLength(held[1]!.body)).to.equal(maxPayload);
    expect((await receiver!.inbox.get(tooLarge.id))!.lastError).to.include(
      `MessageRefused: the message would be ${maxPayload + 1} bytes with its headers`,
    );
    expect(receiver!.logs.map(({ msg }) => msg)).not.to.include(failing);
  });

  it('warns at start when the body limit lets in bodies that max_payload cannot take with their headers', async () => {
    await start();
    await eventually(() => receiver!.logs.some(({ msg }) => msg === 'forwarding accepted deliveries'));
    const warning = receiver!.logs.find(({ msg }) => String(msg).includes('max_payload'));
    expect(warning).to.deep.include({ level: 40, bodyLimitBytes: 1024 * 1024, maxPayload: 1024 * 1024 });
    expect(warning!['msg']).to.match(/raise the server's max_payload to at least \d+ bytes, or lower the body limit to \d+ bytes/);
  });

  it('says nothing of max_payload when the body limit leaves room for the headers', async () => {
    await start({ bodyLimit: '1000kb' });
    await eventually(() => receiver!.logs.some(({ msg }) => msg === 'forwarding accepted deliveries'));
    expect(receiver!.logs.filter(({ msg }) => String(msg).includes('max_payload'))).to.deep.equal([]);
  });
});
