import { expect } from 'chai';
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { createSchemaValidators } from '../../src/contract/validation.ts';

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
