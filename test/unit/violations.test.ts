import { expect } from 'chai';
import { dereferenceContract, loadContract, type ContractDocument } from '../../src/contract/document.ts';
import { knownEventNames } from '../../src/contract/events.ts';
import { createSchemaValidators, maxViolationsReported } from '../../src/contract/validation.ts';

const contract = loadContract();
const validateDelivery = createSchemaValidators(await dereferenceContract(contract))('AdaWebhookDelivery');

const example = (name: string) => structuredClone(contract.components.examples[name]!.value) as Record<string, any>;

describe('contract violations', () => {
  it('names only the missing field of a known event, not the other branches', () => {
    const event = example('ConversationHandoffEnded');
    delete event['data'].handoff_integration;
    expect(validateDelivery(event)).to.deep.equal([{ pointer: '/data/handoff_integration', message: 'is required' }]);
  });

  it('names the missing field of the message content variant that `type` selects', () => {
    const event = example('ConversationMessageText');
    delete event['data'].content.body;
    expect(validateDelivery(event)).to.deep.equal([{ pointer: '/data/content/body', message: 'is required' }]);
  });

  it('lists the accepted values for an unknown content type', () => {
    const event = example('ConversationMessageText');
    event['data'].content = { type: 'image', url: 'https://example.com/cat.png' };
    expect(validateDelivery(event)).to.deep.equal([
      { pointer: '/data/content/type', message: 'must be one of: text, link, file, presence' },
    ]);
  });

  it('reports a content without a type once', () => {
    const event = example('ConversationMessageText');
    event['data'].content = { body: 'hello' };
    expect(validateDelivery(event)).to.deep.equal([{ pointer: '/data/content/type', message: 'is required' }]);
  });

  it('reports each violation of one event together', () => {
    const event = example('ConversationMessageLink');
    event['data'].channel.modality = 'fax';
    event['data'].handoff_integration = 7;
    event['timestamp'] = 'now';
    expect(validateDelivery(event)).to.have.deep.members([
      { pointer: '/timestamp', message: `must match pattern "${(contract.components.schemas['AdaTimestamp'] as any).pattern}"` },
      { pointer: '/data/handoff_integration', message: 'must be string or null' },
      { pointer: '/data/channel/modality', message: 'must be one of: messaging, email, voice, sms' },
    ]);
  });

  it('reports a body without a type', () => {
    expect(validateDelivery({ timestamp: '2026-01-01T00:00:00Z', data: {} })).to.deep.equal([{ pointer: '/type', message: 'is required' }]);
  });

  it('reports a body that is not an object without repeating itself', () => {
    expect(validateDelivery([1, 2])).to.deep.equal([
      { pointer: '', message: 'must be object' },
      { pointer: '', message: 'must match exactly one schema in oneOf' },
    ]);
  });
});

describe('contract violations of a body that breaks the contract everywhere', function () {
  // Bodies of a megabyte or so, on a machine that may be busy.
  this.timeout(60_000);
  const outOfTags = (count: number) => ({ ...example('ConversationCreated'), tags: Array<number>(count).fill(1) });

  it(`reports the first ${maxViolationsReported} and counts the rest, of the branch that \`type\` selects`, () => {
    const violations = validateDelivery(outOfTags(500_000));
    expect(violations).to.have.length(maxViolationsReported + 1);
    expect(violations.slice(0, 2)).to.deep.equal([
      { pointer: '/tags/0', message: 'must be string' },
      { pointer: '/tags/1', message: 'must be string' },
    ]);
    expect(violations.at(-1)).to.deep.equal({ pointer: '', message: `and ${500_000 - maxViolationsReported} more violations, not kept` });
  });

  it('reports only `type` when no branch takes it, whatever else the body holds', () => {
    const event = { ...outOfTags(10_000), type: 'rated', data: 7 };
    expect(validateDelivery(event)).to.deep.equal([
      {
        pointer: '/type',
        message: `must be one of: ${knownEventNames.join(', ')}; or, for an event type not described yet, match ^v[0-9]+(\\.[a-z][a-z0-9_]*){2,}$`,
      },
    ]);
    const withoutType: Record<string, unknown> = outOfTags(10_000);
    delete withoutType['type'];
    expect(validateDelivery(withoutType)).to.deep.equal([{ pointer: '/type', message: 'is required' }]);
  });

  it('checks a new event type against the unknown-event branch alone', () => {
    const violations = validateDelivery({ type: 'v1.example.rated', data: {}, tags: [1, 'x', 2] });
    expect(violations).to.deep.equal([
      { pointer: '/tags/0', message: 'must be string' },
      { pointer: '/tags/2', message: 'must be string' },
    ]);
  });
});

describe('contract violations in an array of unions', function () {
  this.timeout(60_000);
  // A union per item, each branch fixing `type`, as a contract may hold in an event of its own.
  const item = {
    oneOf: [
      { type: 'object', required: ['type', 'size'], properties: { type: { enum: ['box'] }, size: { type: 'integer' } } },
      { type: 'object', required: ['type', 'url'], properties: { type: { enum: ['link'] }, url: { type: 'string' } } },
    ],
  };
  const contract = { components: { schemas: { Parcel: { type: 'object', properties: { items: { type: 'array', items: item } } } } } };
  const validateParcel = createSchemaValidators(contract as unknown as ContractDocument)('Parcel');

  it("reports each item's violations against the branch that its own `type` selects", () => {
    expect(
      validateParcel({ items: [{ type: 'box' }, { type: 'link', url: 7 }, { type: 'crate' }, { type: 'box', size: 2 }] }),
    ).to.deep.equal([
      { pointer: '/items/0/size', message: 'is required' },
      { pointer: '/items/1/url', message: 'must be string' },
      { pointer: '/items/2/type', message: 'must be one of: box, link' },
    ]);
  });

  it(`reports 100,000 items that each break their branch with the first ${maxViolationsReported} violations, and counts the rest`, () => {
    const violations = validateParcel({ items: Array.from({ length: 100_000 }, () => ({ type: 'link' })) });
    expect(violations).to.have.length(maxViolationsReported + 1);
    expect(violations[0]).to.deep.equal({ pointer: '/items/0/url', message: 'is required' });
    expect(violations.at(-1)).to.deep.equal({ pointer: '', message: `and ${100_000 - maxViolationsReported} more violations, not kept` });
  });
});
