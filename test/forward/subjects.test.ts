// The subjects that JetStream is sent: each id one token, so that different conversations never
// share a subject, and a consumer subscribes to one conversation by its token; the encoding as
// docs/forwarding.md documents it, for consumers to compute.
import { expect } from 'chai';
import type { ForwardedMessage } from '../../src/forward/message.ts';
import { subjectOf, type SubjectTemplate } from '../../src/forward/subject.ts';
import { jetStreamBroker, type TestBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { contractExample, deliver, startReceiver, type TestReceiver } from '../support/receiver.ts';

function messageEvent(conversation: string | undefined, sequence = 0): Record<string, any> {
  const event = contractExample('ConversationMessageText');
  if (conversation === undefined) delete event['data'].conversation_id;
  else event['data'].conversation_id = conversation;
  event['timestamp'] = new Date(Date.UTC(2026, 11, 1, 9) + sequence).toISOString();
  return event;
}

describe('subjects on JetStream', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await broker.destroy();
    receiver = undefined;
  });

  const start = async () => {
    broker = await jetStreamBroker(undefined, { subject: '{conversation}.{type}' });
    receiver = await startReceiver(broker.options());
    receiver.receiver.start();
    return receiver;
  };
  const prefix = () => String(broker.options()['forwardSubject']).split('.')[0]!;
  const stateOf = async (id: string) => (await receiver!.inbox.get(id))?.state;

  it('gives each conversation id a subject of its own, which a consumer subscribes to for that conversation alone', async () => {
    const { url } = await start();
    // Each id, and the token that stands for it in the subject.
    const tokens = new Map<string | undefined, string>([
      ['a.b', 'a%2Eb'],
      ['a_b', 'a_b'],
      ['a%2Eb', 'a%252Eb'],
      ['*', '%2A'],
      ['>', '%3E'],
      ['', '%empty'],
      ['é', '%C3%A9'],
      ['Ω', '%CE%A9'],
      ['\ud800', '%ED%A0%80'],
      ['a b', 'a%20b'],
      ['none', 'none'],
      ['%none', '%25none'],
      [undefined, '%none'],
      ['5df263b7db5a7e6ea03fae9b', '5df263b7db5a7e6ea03fae9b'],
    ]);
    const sent = new Map<string | undefined, string[]>();
    for (const conversation of tokens.keys()) {
      const ids: string[] = [];
      for (let n = 0; n < 2; n += 1) {
        const { id, status } = await deliver(url, messageEvent(conversation, n));
        expect(status).to.equal(200);
        ids.push(id);
      }
      sent.set(conversation, ids);
    }
    const all = [...sent.values()].flat();
    await eventually(async () => (await Promise.all(all.map(stateOf))).every((state) => state === 'done'), 15_000);

    for (const [conversation, token] of tokens) {
      const copies = await broker.messages(`${prefix()}.${token}.>`);
      expect(
        copies.map(({ id }) => id),
        JSON.stringify(conversation),
      ).to.deep.equal(sent.get(conversation));
      for (const copy of copies) expect(copy.route).to.equal(`${prefix()}.${token}.v1.conversation.message`);
      if (conversation !== undefined && conversation !== '' && conversation.isWellFormed())
        expect(decodeURIComponent(token)).to.equal(conversation);
    }
  });
});

describe('subject tokens', () => {
  const template = { text: 'ada.{conversation}.{type}', streamSubject: 'ada.>' } satisfies SubjectTemplate;
  const subjectFor = (conversation: string) =>
    subjectOf(template, { eventType: 'v1.conversation.message', conversationId: conversation } as ForwardedMessage);

  /** The recipe that docs/forwarding.md gives consumers, for ids that are well-formed text. */
  const subjectToken = (id: string) =>
    id === '' ? '%empty' : encodeURIComponent(id).replace(/[.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

  it("keeps every id apart, reads back with decodeURIComponent and agrees with the forwarding guide's recipe, over 20,000 seeded random ids", () => {
    const seed = Number(process.env['SUBJECT_SEED'] ?? Date.now() % 1_000_000);
    console.log(`      seed ${seed} (SUBJECT_SEED to repeat)`);
    let state = seed;
    const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = [
      'a',
      'Z',
      '0',
      '-',
      '_',
      '.',
      '*',
      '>',
      '%',
      ' ',
      '\t',
      '\r',
      '\n',
      '$',
      '!',
      '~',
      "'",
      '(',
      'é',
      'Ω',
      '€',
      '😀',
      '\u0000',
    ];
    const seen = new Map<string, string>();
    for (let n = 0; n < 20_000; n += 1) {
      const length = Math.floor(random() * 6);
      const id = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const subject = subjectFor(id);
      const [, token, ...type] = subject.split('.');
      expect(type.join('.')).to.equal('v1.conversation.message');
      expect(token, JSON.stringify(id)).to.match(/^[A-Za-z0-9_%-]+$/);
      if (id !== '') expect(decodeURIComponent(token!)).to.equal(id);
      expect(token).to.equal(subjectToken(id));
      const other = seen.get(subject);
      if (other !== undefined) expect(other, `${JSON.stringify(id)} and ${JSON.stringify(other)} share ${subject}`).to.equal(id);
      seen.set(subject, id);
    }
  });

  it('keeps a lone surrogate apart from the replacement character', () => {
    expect(subjectFor('\ud800')).not.to.equal(subjectFor('\ufffd'));
  });
});
