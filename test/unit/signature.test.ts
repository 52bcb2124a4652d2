import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { createVerifier, sign, type HeaderReader } from '../../src/intake/signature.ts';

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
});
