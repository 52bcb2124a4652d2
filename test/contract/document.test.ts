import { expect } from 'chai';
import { checkContract } from '../../src/contract/check.ts';
import { dereferenceContract, loadContract, webhookExamples } from '../../src/contract/document.ts';
import { createSchemaValidators } from '../../src/contract/validation.ts';
import { knownEventNames } from '../../src/contract/events.ts';
import { listed, unlisted } from '../support/contract-values.ts';

const contract = loadContract();
const validate = createSchemaValidators(await dereferenceContract(contract));
const validateDelivery = validate('AdaWebhookDelivery');

const schemaName = (ref: string) => ref.replace('#/components/schemas/', '');
const exampleName = (ref: string) => ref.replace('#/components/examples/', '');
const example = (name: string) => structuredClone(contract.components.examples[name]!.value) as Record<string, any>;
const receiverBody = contract.paths['/webhooks/ada']!['post']!.requestBody!.content['application/json']!;

describe('the contract document', () => {
  it('passes the check of generate and of the receiver: every $ref resolves, every schema is JSON Schema with known keywords', () => {
    expect(() => checkContract(contract, 'openapi/ada-webhooks.yaml')).to.not.throw();
  });

  describe('webhooks', () => {
    for (const [name, item] of Object.entries(contract.webhooks)) {
      const body = item.post.requestBody;
      const media = body.content['application/json']!;

      describe(name, () => {
        it('has a required request body', () => {
          expect(body.required).to.equal(true);
        });

        it('fixes `type` to its own name', () => {
          const schema = contract.components.schemas[schemaName(media.schema.$ref)]!;
          expect(schema['required']).to.include.members(['type', 'timestamp', 'data']);
          expect((schema['properties'] as any).type.enum).to.deep.equal([name]);
        });

        it('has examples that validate against its schema and as a delivery', () => {
          const examples = webhookExamples(contract, name);
          expect(examples.size).to.be.greaterThan(0);
          for (const [exampleKey, value] of examples) {
            expect(value['type'], exampleKey).to.equal(name);
            expect(validate(schemaName(media.schema.$ref))(value), exampleKey).to.deep.equal([]);
            expect(validateDelivery(value), exampleKey).to.deep.equal([]);
          }
        });
      });
    }
  });

  describe('POST /webhooks/ada', () => {
    it('accepts exactly the webhook schemas plus the unknown-event branch', () => {
      const branches = (contract.components.schemas['AdaWebhookDelivery']!['oneOf'] as { $ref: string }[]).map((b) => schemaName(b.$ref));
      const webhookSchemas = Object.values(contract.webhooks).map((item) =>
        schemaName(item.post.requestBody.content['application/json']!.schema.$ref),
      );
      expect(branches).to.deep.equal([...webhookSchemas, 'UnknownEvent']);
    });

    it('keeps the unknown branch from claiming any known event type', () => {
      const unknownType = (contract.components.schemas['UnknownEvent']!['properties'] as any).type;
      expect(unknownType.not.enum).to.deep.equal(Object.keys(contract.webhooks));
      expect(knownEventNames).to.deep.equal(Object.keys(contract.webhooks));
    });

    it('lists every example of the document, each a valid delivery', () => {
      const used = Object.values(receiverBody.examples ?? {}).map(({ $ref }) => exampleName($ref));
      expect(used).to.have.members(Object.keys(contract.components.examples));
      for (const name of used) expect(validateDelivery(example(name)), name).to.deep.equal([]);
    });

    it('has an example for every message content variant and channel variant', () => {
      const messages = used('v1.conversation.message');
      expect(new Set(messages.map((m) => m.data.content.type))).to.deep.equal(new Set(['text', 'link', 'file', 'presence']));
      expect(new Set(messages.map((m) => m.data.channel.type))).to.deep.equal(new Set(['native', 'custom']));
    });
  });

  describe('tolerance decisions', () => {
    const message = () => example('ConversationMessageText');

    it('accepts timestamps without an offset and with microseconds', () => {
      const event = message();
      event['timestamp'] = '2024-01-17T22:23:35.835';
      event['data'].created_at = '2023-12-08T19:06:04.890000';
      expect(validateDelivery(event)).to.deep.equal([]);
    });

    it('rejects a timestamp that is not a date and time', () => {
      const event = message();
      event['timestamp'] = 'yesterday';
      expect(validate('ConversationMessageEvent')(event)).to.deep.equal([
        { pointer: '/timestamp', message: `must match pattern "${(contract.components.schemas['AdaTimestamp'] as any).pattern}"` },
      ]);
    });

    it('accepts the sms modality and float metadata values', () => {
      const event = message();
      event['data'].channel.modality = 'sms';
      event['data'].channel.metadata = { score: 0.75 };
      expect(validateDelivery(event)).to.deep.equal([]);
    });

    it('accepts tags and unknown fields on any event', () => {
      const event = example('ConversationCreated');
      event['tags'] = ['5df263b7db5a7e6ea03fae9b'];
      event['data'].brand_new_field = { nested: true };
      event['added_later'] = 1;
      expect(validateDelivery(event)).to.deep.equal([]);
    });

    it("accepts a handoff ended event without ai_agent_domain, as in Ada's handoff examples", () => {
      const event = example('ConversationHandoffEnded');
      delete event['data'].ai_agent_domain;
      expect(validateDelivery(event)).to.deep.equal([]);
    });

    it('still rejects a value outside a closed enum', () => {
      const event = message();
      const roles = listed('MessageAuthor', 'role');
      event['data'].author.role = unlisted(roles, 'robot');
      expect(validate('ConversationMessageEvent')(event)).to.deep.equal([
        { pointer: '/data/author/role', message: `must be one of: ${roles.join(', ')}` },
      ]);
    });

    it('does not let a broken known event pass as an unknown one', () => {
      const event = example('ConversationHandoffEnded');
      delete event['data'].handoff_integration;
      expect(validateDelivery(event)).to.not.be.empty;
      expect(validate('UnknownEvent')(event)).to.deep.include({ pointer: '/type', message: 'must NOT be valid' });
    });

    it('accepts an unknown event type whose data is an object, and nothing less', () => {
      expect(validateDelivery({ type: 'v0.example.unknown_event', timestamp: '2026-01-01T00:00:00Z', data: {} })).to.deep.equal([]);
      expect(validate('UnknownEvent')({ type: 'v0.example.unknown_event', data: 'rated' })).to.deep.equal([
        { pointer: '/data', message: 'must be object' },
      ]);
    });
  });
});

function used(eventName: string): Record<string, any>[] {
  return [...webhookExamples(contract, eventName).values()];
}
