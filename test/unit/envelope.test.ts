// The envelope of a delivery's sealed field: it opens, under its data key, only as the field of the
// delivery it was sealed for, and anything else (another key, a byte altered anywhere, a cut, a
// move to another delivery or field) is a failure that names why, never an exception.
import { expect } from 'chai';
import { createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { envelopeKeyId, isSealed, openField, plainBytesWithin, sealField, type SealedField } from '../../src/inbox/encryption/envelope.ts';
import { hostileText, seedFrom } from '../support/hostile-text.ts';

const seed = seedFrom('ENVELOPE_SEED');
const dataKey = { id: randomBytes(16).toString('base64url'), key: createSecretKey(randomBytes(32)) };
const body = JSON.stringify({ type: 'v1.conversation.message', data: { end_user_id: 'u1', text: 'Mon adresse: jeanne@example.com ✉' } });

describe('sealed fields', () => {
  it(`opens what it sealed, whatever the text (ENVELOPE_SEED=${seed})`, () => {
    fc.assert(
      fc.property(
        hostileText,
        fc.constantFrom<SealedField>('payload', 'error', { drift: ['v1.x', 'unknown_field', '/data/x', 'string'] }),
        (text, field) => {
          const sealed = sealField(text, dataKey, 'msg_1', field);
          expect(isSealed(sealed)).to.equal(true);
          expect(envelopeKeyId(sealed)).to.equal(dataKey.id);
          // A lone surrogate is kept as UTF-8 keeps it.
          expect(openField(sealed, dataKey, 'msg_1', field)).to.deep.equal({ text: Buffer.from(text).toString() });
        },
      ),
      { seed, numRuns: 500 },
    );
    const large = 'x'.repeat(100 * 1024);
    expect(openField(sealField(large, dataKey, 'msg_1', 'payload'), dataKey, 'msg_1', 'payload')).to.deep.equal({ text: large });
    expect(sealField(body, dataKey, 'msg_1', 'payload')).to.not.equal(sealField(body, dataKey, 'msg_1', 'payload'));
  });

  it('tells a JSON body in clear from a sealed one', () => {
    for (const plain of [body, ' {}', '[]', '"text"', '12']) expect(isSealed(plain)).to.equal(false);
  });

  it('refuses another key, a flipped byte in any part, and a cut envelope', () => {
    const sealed = sealField(body, dataKey, 'msg_1', 'payload');
    expect(openField(sealed, undefined, 'msg_1', 'payload')).to.deep.equal({ failure: { reason: 'missing key', keyId: dataKey.id } });
    expect(openField(sealed, { id: dataKey.id, key: createSecretKey(randomBytes(32)) }, 'msg_1', 'payload')).to.deep.equal({
      failure: { reason: 'tampered', keyId: dataKey.id },
    });
    for (let index = 0; index < sealed.length; index += 1) {
      for (const replacement of ['A', 'B', '$', '_']) {
        if (sealed[index] === replacement) continue;
        const flipped = sealed.slice(0, index) + replacement + sealed.slice(index + 1);
        expect(openField(flipped, dataKey, 'msg_1', 'payload'), `${replacement} at ${index}`).to.have.property('failure');
      }
    }
    for (let length = 0; length < sealed.length; length += 1) {
      expect(openField(sealed.slice(0, length), dataKey, 'msg_1', 'payload'), `cut at ${length}`).to.have.property('failure');
    }
    expect(openField(`${sealed}A`, dataKey, 'msg_1', 'payload')).to.have.property('failure');
  });

  it('refuses an envelope moved to another delivery or another field', () => {
    const drift = (path: string): SealedField => ({ drift: ['v1.conversation.message', 'unknown_field', path, 'string'] });
    const tampered = { failure: { reason: 'tampered', keyId: dataKey.id } };
    expect(openField(sealField(body, dataKey, 'msg_1', 'payload'), dataKey, 'msg_2', 'payload')).to.deep.equal(tampered);
    expect(openField(sealField(body, dataKey, 'msg_1', 'payload'), dataKey, 'msg_1', 'error')).to.deep.equal(tampered);
    expect(openField(sealField('{}', dataKey, 'msg_1', 'error'), dataKey, 'msg_1', 'payload')).to.deep.equal(tampered);
    expect(openField(sealField('"x"', dataKey, 'msg_1', drift('/data/a')), dataKey, 'msg_1', drift('/data/b'))).to.deep.equal(tampered);
    // The parts of the place are kept apart: moving a character from one to the next is another place.
    expect(openField(sealField('"x"', dataKey, 'msg_1', drift('/data/a')), dataKey, 'msg_', drift('1/data/a'))).to.deep.equal(tampered);
  });

  it(`fits within a length when cut to what plainBytesWithin allows (ENVELOPE_SEED=${seed})`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 20_000 }), (maxBytes) => {
        const fits = plainBytesWithin(maxBytes, dataKey.id);
        expect(sealField('x'.repeat(fits), dataKey, 'msg_1', 'error').length).to.be.at.most(maxBytes);
        expect(sealField('x'.repeat(fits + 1), dataKey, 'msg_1', 'error').length).to.be.above(maxBytes);
      }),
      { seed, numRuns: 300 },
    );
  });
});
