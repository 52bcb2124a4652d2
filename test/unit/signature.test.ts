import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { createVerifier, sign, type HeaderReader } from '../../src/intake/signature.ts';
import { verifyWebhook, WebhookVerificationError } from '../../src/verify.ts';
import { contractExample, signedHeaders, testSecret } from '../support/receiver.ts';

interface Vector {
  name: string;
  secrets: string[];
  headers: Record<string, string>;
  body?: string;
  bodyBase64?: string;
  nowSeconds: number;
  toleranceSeconds: number;
  expected: string;
}

const { vectors } = JSON.parse(readFileSync(new URL('../vectors/signatures.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};

/** Header lookup as Node presents headers: names in lower case. */
function headerReader(headers: Record<string, string>): HeaderReader {
  const lowerCased = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return (name) => lowerCased.get(name);
}

describe('signature verification', () => {
  it('has at least 25 vectors', () => {
    expect(vectors.length).to.be.at.least(25);
  });

  for (const vector of vectors) {
    it(`${vector.name}: ${vector.expected}`, () => {
      const verify = createVerifier({ secrets: vector.secrets, toleranceSeconds: vector.toleranceSeconds });
      const body = vector.bodyBase64 === undefined ? vector.body! : Buffer.from(vector.bodyBase64, 'base64');
      const result = verify(headerReader(vector.headers), body, vector.nowSeconds);
      expect(result.ok ? 'valid' : result.reason).to.equal(vector.expected);
    });
  }

  it('refuses to run without a secret', () => {
    expect(() => createVerifier({ secrets: [], toleranceSeconds: 300 })).to.throw(/at least one secret/);
  });

  describe('against the standardwebhooks library', () => {
    const secret = 'whsec_' + Buffer.from('an independent oracle secret').toString('base64');
    const body = JSON.stringify({ type: 'v1.conversation.created', data: { note: 'héllo' } });
    // Read when each test runs, not when the suite is defined: the whole run takes longer than the tolerance.
    const currentSeconds = () => Math.floor(Date.now() / 1000);

    it('accepts what the library signs, under both header sets', () => {
      const now = currentSeconds();
      const signature = new Webhook(secret).sign('msg_oracle', new Date(now * 1000), body);
      const verify = createVerifier({ secrets: [secret], toleranceSeconds: 300 });
      for (const prefix of ['svix', 'webhook']) {
        const headers = { [`${prefix}-id`]: 'msg_oracle', [`${prefix}-timestamp`]: String(now), [`${prefix}-signature`]: signature };
        expect(verify(headerReader(headers), body, now)).to.deep.equal({
          ok: true,
          id: 'msg_oracle',
          timestamp: now,
          headerSet: [`${prefix}-id`, `${prefix}-timestamp`, `${prefix}-signature`],
        });
      }
    });

    it('signs what the library accepts', () => {
      const now = currentSeconds();
      const headers = {
        'webhook-id': 'msg_oracle',
        'webhook-timestamp': String(now),
        'webhook-signature': sign(secret, 'msg_oracle', now, body),
      };
      expect(new Webhook(secret).verify(body, headers)).to.deep.equal(JSON.parse(body));
    });
  });

  describe('verifyWebhook', () => {
    const verified = (
      body: string | Uint8Array,
      headers: Record<string, string> = signedHeaders(body instanceof Uint8Array ? Buffer.from(body) : body),
    ) => verifyWebhook({ secrets: testSecret, headers: new Headers(headers), body });
    const refusal = (body: string | Uint8Array, headers?: Record<string, string>) => {
      try {
        verified(body, headers);
      } catch (error) {
        expect(error).to.be.an.instanceOf(WebhookVerificationError);
        const { reason, message } = error as WebhookVerificationError;
        return { reason, message };
      }
      throw new Error('verifyWebhook returned');
    };

    it('returns the id and the event, known to the contract or not', () => {
      const body = JSON.stringify(contractExample('ConversationCreated'));
      const headers = signedHeaders(body);
      expect(verified(body, headers)).to.deep.equal({ id: headers['svix-id'], known: true, event: JSON.parse(body) });
      const unknown = JSON.stringify(contractExample('UnknownEvent'));
      expect(verified(new TextEncoder().encode(unknown))).to.deep.include({ known: false, event: JSON.parse(unknown) });
    });

    for (const body of ['null', '1', '"x"', '[]', '{}', '{"type":7}', '{"type":null}', '[{"type":"v1.conversation.created"}]']) {
      it(`refuses a signed ${body}: an event is a JSON object with a string type`, () => {
        expect(refusal(body)).to.deep.equal({
          reason: 'not_an_event',
          message: 'The delivery is signed, but its body is not an event: a JSON object whose type is a string.',
        });
      });
    }

    it('refuses a signed body that is not JSON, or not UTF-8, in the words of the 400 that the receiver answers', () => {
      expect(refusal('{"type": ')).to.deep.include({ reason: 'malformed_json' });
      expect(refusal('{"type": ').message).to.match(/^The request body is not valid JSON: /);
      const invalidUtf8 = Buffer.concat([
        Buffer.from('{"type": "v1.conversation.created", "x": "'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]);
      expect(refusal(invalidUtf8)).to.deep.equal({ reason: 'malformed_json', message: 'The request body is not valid UTF-8.' });
    });

    it("refuses a signature with the receiver's words and its default tolerance of 300 seconds", () => {
      const body = JSON.stringify(contractExample('ConversationCreated'));
      const now = Math.floor(Date.now() / 1000);
      expect(verified(body, signedHeaders(body, { timestamp: now - 290 }))).to.have.property('known', true);
      const stale = refusal(body, signedHeaders(body, { timestamp: now - 400 }));
      expect(stale.reason).to.equal('timestamp_too_old');
      expect(stale.message).to.match(
        /^The signed timestamp is 40[01] seconds old; the receiver takes at most 300 seconds either way\. Sign the delivery again, or check the sender's clock\.$/,
      );
      expect(refusal(body, { 'svix-id': 'msg_1' })).to.deep.equal({
        reason: 'missing_headers',
        message:
          'The signature headers are missing: svix-timestamp, svix-signature (or the webhook-* set of Standard Webhooks). Sign the delivery as Svix does.',
      });
    });
  });
});
