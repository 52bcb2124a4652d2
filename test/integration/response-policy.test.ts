// Every row of the response policy, over real HTTP against a real inbox, on every backend.
import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import { loadDatabaseSettings } from '../../src/service/environment.ts';
import { loadContract } from '../../src/contract/document.ts';
import type { StoredDelivery } from '../../src/inbox/inbox.ts';
import { openInbox } from '../../src/inbox/open.ts';
import { secretFingerprint } from '../../src/intake/signature.ts';
import { listed, unlisted } from '../support/contract-values.ts';
import { eventually } from '../support/eventually.ts';
import { inboxBackends, type TestStore } from '../support/inbox-backends.ts';
import { contractExample, deliver, post, signedHeaders, startReceiver, testSecret, type TestReceiver } from '../support/receiver.ts';

const unauthorized = { type: 'about:blank', title: 'Unauthorized', status: 401 };
const otherSecret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
/** A role of who ended a conversation that the contract does not list. */
const robotRole = unlisted(listed('EndedBy', 'role'), 'robot');

for (const backend of inboxBackends)
  describe(`POST /webhooks/ada (${backend.name})`, () => {
    // One receiver for the whole file: every test uses delivery ids of its own.
    let receiver: TestReceiver;
    before(async () => {
      receiver = await startReceiver({ bodyLimit: 4096, backend });
    });
    after(() => receiver.close());

    const stateOf = async (id: string | undefined) => (await receiver.inbox.get(id!))?.state;
    const rowCount = async () => Object.values(await receiver.inbox.countByState()).reduce((sum, count) => sum + count, 0);

    describe('401, nothing stored, nothing revealed', () => {
      const event = contractExample('ConversationCreated');
      const body = JSON.stringify(event);

      const cases: [string, () => Record<string, string>][] = [
        ['without signature headers', () => ({ 'content-type': 'application/json' })],
        ['with an invalid signature', () => ({ ...signedHeaders(body), 'svix-signature': `v1,${Buffer.alloc(32).toString('base64')}` })],
        ['with a timestamp older than the tolerance', () => signedHeaders(body, { timestamp: Math.floor(Date.now() / 1000) - 301 })],
        [
          'with a timestamp further ahead than the tolerance',
          () => signedHeaders(body, { timestamp: Math.floor(Date.now() / 1000) + 301 }),
        ],
        ['with an unparsable timestamp', () => ({ ...signedHeaders(body), 'svix-timestamp': '1732400000abc' })],
        ['signed with a secret that is not configured', () => signedHeaders(body, { secret: otherSecret })],
        ['signed over other bytes than those sent', () => signedHeaders(JSON.stringify(event, null, 2))],
      ];
      for (const [name, headers] of cases) {
        it(name, async () => {
          const sent = headers();
          const answer = await post(receiver.url, body, sent);
          expect(answer.status).to.equal(401);
          expect(answer.headers.get('content-type')).to.equal('application/problem+json');
          expect(answer.body).to.deep.equal(unauthorized);
          if (sent['svix-id']) expect(await stateOf(sent['svix-id'])).to.equal(undefined);
        });
      }

      it('before looking at the body: a contract violation without a signature is 401', async () => {
        const body = JSON.stringify({ type: 'v1.conversation.created' });
        const answer = await post(receiver.url, body, { ...signedHeaders(body), 'svix-signature': 'v1,' });
        expect(answer.status).to.equal(401);
        expect(receiver.logs.at(-1)).to.include({ outcome: 'unauthorized', signatureFailure: 'no_matching_signature' });
      });

      it('and logs what an operator needs: the client, the check that failed, the clock skew, the secrets tried', async () => {
        const stale = signedHeaders(body, { timestamp: Math.floor(Date.now() / 1000) - 400 });
        await post(receiver.url, body, stale);
        const staleLine = receiver.logs.at(-1)!;
        expect(staleLine).to.include({ outcome: 'unauthorized', signatureFailure: 'timestamp_too_old', client: '127.0.0.1' });
        expect(staleLine['timestampSkewSeconds']).to.be.within(399, 401);

        await post(receiver.url, body, signedHeaders(body, { secret: otherSecret }));
        const unknownSecretLine = receiver.logs.at(-1)!;
        expect(unknownSecretLine).to.deep.include({
          signatureFailure: 'no_matching_signature',
          triedSecrets: [secretFingerprint(testSecret)],
        });
        // Signed with whole seconds, a moment ago.
        expect(unknownSecretLine['timestampSkewSeconds']).to.be.within(0, 1);
        expect(secretFingerprint(testSecret)).to.match(/^[0-9a-f]{8}$/);
      });

      it('and logs which check failed, without the signature', async () => {
        const headers = signedHeaders(body, { timestamp: 1 });
        await post(receiver.url, body, headers);
        expect(receiver.logs.at(-1)).to.include({
          outcome: 'unauthorized',
          status: 401,
          signatureFailure: 'timestamp_too_old',
          claimedId: headers['svix-id'],
        });
        expect(JSON.stringify(receiver.logs)).to.not.include(headers['svix-signature']!.slice(3));
      });
    });

    describe('401 outside production: the check that failed, and what to change', () => {
      let explaining: TestReceiver;
      before(async () => {
        explaining = await startReceiver({ backend, explainSignatureFailures: true });
      });
      after(() => explaining.close());
      const body = JSON.stringify(contractExample('ConversationCreated'));
      const now = () => Math.floor(Date.now() / 1000);

      const cases: [string, () => Record<string, string>, RegExp][] = [
        [
          'the missing headers',
          () => ({ 'content-type': 'application/json', 'svix-id': 'msg_1' }),
          /^The signature headers are missing: svix-timestamp, svix-signature /,
        ],
        ['an unreadable timestamp', () => ({ ...signedHeaders(body), 'svix-timestamp': '17x' }), /not a whole number of seconds/],
        [
          'how old the timestamp is',
          () => signedHeaders(body, { timestamp: now() - 400 }),
          /^The signed timestamp is (399|40\d) seconds old; .* at most 300 /,
        ],
        [
          'how far ahead it is',
          () => signedHeaders(body, { timestamp: now() + 400 }),
          /^The signed timestamp is (399|40\d) seconds in the future/,
        ],
        [
          'the fingerprints of the secrets tried',
          () => signedHeaders(body, { secret: otherSecret }),
          new RegExp(`^No signature matches the body with the receiver's secrets \\(fingerprints ${secretFingerprint(testSecret)}\\)`),
        ],
      ];
      for (const [name, headers, detail] of cases) {
        it(`says ${name}`, async () => {
          const answer = await post(explaining.url, body, headers());
          expect(answer.status).to.equal(401);
          expect(answer.body).to.include(unauthorized);
          expect(answer.body.detail).to.match(detail);
        });
      }

      it('and never shows a secret or the signature expected', async () => {
        const answer = await post(explaining.url, body, signedHeaders(body, { secret: otherSecret }));
        expect(JSON.stringify(answer.body))
          .to.not.include(testSecret.slice(6))
          .and.not.include(signedHeaders(body)['svix-signature']!.slice(3));
      });
    });

    describe('client errors before the signature check', () => {
      it('answers malformed JSON with 400', async () => {
        const headers = signedHeaders('{"type": ');
        const answer = await post(receiver.url, '{"type": ', headers);
        expect(answer.status).to.equal(400);
        expect(answer.headers.get('content-type')).to.equal('application/problem+json');
        expect(answer.body).to.include({ title: 'Bad Request', status: 400 });
        expect(answer.body.detail).to.match(/^The request body is not valid JSON: /);
        expect(await stateOf(headers['svix-id'])).to.equal(undefined);
      });

      it('answers an empty body with 400', async () => {
        const answer = await post(receiver.url, '', signedHeaders(''));
        expect(answer).to.deep.include({
          status: 400,
          body: { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request body is empty.' },
        });
      });

      it('answers a body that is not UTF-8 with 400', async () => {
        const body = Buffer.concat([
          Buffer.from('{"type": "v1.conversation.created", "x": "'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}'),
        ]);
        const headers = signedHeaders(body);
        const answer = await post(receiver.url, body, headers);
        expect(answer).to.deep.include({
          status: 400,
          body: { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request body is not valid UTF-8.' },
        });
        expect(await stateOf(headers['svix-id'])).to.equal(undefined);
      });

      it('answers a compressed body with 415', async () => {
        const body = JSON.stringify(contractExample('ConversationCreated'));
        const headers = signedHeaders(body);
        const answer = await post(receiver.url, gzipSync(body), { ...headers, 'content-encoding': 'gzip' });
        expect(answer.status).to.equal(415);
        expect(answer.body).to.include({ status: 415, detail: 'Content-Encoding gzip is not supported; send the body uncompressed.' });
        expect(await stateOf(headers['svix-id'])).to.equal(undefined);
      });

      it('answers a body that is not JSON with 415', async () => {
        const body = JSON.stringify(contractExample('ConversationCreated'));
        const headers = signedHeaders(body);
        const answer = await post(receiver.url, body, { ...headers, 'content-type': 'text/plain' });
        expect(answer.status).to.equal(415);
        expect(answer.body).to.include({ title: 'Unsupported Media Type', status: 415 });
        expect(await stateOf(headers['svix-id'])).to.equal(undefined);
      });

      it('answers a body over the limit with 413', async () => {
        const event = contractExample('ConversationMessageText');
        event['data'].content.body = 'x'.repeat(5000);
        const answer = await deliver(receiver.url, event);
        expect(answer.status).to.equal(413);
        expect(answer.body).to.deep.equal({
          type: 'about:blank',
          title: 'Payload Too Large',
          status: 413,
          detail: 'The request body exceeds the limit of 4096 bytes.',
        });
        expect(await stateOf(answer.id)).to.equal(undefined);
      });
    });

    describe('a correctly signed delivery', () => {
      it('is committed to the inbox, byte for byte, before the 200', async () => {
        const body = JSON.stringify(contractExample('ConversationMessageFile'), null, 1);
        const headers = signedHeaders(body);
        const answer = await post(receiver.url, body, headers);
        expect(answer).to.deep.include({ status: 200, body: { status: 'accepted', id: headers['svix-id'] } });

        // Read through an inbox of its own: the row is in the store, not only in the receiver's memory.
        const reader = await openInbox(loadDatabaseSettings(receiver.env), { mustExist: true });
        const stored = await reader.get(headers['svix-id']!);
        await reader.close();
        expect(stored).to.deep.include({ state: 'pending', eventType: 'v1.conversation.message', body });
        expect(stored!.headers).to.include({
          'svix-id': headers['svix-id'],
          'svix-signature': headers['svix-signature'],
        });
      });

      it('is verified and stored byte for byte when it holds multi-byte characters', async () => {
        const event = contractExample('ConversationMessageText');
        event['data'].content.body = 'Où est ma commande ? 注文はどこ？ 📦';
        const answer = await deliver(receiver.url, event);
        expect(answer.status).to.equal(200);
        expect((await receiver.inbox.get(answer.id))?.body).to.equal(JSON.stringify(event));
      });

      it('is accepted under the unbranded webhook-* header names', async () => {
        const answer = await deliver(receiver.url, contractExample('EndUserUpdated'), { prefix: 'webhook' });
        expect(answer).to.deep.include({ status: 200, body: { status: 'accepted', id: answer.id } });
      });

      it('with an event type the contract does not know is stored as pending', async () => {
        const answer = await deliver(receiver.url, contractExample('UnknownEvent'));
        expect(answer.status).to.equal(200);
        expect(await receiver.inbox.get(answer.id)).to.deep.include({ state: 'pending', eventType: 'v0.example.unknown_event' });
      });

      it('is stored once when delivered again: 200, duplicate', async () => {
        const event = contractExample('ConversationEndedByEndUser');
        const rowsBefore = await rowCount();
        const first = await deliver(receiver.url, event, { id: 'msg_again' });
        const second = await deliver(receiver.url, event, { id: 'msg_again' });
        expect(first.body).to.deep.equal({ status: 'accepted', id: 'msg_again' });
        expect(second).to.deep.include({ status: 200, body: { status: 'duplicate', id: 'msg_again' } });
        expect(await rowCount()).to.equal(rowsBefore + 1);
        expect(await stateOf('msg_again')).to.equal('pending');
      });

      it('is stored once when 50 copies arrive at the same time', async () => {
        const event = contractExample('ConversationMessageLink');
        const rowsBefore = await rowCount();
        const answers = await Promise.all(Array.from({ length: 50 }, () => deliver(receiver.url, event, { id: 'msg_storm' })));
        expect(answers.map((answer) => answer.status)).to.deep.equal(Array(50).fill(200));
        expect(answers.filter((answer) => answer.body.status === 'accepted')).to.have.length(1);
        expect(await rowCount()).to.equal(rowsBefore + 1);
        expect(await stateOf('msg_storm')).to.equal('pending');
      });

      it('is accepted under the old and the new secret while rotating', async () => {
        const rotating = await startReceiver({ secrets: [otherSecret, testSecret] });
        try {
          const event = contractExample('ConversationCreated');
          expect((await deliver(rotating.url, event, { secret: testSecret })).status).to.equal(200);
          expect((await deliver(rotating.url, event, { secret: otherSecret })).status).to.equal(200);
          expect((await deliver(rotating.url, event, { secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` })).status).to.equal(401);
        } finally {
          await rotating.close();
        }
      });
    });

    describe('a retry of a delivery that is done or dead (Svix never saw the 200)', () => {
      let handling: TestReceiver;
      /** Handler runs by delivery id; a delivery whose id starts with msg_failing fails every attempt. */
      const runs = new Map<string, number>();
      before(async () => {
        handling = await startReceiver({ backend });
        handling.receiver.on('v1.conversation.ended', (_event, { deliveryId }) => {
          runs.set(deliveryId, (runs.get(deliveryId) ?? 0) + 1);
          if (deliveryId.startsWith('msg_failing')) throw new Error('this handler always fails');
        });
        handling.receiver.start();
      });
      after(() => handling.close());

      const cases = [
        { state: 'done', id: `msg_handled_${backend.name}`, attempts: 1 },
        { state: 'dead', id: `msg_failing_${backend.name}`, attempts: 3 },
      ] as const;
      for (const { state, id, attempts } of cases) {
        it(`answers a retry of a ${state} delivery 200 duplicate, leaves its row as it is, and never runs its handler again`, async () => {
          const event = contractExample('ConversationEndedByEndUser');
          expect(await deliver(handling.url, event, { id })).to.deep.include({ status: 200, body: { status: 'accepted', id } });
          const before = await eventually(async () => {
            const stored = await handling.inbox.get(id);
            return stored?.state === state && runs.get(id) === attempts && stored;
          });

          // Signed anew, as Svix signs each attempt, with a trace context and a header of its own.
          const body = JSON.stringify(event);
          const retry = {
            ...signedHeaders(body, { id }),
            traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
            'user-agent': 'Svix-Webhooks/1.1',
          };
          expect(await post(handling.url, body, retry)).to.deep.include({ status: 200, body: { status: 'duplicate', id } });

          // A later event of the same conversation, handled after the retry: the dispatcher ran that lane since.
          const later = { ...event, timestamp: new Date(Date.parse(event['timestamp']) + 60_000).toISOString() };
          const { id: laterId } = await deliver(handling.url, later);
          await eventually(async () => runs.get(laterId) === 1 && (await handling.inbox.get(laterId))?.state === 'done');
          expect(runs.get(id)).to.equal(attempts);
          expect(await handling.inbox.get(id)).to.deep.equal(before);
        });
      }
    });

    describe('a retry of a delivery the inbox holds, after the contract was tightened (regenerated and restarted)', () => {
      // The contract as it ships, then one that requires a field the retried deliveries lack.
      const tightened = loadContract();
      (tightened.components.schemas['ConversationEndedData'] as { required?: string[] }).required = ['satisfaction_score'];
      let store: TestStore;
      let shipped: TestReceiver;
      let restarted: TestReceiver;
      /** Handler runs by delivery id, under either contract; a delivery whose id starts with msg_failing fails every attempt. */
      const runs = new Map<string, number>();
      const handle = (receiver: TestReceiver) =>
        receiver.receiver
          .on('v1.conversation.ended', (_event, { deliveryId }) => {
            runs.set(deliveryId, (runs.get(deliveryId) ?? 0) + 1);
            if (deliveryId.startsWith('msg_failing')) throw new Error('this handler always fails');
          })
          .start();
      const ended = (conversation: string) => {
        const event = contractExample('ConversationEndedByEndUser');
        event['data'].conversation_id = conversation;
        return event;
      };
      const robot = (conversation: string) => {
        const event = ended(conversation);
        event['data'].ended_by.role = robotRole;
        return event;
      };
      const cases = [
        { state: 'done', id: `msg_tightened_done_${backend.name}`, event: ended('tightened-done'), attempts: 1 },
        { state: 'dead', id: `msg_failing_tightened_${backend.name}`, event: ended('tightened-dead'), attempts: 3 },
        { state: 'discarded', id: `msg_tightened_discarded_${backend.name}`, event: robot('tightened-discarded'), attempts: 0 },
        { state: 'quarantined', id: `msg_tightened_quarantined_${backend.name}`, event: robot('tightened-quarantined'), attempts: 0 },
      ] as const;
      const held = new Map<string, StoredDelivery>();

      before(async function () {
        this.timeout(30_000);
        store = await backend.createStore();
        shipped = await startReceiver({ store });
        handle(shipped);
        for (const { id, event } of cases) await deliver(shipped.url, event, { id });
        await shipped.inbox.discard(cases[2].id, { at: new Date(), by: 'test' });
        for (const { state, id, attempts } of cases) {
          held.set(
            id,
            await eventually(async () => {
              const stored = await shipped.inbox.get(id);
              return stored?.state === state && (runs.get(id) ?? 0) === attempts && stored;
            }),
          );
        }
        await shipped.close();
        restarted = await startReceiver({ store, contract: tightened });
        handle(restarted);
      });
      after(async () => {
        await restarted.close();
        await store.destroy();
      });

      for (const { state, id, event, attempts } of cases.slice(0, 3)) {
        it(`answers a retry of a ${state} delivery 200 duplicate, and leaves its row as it is`, async () => {
          const retry = await deliver(restarted.url, event, { id });
          expect(retry).to.deep.include({ status: 200, body: { status: 'duplicate', id } });
          expect(restarted.logs.at(-1)).to.include({ deliveryId: id, outcome: 'duplicate', status: 200 });

          // A later event of the same conversation, valid under the new contract, handled after the retry.
          const later = ended(event['data'].conversation_id);
          later['timestamp'] = new Date(Date.parse(event['timestamp']) + 60_000).toISOString();
          later['data'].satisfaction_score = 5;
          const { id: laterId } = await deliver(restarted.url, later);
          await eventually(async () => runs.get(laterId) === 1 && (await restarted.inbox.get(laterId))?.state === 'done');
          expect(runs.get(id) ?? 0).to.equal(attempts);
          expect(await restarted.inbox.get(id)).to.deep.equal(held.get(id));
        });
      }

      it('answers a retry of a delivery still in quarantine 422 again, and stores it once', async () => {
        const { id, event } = cases[3];
        const rowsBefore = Object.values(await restarted.inbox.countByState()).reduce((sum, count) => sum + count, 0);
        const retry = await deliver(restarted.url, event, { id });
        expect(retry.status).to.equal(422);
        expect(retry.body.violations).to.deep.include({ pointer: '/data/satisfaction_score', message: 'is required' });
        expect(await restarted.inbox.get(id)).to.deep.equal(held.get(id));
        expect(Object.values(await restarted.inbox.countByState()).reduce((sum, count) => sum + count, 0)).to.equal(rowsBefore);
      });
    });

    describe('what the signature does not cover decides nothing', () => {
      const svixUserAgent = 'Svix-Webhooks/1.0';

      it('accepts a delivery to the webhook URL with a query string, which users put in endpoint URLs', async () => {
        const body = JSON.stringify(contractExample('ConversationCreated'));
        const headers = signedHeaders(body);
        const response = await fetch(`${receiver.url}/webhooks/ada?tenant=acme&tenant=beta&x[y]=1`, { method: 'POST', headers, body });
        expect(response.status).to.equal(200);
        expect(await response.json()).to.deep.equal({ status: 'accepted', id: headers['svix-id'] });
        expect(await stateOf(headers['svix-id'])).to.equal('pending');
      });

      it('validates and keeps only the header set it verified: a junk webhook-timestamp beside a valid svix-* set', async () => {
        const body = JSON.stringify(contractExample('ConversationCreated'));
        const headers = signedHeaders(body);
        const sent = { ...headers, 'webhook-timestamp': 'abc', 'webhook-id': '', 'user-agent': svixUserAgent };
        expect(await post(receiver.url, body, sent)).to.deep.include({ status: 200, body: { status: 'accepted', id: headers['svix-id'] } });
        expect((await receiver.inbox.get(headers['svix-id']!))?.headers).to.deep.equal({ ...headers, 'user-agent': svixUserAgent });
      });

      it('keeps no header of the other set: a spoofed svix-id beside a verified webhook-* set', async () => {
        const body = JSON.stringify(contractExample('EndUserUpdated'));
        const headers = signedHeaders(body, { prefix: 'webhook' });
        const sent = { ...headers, 'svix-id': 'msg_spoofed', 'user-agent': svixUserAgent };
        const answer = await post(receiver.url, body, sent);
        expect(answer).to.deep.include({ status: 200, body: { status: 'accepted', id: headers['webhook-id'] } });
        expect((await receiver.inbox.get(headers['webhook-id']!))?.headers).to.deep.equal({ ...headers, 'user-agent': svixUserAgent });
        expect(await stateOf('msg_spoofed')).to.equal(undefined);
      });
    });

    describe('a correctly signed delivery that violates the contract', () => {
      it('is answered 422 with each violation and stored in quarantine with them', async () => {
        const event = contractExample('ConversationHandoffEnded');
        delete event['data'].handoff_integration;
        event['timestamp'] = 'not a time';
        const answer = await deliver(receiver.url, event);

        const violations = [
          {
            pointer: '/timestamp',
            message: 'must match pattern "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})?$"',
          },
          { pointer: '/data/handoff_integration', message: 'is required' },
        ];
        expect(answer.status).to.equal(422);
        expect(answer.headers.get('content-type')).to.equal('application/problem+json');
        expect(answer.body).to.deep.equal({
          type: 'about:blank',
          title: 'Contract violation',
          status: 422,
          detail: 'The delivery does not match the contract; it was stored in quarantine.',
          violations,
        });
        expect(await receiver.inbox.get(answer.id)).to.deep.include({
          state: 'quarantined',
          eventType: 'v1.conversation.handoff.ended',
          violations,
        });
      });

      it('is answered 422 again when retried, and stored once', async () => {
        const event = { type: 'v1.conversation.ended', timestamp: '2026-11-24T10:00:00Z', data: { ended_by: { role: robotRole } } };
        const rowsBefore = await rowCount();
        const first = await deliver(receiver.url, event, { id: 'msg_bad' });
        const retry = await deliver(receiver.url, event, { id: 'msg_bad' });
        expect([first.status, retry.status]).to.deep.equal([422, 422]);
        expect(await rowCount()).to.equal(rowsBefore + 1);
        expect(await stateOf('msg_bad')).to.equal('quarantined');
      });

      it('with a number out of the range of a double (1e400), anywhere in the event, is quarantined rather than handled as Infinity', async () => {
        const event = contractExample('ConversationCreated');
        event['data'].metadata.cart_total = 7;
        event['added_later'] = { 'a/b': [1, 7] };
        const body = JSON.stringify(event).replace('"cart_total":7', '"cart_total":1e400').replace('[1,7]', '[1,-1E+400]');
        const headers = signedHeaders(body);
        const answer = await post(receiver.url, body, headers);
        const violations = [
          {
            pointer: '/data/metadata/cart_total',
            message: 'is a number out of the range of a double (1.7976931348623157e+308 either way), which would be read as Infinity',
          },
          {
            pointer: '/added_later/a~1b/1',
            message: 'is a number out of the range of a double (1.7976931348623157e+308 either way), which would be read as -Infinity',
          },
        ];
        expect(answer).to.deep.include({ status: 422 });
        expect(answer.body.violations).to.deep.equal(violations);
        expect(await receiver.inbox.get(headers['svix-id']!)).to.deep.include({ state: 'quarantined', body, violations });
      });

      it('is checked with `format` keywords enforced', async () => {
        const event = contractExample('ConversationMessageFile');
        event['data'].content.url = 'not a link';
        const answer = await deliver(receiver.url, event);
        expect(answer.body.violations).to.deep.equal([{ pointer: '/data/content/url', message: 'must match format "uri"' }]);
      });

      it('leaves quarantine when a retry passes a widened contract', async () => {
        const invalid = { type: 'v1.conversation.ended', timestamp: '2026-11-24T10:00:00Z', data: { ended_by: { role: robotRole } } };
        expect((await deliver(receiver.url, invalid, { id: 'msg_fixed_later' })).status).to.equal(422);
        // Svix retries the same id; here the retry carries a body the contract accepts.
        const valid = { ...invalid, data: { ended_by: { role: 'system' } } };
        const retry = await deliver(receiver.url, valid, { id: 'msg_fixed_later' });
        expect(retry.body).to.deep.equal({ status: 'accepted', id: 'msg_fixed_later' });
        expect(await receiver.inbox.get('msg_fixed_later')).to.deep.include({ state: 'pending', violations: [] });
      });
    });

    describe('a correctly signed delivery that the validator fails on', () => {
      // A contract that a user may write: Ajv compares the items of a `uniqueItems` array of arrays
      // by recursion, which overflows the stack on arrays nested deep enough.
      const contract = loadContract();
      (contract.components.schemas['ConversationCreatedData'] as { properties: Record<string, unknown> }).properties['labels'] = {
        type: 'array',
        uniqueItems: true,
      };
      let strict: TestReceiver;
      before(async () => {
        strict = await startReceiver({ backend, contract });
      });
      after(() => strict.close());

      it('is stored in quarantine with a violation that says the validator failed, answered 422 and logged as an error; a retry gets the same', async function () {
        this.timeout(30_000);
        const nested = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
        const body = JSON.stringify(contractExample('ConversationCreated')).replace('"data":{', `"data":{"labels":[${nested},${nested}],`);
        const headers = signedHeaders(body);
        const id = headers['svix-id']!;
        const answer = await post(strict.url, body, headers);
        expect(answer.status).to.equal(422);
        expect(answer.body).to.include({
          title: 'Contract violation',
          detail: 'The receiver failed to check the delivery against the contract; it was stored in quarantine.',
        });
        const violations = [
          {
            pointer: '',
            message:
              "could not be checked against the contract: the receiver's validator failed (RangeError: Maximum call stack size exceeded)",
          },
        ];
        expect(answer.body.violations).to.deep.equal(violations);
        expect(await strict.inbox.get(id)).to.deep.include({ state: 'quarantined', body, violations });
        const line = strict.logs.at(-1)!;
        expect(line).to.include({ deliveryId: id, outcome: 'quarantined', status: 422, level: 50 });
        expect(line['err']).to.include({ type: 'RangeError' });

        expect((await post(strict.url, body, signedHeaders(body, { id }))).status).to.equal(422);
        expect(await strict.inbox.get(id)).to.deep.include({ state: 'quarantined', body, violations });
        expect(await deliver(strict.url, contractExample('ConversationCreated'))).to.deep.include({ status: 200 });
      });
    });

    describe('when the inbox cannot be written', () => {
      it('answers 503 with Retry-After, never 200, and recovers, saying so once each way in the log', async function () {
        this.timeout(10_000); // SQLite waits a second for the write lock before it gives up
        const rowsBefore = await rowCount();
        const logged = receiver.logs.length;
        const allowWrites = await receiver.refuseWrites();
        try {
          const during = await deliver(receiver.url, contractExample('ConversationCreated'), { id: 'msg_locked' });
          expect(during.status).to.equal(503);
          expect(during.headers.get('retry-after')).to.equal('5');
          expect(during.body).to.include({ title: 'Service Unavailable', status: 503 });

          const quarantine = await deliver(receiver.url, { type: 'v1.conversation.created', timestamp: 'x', data: {} });
          expect(quarantine.status, 'a violation that cannot be quarantined is not answered 422').to.equal(503);
        } finally {
          await allowWrites();
        }
        const after = await deliver(receiver.url, contractExample('ConversationCreated'), { id: 'msg_locked' });
        expect(after.body).to.deep.equal({ status: 'accepted', id: 'msg_locked' });
        expect(await rowCount()).to.equal(rowsBefore + 1);
        // Back once a probe write succeeds: within a second, or at once when readiness asks.
        const availabilityLines = () => receiver.logs.slice(logged).filter(({ msg }) => String(msg).startsWith('the inbox '));
        await eventually(() => availabilityLines().length === 2);
        const availability = availabilityLines();
        expect(availability.map(({ level, msg }) => ({ level, msg }))).to.deep.equal([
          { level: 40, msg: 'the inbox is unavailable: deliveries are answered 503 until it recovers' },
          { level: 30, msg: 'the inbox takes writes again: deliveries are accepted' },
        ]);
        expect(availability[0]!['storeError']).to.be.a('string').and.not.equal('');
      });
    });

    it('logs one line per delivery with id, type, outcome and latency, and no secret or body', async () => {
      const event = contractExample('ConversationMessageText');
      event['data'].content.body = 'a very private message';
      const logged = receiver.logs.length;
      const answer = await deliver(receiver.url, event);
      const lines = receiver.logs.slice(logged);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ deliveryId: answer.id, eventType: 'v1.conversation.message', outcome: 'accepted', status: 200 });
      expect(lines[0]!['latencyMs']).to.be.a('number');
      const everything = JSON.stringify(receiver.logs);
      expect(everything).to.not.include('a very private message');
      expect(everything).to.not.include(testSecret.slice('whsec_'.length));
    });
  });
