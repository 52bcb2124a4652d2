import { expect } from 'chai';
import { parseDocument } from 'yaml';
import { editContract } from '../../scripts/commands/contract-edit.ts';
import type { DriftSummary } from '../../src/inbox/inbox.ts';

const document = `components:
  schemas:
    AdaWebhookDelivery:
      oneOf:
        - $ref: '#/components/schemas/AEvent'
        - $ref: '#/components/schemas/BEvent'
    AEvent:
      properties:
        type:
          enum: [v1.a.happened]
        data:
          $ref: '#/components/schemas/Shared'
    BEvent:
      properties:
        type:
          enum: [v1.b.happened]
        data:
          $ref: '#/components/schemas/Shared'
    Shared:
      type: object
      properties:
        # A comment that stays.
        kind:
          type: string
          enum:
            - one
            - 'two'
`;

const seen = new Date('2026-12-01T09:00:00Z');
const summary = (eventType: string, kind: DriftSummary['kind'], path: string, detail: string): DriftSummary => ({
  eventType,
  kind,
  path,
  detail,
  deliveries: 1,
  firstSeenAt: seen,
  lastSeenAt: seen,
  exampleId: 'msg_1',
  exampleValue: null,
});

describe('editing the contract for drift', () => {
  it('adds a field and a value once where two event types share the schema, keeping the rest of the text', () => {
    const summaries = ['v1.a.happened', 'v1.b.happened'].flatMap((type) => [
      summary(type, 'unknown_field', 'data.extra', 'integer'),
      summary(type, 'unknown_field', 'data.extra', 'null'),
      summary(type, 'unlisted_value', 'data.kind', 'three'),
    ]);
    const edit = editContract(document, summaries, () => 'since 2026-12-01', new Map());
    expect(edit.text).to.equal(
      document.replace("            - 'two'\n", "            - 'two'\n            - three\n") +
        "        extra:\n          type: [integer, 'null']\n          description: Seen in deliveries since 2026-12-01, and not described by Ada yet.\n",
    );
    expect(edit.written).to.have.lengthOf(6);
    expect(edit.skipped).to.deep.equal([]);
  });

  it('tells what the contract describes already from what it leaves alone, and why', () => {
    const edit = editContract(
      document,
      [
        summary('v1.a.happened', 'unknown_field', 'data.kind', 'string'),
        summary('v1.a.happened', 'missing_field', 'data.id', ''),
        summary('v1.a.happened', 'unlisted_value', 'data.kind', 'one'),
      ],
      () => 'since 2026-12-01',
      new Map(),
    );
    expect(edit.text).to.equal(document);
    expect(edit.described.map(({ kind }) => kind)).to.deep.equal(['unknown_field', 'unlisted_value']);
    expect(edit.skipped.map(({ reason }) => reason)).to.deep.equal(['this kind of difference is changed by hand']);
  });

  it('skips a field or a value that the receiver may have kept only the start of, with the reason, and writes the rest', () => {
    const edit = editContract(
      document,
      [
        summary('v1.a.happened', 'unknown_field', `data.${'x'.repeat(248)}…`, 'integer'),
        // Kept whole by a receiver of an earlier version: longer than YAML's implicit keys.
        summary('v1.a.happened', 'unknown_field', `data.${'y'.repeat(5000)}`, 'integer'),
        summary('v1.a.happened', 'unlisted_value', 'data.kind', `${'é'.repeat(62)}…`),
        summary('v1.a.happened', 'unknown_field', 'data.extra', 'integer'),
      ],
      () => 'since 2026-12-01',
      new Map(),
    );
    expect(edit.written.map(({ path }) => path)).to.deep.equal(['data.extra']);
    expect(edit.skipped.map(({ reason }) => reason)).to.deep.equal([
      'the receiver keeps at most 256 bytes of a path, and this one may be longer: add it by hand if it is real',
      'the receiver keeps at most 256 bytes of a path, and this one may be longer: add it by hand if it is real',
      'the receiver keeps at most 128 bytes of a value, and this one may be longer: add it by hand if it is real',
    ]);
    expect(edit.text).to.equal(
      `${document}        extra:\n          type: integer\n          description: Seen in deliveries since 2026-12-01, and not described by Ada yet.\n`,
    );
  });

  it('adds the properties of one schema in the order they were seen', () => {
    const edit = editContract(
      document,
      ['first', 'second', 'third'].map((name) => summary('v1.a.happened', 'unknown_field', `data.${name}`, 'integer')),
      () => 'since 2026-12-01',
      new Map(),
    );
    const { components } = parseDocument(edit.text).toJS() as { components: { schemas: { Shared: { properties: object } } } };
    expect(Object.keys(components.schemas.Shared.properties)).to.deep.equal(['kind', 'first', 'second', 'third']);
  });

  describe('drafting an event', () => {
    const contract = `paths:
  /webhooks/ada:
    post:
      operationId: receiveAdaWebhook
webhooks:
  v1.a.happened:
    post:
      operationId: aHappened
components:
  schemas:
    AdaWebhookDelivery:
      oneOf:
        - $ref: '#/components/schemas/AHappenedEvent'
    AHappenedEvent:
      properties:
        type:
          enum: [v1.a.happened]
  examples:
    AHappened:
      value: {}
    ConversationMessageText:
      value: {}
`;
    const draft = (...types: string[]) =>
      editContract(
        contract,
        types.map((type, index) => ({ ...summary(type, 'unknown_event_type', '', ''), exampleId: `msg_${index}` })),
        () => 'since 2026-12-01',
        new Map(types.map((type, index) => [`msg_${index}`, { type, timestamp: '2026-12-01T09:00:00Z', data: { id: 'x' } }])),
      );
    const names = (text: string) => {
      const parsed = parseDocument(text).toJS() as {
        paths: Record<string, Record<string, { operationId: string }>>;
        webhooks: Record<string, Record<string, { operationId: string }>>;
        components: { schemas: Record<string, unknown>; examples: Record<string, unknown> };
      };
      return {
        operations: [...Object.values(parsed.paths), ...Object.values(parsed.webhooks)].map(({ post }) => post!.operationId),
        schemas: Object.keys(parsed.components.schemas),
        examples: Object.keys(parsed.components.examples),
      };
    };

    it('suffixes an example name that the contract has already', () => {
      const edit = draft('v1.conversation.message.text');
      expect(edit.skipped).to.deep.equal([]);
      expect(names(edit.text).examples).to.deep.equal(['AHappened', 'ConversationMessageText', 'ConversationMessageText2']);
      expect(edit.text).to.contain("$ref: '#/components/examples/ConversationMessageText2'");
    });

    it('suffixes an operationId that the contract has already, in paths or in webhooks', () => {
      const edit = draft('v1.receive.ada.webhook', 'v1.a_happened.now', 'v1.a.happened_now');
      expect(names(edit.text).operations).to.deep.equal([
        'receiveAdaWebhook',
        'aHappened',
        'receiveAdaWebhook2',
        'aHappenedNow',
        'aHappenedNow2',
      ]);
    });

    it('suffixes the names of two events that draft the same ones', () => {
      const edit = draft('v1.b_c.happened', 'v1.b.c_happened');
      expect(names(edit.text).schemas).to.deep.equal(['AdaWebhookDelivery', 'AHappenedEvent', 'BCHappenedEvent', 'BCHappenedEvent2']);
      expect(names(edit.text).examples).to.deep.equal(['AHappened', 'ConversationMessageText', 'BCHappened', 'BCHappened2']);
    });

    it('writes a property and a drafted schema where both blocks end at one place, each in its own', () => {
      const edit = editContract(
        contract,
        [
          summary('v1.a.happened', 'unknown_field', 'extra', 'integer'),
          { ...summary('v1.b.happened', 'unknown_event_type', '', ''), exampleId: 'msg_b' },
        ],
        () => 'since 2026-12-01',
        new Map([['msg_b', { type: 'v1.b.happened', timestamp: '2026-12-01T09:00:00Z', data: {} }]]),
      );
      const { components } = parseDocument(edit.text).toJS() as { components: { schemas: Record<string, { properties: object }> } };
      expect(Object.keys(components.schemas['AHappenedEvent']!.properties)).to.deep.equal(['type', 'extra']);
      expect(Object.keys(components.schemas['BHappenedEvent']!.properties)).to.deep.equal(['type', 'timestamp', 'data']);
    });

    it('leaves an event that webhooks: lists already, before npm run generate adds it to the union, as described', () => {
      const listed = contract.replace('components:\n', '  v1.c.happened:\n    post:\n      operationId: cHappened\ncomponents:\n');
      const edit = editContract(
        listed,
        [{ ...summary('v1.c.happened', 'unknown_event_type', '', ''), exampleId: 'msg_c' }],
        () => 'since 2026-12-01',
        new Map([['msg_c', { type: 'v1.c.happened', timestamp: '2026-12-01T09:00:00Z', data: {} }]]),
      );
      expect(edit.text).to.equal(listed);
      expect(edit.described).to.have.lengthOf(1);
    });
  });
});
