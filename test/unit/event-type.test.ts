import { expect } from 'chai';
import { eventTypeOf } from '../../src/contract/events.ts';

describe('the event type of a body', () => {
  it('is the `type` of a JSON object, known to the contract or not', () => {
    expect(eventTypeOf({ type: 'v1.conversation.created', data: {} })).to.equal('v1.conversation.created');
    expect(eventTypeOf({ type: 'v9.something.new' })).to.equal('v9.something.new');
    expect(eventTypeOf({ type: '' })).to.equal('');
  });

  it('is undefined for a `type` that is not a string, and for a body that is not an object', () => {
    for (const body of [{ type: 7 }, { type: null }, { type: ['v1.conversation.created'] }, {}, null, 'v1.conversation.created', 7, true]) {
      expect(eventTypeOf(body), JSON.stringify(body)).to.equal(undefined);
    }
    expect(eventTypeOf(Object.assign(['x'], { type: 'v1.conversation.created' })), 'an array').to.equal(undefined);
    expect(eventTypeOf(JSON.parse('{"__proto__": {"type": "v1.conversation.created"}}')), 'an own __proto__').to.equal(undefined);
  });
});
