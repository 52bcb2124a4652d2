// The form in which the inbox keeps a key a sender chose (a conversation's or an end user's id, as
// its lane): bounded, storable, and distinct for distinct ids; and the lane that the inspector's
// filter and the inbox command look for is the one the inbox derives.
import { expect } from 'chai';
import fc from 'fast-check';
import { laneOf, storableEndUserId } from '../../src/inbox/ordering.ts';
import { maxLaneIdBytes, storableEventType, storableKey } from '../../src/inbox/storable.ts';
import { parseFilter } from '../../src/inspector/list-filter.ts';
import { parseDeliveryQuery } from '../../scripts/commands/delivery-query.ts';
import { hostileText, isStorableText, seedFrom } from '../support/hostile-text.ts';

const seed = seedFrom('KEY_SEED');

describe('storable keys', () => {
  it(`keeps a key as it is when a store can, else bounded and storable, and distinct keys apart (KEY_SEED=${seed})`, () => {
    // Besides any two keys, pairs that a store would keep alike: the same start, cut at the same
    // place, or alike but for NUL and lone surrogates.
    const end = fc.constantFrom('\0', '\uFFFD', '\uD800', '\uDC00', 'a', 'b', '');
    const alike = fc.tuple(hostileText, end, end).map(([start, one, other]) => [start + one, start + other] as const);
    fc.assert(
      fc.property(fc.oneof(fc.tuple(hostileText, hostileText), alike), fc.integer({ min: 64, max: 600 }), ([one, other], maxBytes) => {
        const kept = storableKey(one, maxBytes);
        expect(Buffer.byteLength(kept)).to.be.at.most(maxBytes);
        expect(isStorableText(kept)).to.equal(true);
        if (isStorableText(one) && Buffer.byteLength(one) <= maxBytes) expect(kept).to.equal(one);
        if (one !== other) expect(storableKey(other, maxBytes)).to.not.equal(kept);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('keeps apart ids that differ only past the bound or in what a store replaces', () => {
    const start = 'x'.repeat(maxLaneIdBytes);
    const keys = [`${start}a`, `${start}b`, 'c\0', 'c\uFFFD', 'c\uD800', 'c\uDC00'].map((id) => laneOf('conversation', id));
    expect(new Set(keys).size).to.equal(keys.length);
    expect(laneOf('conversation', 'c\uFFFD')).to.equal('conversation:c\uFFFD');
  });

  it("finds a lane in the inspector's filter and the inbox command by the id as sent", () => {
    const conversation = `${'é'.repeat(maxLaneIdBytes)}\0`;
    const fail = (message: string): never => {
      throw new Error(message);
    };
    expect(parseFilter({ conversation }).filter.lane).to.equal(laneOf('conversation', conversation));
    expect(parseFilter({ end_user: conversation }).filter.endUserId).to.equal(storableEndUserId(conversation));
    expect(parseDeliveryQuery({ conversation }, fail).lane).to.equal(laneOf('conversation', conversation));
    expect(parseDeliveryQuery({ 'end-user': conversation }, fail).endUserId).to.equal(storableEndUserId(conversation));
  });

  it("finds an event type in the inspector's filter and the inbox command by the type as sent, and no id by a start no id has", () => {
    const fail = (message: string): never => {
      throw new Error(message);
    };
    for (const type of ['v1.made\0up', 'v1.made\uD800up', `v1.${'x'.repeat(300)}`]) {
      expect(parseFilter({ type }).filter.eventType).to.equal(storableEventType(type));
      expect(parseDeliveryQuery({ type }, fail).eventType).to.equal(storableEventType(type));
    }
    for (const id of ['msg\0', 'msg\uDC00']) {
      const parsed = parseFilter({ id });
      expect(parsed.filter.idPrefix).to.equal(undefined);
      expect(parsed.problems).to.deep.equal(['A delivery id never holds NUL or a lone surrogate: the inbox refuses such ids.']);
    }
  });
});
