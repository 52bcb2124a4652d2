import { expect } from 'chai';
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
});
