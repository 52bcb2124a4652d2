// What a delivery shows that the contract does not describe, and how the receiver counts it: the
// observer over the real contract, and the counting over a real SQLite inbox.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { dereferenceContract, loadContract, type ContractDocument } from '../../src/contract/document.ts';
import { createDriftObserver, describeDrift, type DriftObserver } from '../../src/contract/drift.ts';
import { createDeliveryValidator } from '../../src/contract/delivery-validator.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { ContractDrift } from '../../src/intake/contract-drift.ts';
import { selected, type TestInbox } from '../support/inbox-backends.ts';
import { contractExample } from '../support/receiver.ts';
import { unknownEventType } from '../support/contract-values.ts';

describe('contract drift', () => {
  let contract: ContractDocument;
  let observer: DriftObserver;
  before(async () => {
    contract = await dereferenceContract(loadContract());
    observer = createDriftObserver(contract);
  });

  it("finds nothing in the contract's own examples", () => {
    for (const [name, { value }] of Object.entries(loadContract().components.examples)) {
      const found = observer.accepted(value);
      if (name === 'UnknownEvent')
        expect(
          found.map(({ kind }) => kind),
          name,
        ).to.deep.equal(['unknown_event_type']);
      else expect(found, name).to.deep.equal([]);
    }
  });

  it('names each field the schema does not describe by its path, array items collapsed, with its JSON type', () => {
    const message = contractExample('ConversationMessageText');
    message['data'].satisfaction = { score: 4.5 };
    message['data'].author.nickname = null;
    message['data'].channel.metadata.anything = 'is described: metadata is a free-form map';
    const created = contractExample('ConversationCreated');
    created['data'].satisfaction_score = 4;
    created['data'].labels = [{ name: 'vip' }];
    expect(observer.accepted(message)).to.deep.equal([
      { eventType: 'v1.conversation.message', kind: 'unknown_field', path: 'data.author.nickname', detail: 'null' },
      { eventType: 'v1.conversation.message', kind: 'unknown_field', path: 'data.satisfaction', detail: 'object' },
    ]);
    expect(observer.accepted(created).map(({ path, detail }) => `${path} ${detail}`)).to.deep.equal([
      'data.satisfaction_score integer',
      'data.labels array',
    ]);
  });

  it('names a field whose name is not a plain one in brackets, as JSON: no two places share a path', () => {
    const ended = contractExample('ConversationEndedBySystem');
    ended['data']['ended_by.satisfaction'] = 5;
    ended['data'].ended_by.satisfaction = 4;
    ended['data']['line\nbreak'] = true;
    expect(observer.accepted(ended).map(({ path, detail }) => `${path} ${detail}`)).to.deep.equal([
      'data.ended_by.satisfaction integer',
      'data["ended_by.satisfaction"] integer',
      String.raw`data["line\nbreak"] boolean`,
    ]);
    const message = contractExample('ConversationMessageText');
    message['data'].channel.metadata = { 'a.b': {} };
    const violations = createDeliveryValidator(contract)(message);
    expect(observer.quarantined(message, violations).map(({ kind, path, detail }) => `${kind} ${path} ${detail}`)).to.deep.equal([
      'other_type data.channel.metadata["a.b"] object',
    ]);
    // A path an older receiver kept with the name as it was: shown on one line.
    expect(
      describeDrift({ eventType: 'v1.conversation.ended', kind: 'unknown_field', path: 'data.line\nbreak', detail: 'boolean' }),
    ).to.equal(String.raw`data.line\u000abreak (boolean) is not described by the contract`);
  });

  it('reads a variant by the field that tells the variants apart', () => {
    const file = contractExample('ConversationMessageFile');
    file['data'].content.thumbnail = 'https://cdn.example.com/t.png';
    file['data'].channel.region = 'eu';
    expect(observer.accepted(file).map(({ path }) => path)).to.deep.equal(['data.channel.region', 'data.content.thumbnail']);
  });

  it('collapses the items of an array in a path', () => {
    const buttons = { type: 'array', items: { type: 'object', properties: { label: { type: 'string' } } } };
    const message = { properties: { type: { enum: ['v1.conversation.message'] }, data: { properties: { buttons } } } };
    const withButtons = createDriftObserver({
      components: { schemas: { AdaWebhookDelivery: { oneOf: [message] } } },
    } as unknown as ContractDocument);
    const event = {
      type: 'v1.conversation.message',
      data: {
        buttons: [
          { label: 'Yes', url: 'https://a' },
          { label: 'No', url: 'https://b', style: 1 },
        ],
      },
    };
    expect(withButtons.accepted(event).map(({ path, detail }) => `${path} ${detail}`)).to.deep.equal([
      'data.buttons[].url string',
      'data.buttons[].style integer',
    ]);
  });

  it('groups the violations of a quarantined delivery by kind and place, keeping only the value of an unlisted one', () => {
    const event = contractExample('ConversationMessageText');
    event['data'].channel.modality = 'whatsapp';
    event['data'].conversation_id = 42;
    delete event['data'].channel.name;
    const violations = createDeliveryValidator(contract)(event);
    expect(
      observer
        .quarantined(event, violations)
        .map(({ kind, path, detail }) => `${kind} ${path} ${detail}`)
        .sort(),
    ).to.deep.equal([
      'missing_field data.channel.name ',
      'other_type data.conversation_id integer',
      'unlisted_value data.channel.modality whatsapp',
    ]);
  });

  it("keeps an unknown field's value only when asked to", () => {
    const created = contractExample('ConversationCreated');
    created['data'].satisfaction_score = 4;
    created['data'].comment = 'x'.repeat(500);
    expect(observer.accepted(created).map(({ exampleValue }) => exampleValue)).to.deep.equal([undefined, undefined]);
    const keeping = createDriftObserver(contract, { exampleValues: true });
    // At most 128 bytes of JSON, the last three of them the mark of a value cut short.
    expect(keeping.accepted(created).map(({ exampleValue }) => exampleValue)).to.deep.equal(['4', `"${'x'.repeat(124)}…`]);
  });

  it('keeps at most 256 bytes of a path, cut between characters and marked, whatever names a sender chooses', () => {
    const event = contractExample('ConversationCreated');
    event['data']['x'.repeat(900_000)] = 1;
    // Starts as the one before up to the cut: the same difference.
    event['data'][`${'x'.repeat(900_000)}y`] = 2;
    event['data']['é'.repeat(200)] = 3;
    // A character of four bytes across the cut stays whole, out of the path.
    event['data'][`y${'😀'.repeat(100)}`] = 4;
    // What PostgreSQL cannot keep as text, and what UTF-8 cannot say: escaped, as JSON writes them.
    event['data']['nul\u0000'] = 5;
    event['data']['half\uD83D'] = 6;
    const paths = observer.accepted(event).map(({ path }) => path);
    expect(paths).to.deep.equal([
      `data.${'x'.repeat(248)}…`,
      `data["${'é'.repeat(123)}…`,
      `data["y${'😀'.repeat(61)}…`,
      String.raw`data["nul\u0000"]`,
      String.raw`data["half\ud83d"]`,
    ]);
    expect(paths.map((path) => Buffer.byteLength(path))).to.deep.equal([256, 255, 254, 17, 18]);
  });

  it("keeps at most 256 bytes of a violation's path and 128 of an unlisted value", () => {
    const event = contractExample('ConversationMessageText');
    event['data'].channel.modality = 'é'.repeat(1000);
    event['data'].channel.metadata = { ['k'.repeat(5000)]: {} };
    const violations = createDeliveryValidator(contract)(event);
    expect(observer.quarantined(event, violations).map(({ kind, path, detail }) => `${kind} ${path} ${detail}`)).to.deep.equal([
      `unlisted_value data.channel.modality ${'é'.repeat(62)}…`,
      `other_type data.channel.metadata.${'k'.repeat(231)}… object`,
    ]);
  });

  it('names an event type that the contract does not know', () => {
    const rated = unknownEventType('v1.conversation.rated');
    expect(observer.accepted({ type: rated, data: { rating: 5 } })).to.deep.equal([
      { eventType: rated, kind: 'unknown_event_type', path: '', detail: '' },
    ]);
  });

  describe('counted in the inbox', () => {
    let directory: string;
    let inbox: SqliteInbox;
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    beforeEach(() => {
      directory = mkdtempSync(join(tmpdir(), 'ada-drift-'));
      inbox = new SqliteInbox(join(directory, 'inbox.sqlite'));
      lines.length = 0;
    });
    afterEach(async () => {
      await inbox.close();
      rmSync(directory, { recursive: true, force: true });
    });

    const withScore = () => {
      const event = contractExample('ConversationCreated');
      event['data'].satisfaction_score = 4;
      return event;
    };

    it('counts deliveries, logs the first sighting once, and knows it again after a restart', async () => {
      const first = await ContractDrift.open({ inbox, logger, contract, exampleValues: false });
      first.accepted('msg_1', withScore());
      first.accepted('msg_2', withScore());
      await first.close();
      const again = await ContractDrift.open({ inbox, logger, contract, exampleValues: false });
      again.accepted('msg_3', withScore());
      await again.close();

      expect(lines.map((line) => line['msg'])).to.deep.equal([
        'contract drift in v1.conversation.created: data.satisfaction_score (integer) is not described by the contract',
      ]);
      expect(lines[0]).to.include({ deliveryId: 'msg_1', kind: 'unknown_field', path: 'data.satisfaction_score', detail: 'integer' });
      const [summary] = await inbox.drift();
      expect(summary).to.include({
        eventType: 'v1.conversation.created',
        path: 'data.satisfaction_score',
        deliveries: 3,
        exampleId: 'msg_1',
      });
      expect([...again.differences().values()]).to.deep.equal([{ eventType: 'v1.conversation.created', kind: 'unknown_field', count: 1 }]);
    });

    it('records what it sees after a flush that had nothing to write, as after an idle second, and again after the next', async () => {
      const drift = await ContractDrift.open({ inbox, logger, contract, exampleValues: false });
      const recorded = async () => (await inbox.drift()).map(({ path, deliveries }) => `${path} ${deliveries}`);
      try {
        await drift.flush();
        drift.accepted('msg_1', withScore());
        await drift.flush();
        expect(await recorded()).to.deep.equal(['data.satisfaction_score 1']);
        await drift.flush();
        drift.accepted('msg_2', withScore());
        await drift.flush();
        expect(await recorded()).to.deep.equal(['data.satisfaction_score 2']);
      } finally {
        await drift.close();
      }
    });

    it('keeps 20 deliveries with field names of 900 KB to a few KB in the log, the inbox and its counts', async () => {
      const drift = await ContractDrift.open({ inbox, logger, contract, exampleValues: true });
      for (let index = 0; index < 20; index += 1) {
        const event = contractExample('ConversationCreated');
        event['data'][`${String(index).padStart(2, '0')}${'x'.repeat(900_000)}`] = 'y'.repeat(900_000);
        drift.accepted(`msg_${index}`, event);
      }
      await drift.close();
      expect(lines).to.have.lengthOf(20);
      expect(lines.map((line) => JSON.stringify(line).length).reduce((sum, length) => sum + length)).to.be.below(20 * 1024);
      const summaries = await inbox.drift();
      expect(summaries).to.have.lengthOf(20);
      for (const { path, exampleValue } of summaries) {
        expect(Buffer.byteLength(path)).to.equal(256);
        expect(path).to.match(/^data\["\d\dx+…$/);
        expect(Buffer.byteLength(exampleValue!)).to.equal(128);
      }
      expect([...drift.differences().values()]).to.deep.equal([{ eventType: 'v1.conversation.created', kind: 'unknown_field', count: 20 }]);
    });

    it('knows a difference that the inbox kept whole before paths were bounded by its bounded path, and warns of it no more', async () => {
      const name = 'x'.repeat(900_000);
      const seen = new Date('2026-12-01T09:00:00Z');
      const before = { eventType: 'v1.conversation.created', kind: 'unknown_field', detail: 'integer', deliveries: 1 } as const;
      const times = { firstSeenAt: seen, lastSeenAt: seen, exampleId: 'msg_before', exampleValue: null };
      await inbox.recordDrift([{ ...before, path: `data.${name}`, ...times }]);
      const drift = await ContractDrift.open({ inbox, logger, contract, exampleValues: false });
      const event = contractExample('ConversationCreated');
      event['data'][name] = 1;
      drift.accepted('msg_after', event);
      await drift.close();
      expect(lines).to.deep.equal([]);
      expect((await inbox.drift()).map(({ path, exampleId }) => `${Buffer.byteLength(path)} ${exampleId}`).sort()).to.deep.equal([
        '256 msg_after',
        '900005 msg_before',
      ]);
    });

    it('keeps at most 200 differences of one event type and 100 unknown event types apart, whatever a sender sends, and counts the rest', async () => {
      const drift = await ContractDrift.open({ inbox, logger, contract, exampleValues: false });
      const flood = contractExample('ConversationCreated');
      for (let index = 0; index < 250; index += 1) flood['data'][`field_${index}`] = index;
      drift.accepted('msg_flood', flood);
      drift.accepted('msg_flood_again', flood);
      for (let index = 0; index < 150; index += 1) drift.accepted(`msg_type_${index}`, { type: `v1.made_up.type_${index}`, data: {} });
      await drift.close();

      const summaries = await inbox.drift();
      const count = (predicate: (summary: (typeof summaries)[number]) => boolean) => summaries.filter(predicate).length;
      expect(count(({ kind }) => kind === 'unknown_field')).to.equal(200);
      expect(count(({ kind }) => kind === 'unknown_event_type')).to.equal(100);
      expect(
        summaries
          .filter(({ kind }) => kind === 'beyond_cap')
          .map(({ eventType, deliveries }) => `${eventType} ${deliveries}`)
          .sort(),
      ).to.deep.equal([
        'unknown 50',
        // One per delivery: each of the two showed differences beyond the cap.
        'v1.conversation.created 2',
      ]);
      expect(lines).to.have.lengthOf(200 + 100 + 2);
    });

    it('keeps what it could not write while the inbox is closed to writes, and writes it later', async () => {
      const drift = await ContractDrift.open({ inbox, logger, contract, exampleValues: false });
      const recordDrift = inbox.recordDrift.bind(inbox);
      let refuse = true;
      inbox.recordDrift = async (summaries) => {
        if (!refuse) return recordDrift(summaries);
        // A delivery is seen while the failing write is under way.
        drift.accepted('msg_meanwhile', withScore());
        throw new Error('disk full');
      };
      drift.accepted('msg_1', withScore());
      await drift.flush();
      expect(await inbox.drift()).to.deep.equal([]);
      refuse = false;
      drift.accepted('msg_2', withScore());
      await drift.close();
      expect((await inbox.drift()).map(({ deliveries, exampleId }) => ({ deliveries, exampleId }))).to.deep.equal([
        { deliveries: 3, exampleId: 'msg_1' },
      ]);
    });
  });

  for (const postgres of selected('PostgreSQL'))
    describe('counted in a PostgreSQL inbox', () => {
      let store: TestInbox;
      beforeEach(async () => {
        store = await postgres.create();
      });
      afterEach(() => store.destroy());

      it('records a field name of 900 KB and one with NUL, which PostgreSQL would refuse whole, and what is seen beside them', async () => {
        const drift = await ContractDrift.open({ inbox: store.inbox, logger: pino({ level: 'silent' }), contract, exampleValues: false });
        const event = contractExample('ConversationCreated');
        event['data']['x'.repeat(900_000)] = 1;
        event['data']['nul\u0000'] = 2;
        event['data'].satisfaction_score = 3;
        drift.accepted('msg_1', event);
        await drift.close();
        expect((await store.inbox.drift()).map(({ path }) => path).sort()).to.deep.equal([
          'data.satisfaction_score',
          `data.${'x'.repeat(248)}…`,
          String.raw`data["nul\u0000"]`,
        ]);
      });
    });
});
