// Encryption at rest over every backend: what a delivery says is found nowhere in the store, and
// reads back byte for byte; keys rotate without rewriting deliveries; and a delivery that cannot
// be decrypted is unreadable on its own, with why, while the others are read and claimed.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { encryptedInbox } from '../../src/inbox/encryption/encrypted-inbox.ts';
import { EncryptionKeys } from '../../src/inbox/encryption/keys.ts';
import { rewrapDataKeys } from '../../src/inbox/encryption/rewrap.ts';
import type { ClaimedDelivery, DriftSummary, Inbox, NewDelivery } from '../../src/inbox/inbox.ts';
import { inboxBackends, type InboxBackend, type TestInbox } from '../support/inbox-backends.ts';
import { onTestDatabase, testDatabaseUrl } from '../support/postgres.ts';

const email = 'jeanne.dupont@example.com';
const message = "Ma commande n'est jamais arrivée, où est-elle ?";

function delivery(id: string, endUser: string | null = 'u1'): NewDelivery {
  const event = {
    type: 'v1.conversation.message',
    timestamp: '2026-11-24T09:00:00.000Z',
    data: { conversation_id: `c-${id}`, ...(endUser === null ? {} : { end_user_id: endUser }), message: { text: message, email } },
  };
  // As received: the bytes that were signed, spaced as the sender spaced them.
  const body = JSON.stringify(event, null, 1);
  return { id, receivedAt: new Date(), headers: { 'svix-id': id, 'svix-signature': `v1,${email}` }, body, event };
}

const newKey = () => randomBytes(32);

/** Rewrites what is stored of one delivery, as a damaged disk or a person with access to the store would. */
async function alterStored(
  backend: InboxBackend,
  store: TestInbox,
  id: string,
  column: 'body' | 'headers',
  alter: (stored: string) => string,
): Promise<void> {
  if (backend.name === 'SQLite') {
    const db = new DatabaseSync(store.options.database.slice('sqlite:'.length));
    const row = db.prepare(`SELECT ${column} AS stored FROM delivery_payloads WHERE id = ?`).get(id) as { stored: string };
    db.prepare(`UPDATE delivery_payloads SET ${column} = ? WHERE id = ?`).run(alter(row.stored), id);
    db.close();
    return;
  }
  const schema = store.options.databaseSchema!;
  await onTestDatabase(async (client) => {
    const { rows } = await client.query<{ stored: string }>(`SELECT ${column}::text AS stored FROM ${schema}.deliveries WHERE id = $1`, [
      id,
    ]);
    await client.query(`UPDATE ${schema}.deliveries SET ${column} = $1 WHERE id = $2`, [alter(rows[0]!.stored), id]);
  });
}

/** Everything the store holds, as bytes: the SQLite file and its WAL after a checkpoint, or PostgreSQL's dump of the schema. */
async function everythingStored(backend: InboxBackend, store: TestInbox): Promise<Buffer> {
  if (backend.name === 'SQLite') {
    const path = store.options.database.slice('sqlite:'.length);
    const db = new DatabaseSync(path);
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    db.close();
    return Buffer.concat([path, `${path}-wal`].filter((file) => existsSync(file)).map((file) => readFileSync(file)));
  }
  return execFileSync('pg_dump', ['--schema', store.options.databaseSchema!, testDatabaseUrl], { maxBuffer: 64 * 1024 ** 2 });
}

for (const backend of inboxBackends) {
  describe(`encryption at rest on ${backend.name}`, () => {
    let store: TestInbox;
    let keys: EncryptionKeys;
    let inbox: Inbox;
    let told: { id: string; reason: string }[];
    const encrypted = (over: Inbox, with_: EncryptionKeys) =>
      encryptedInbox(over, with_, { onUnreadable: (id, reason) => told.push({ id, reason }) });
    beforeEach(async () => {
      store = await backend.create();
      keys = new EncryptionKeys([newKey()]);
      told = [];
      inbox = encrypted(store.inbox, keys);
    });
    afterEach(() => store.destroy());

    const claimAll = (over = inbox, now = new Date()) => over.claim({ owner: 'dispatcher-a', limit: 10, leaseMs: 60_000, now });

    it('keeps the body, the headers, an error that quotes the body and drift examples nowhere in clear, and reads them back byte for byte', async () => {
      const sent = delivery('msg_1');
      expect(await inbox.accept(sent)).to.equal('stored');
      expect(await inbox.quarantine(delivery('msg_q', 'u2'), [{ pointer: '/data', message: 'is not valid' }])).to.equal('stored');
      const [claimed] = await claimAll();
      expect(claimed).to.deep.include({ id: 'msg_1', body: sent.body, unreadable: null });
      const error = `Error: could not answer ${email}: ${message}`;
      await inbox.settle('dispatcher-a', [{ id: 'msg_1', outcome: 'retry', error, retryAt: new Date(Date.now() + 1000) }]);
      const example: DriftSummary = {
        eventType: 'v1.conversation.message',
        kind: 'unknown_field',
        path: '/data/message/email',
        detail: 'string',
        deliveries: 1,
        firstSeenAt: new Date(),
        lastSeenAt: new Date(),
        exampleId: 'msg_1',
        exampleValue: JSON.stringify(email),
      };
      await inbox.recordDrift([example]);

      expect(await inbox.get('msg_1')).to.deep.include({ body: sent.body, headers: sent.headers, lastError: error, unreadable: null });
      expect((await inbox.get('msg_q'))?.body).to.equal(delivery('msg_q', 'u2').body);
      expect((await inbox.failedAttempts('msg_1')).map((attempt) => attempt.error)).to.deep.equal([error]);
      expect((await inbox.drift()).map(({ exampleValue }) => exampleValue)).to.deep.equal([JSON.stringify(email)]);
      expect((await claimAll(inbox, new Date(Date.now() + 2000)))[0]?.body).to.equal(sent.body);
      expect((await inbox.list({ limit: 10 })).map(({ body }) => body).sort()).to.deep.equal(
        [sent.body, delivery('msg_q', 'u2').body].sort(),
      );

      const stored = await everythingStored(backend, store);
      // What stays in clear is there: the scan sees what the store holds.
      expect(stored.includes('msg_1') && stored.includes('v1.conversation.message') && stored.includes('c-msg_1')).to.equal(true);
      for (const secret of [email, message, 'jeanne.dupont', 'arriv', 'commande']) expect(stored.includes(secret), secret).to.equal(false);
      // Each end user's data key is kept, wrapped.
      expect((await store.inbox.dataKeys(undefined, 10)).map(({ owner }) => owner).sort()).to.deep.equal(['end_user:u1', 'end_user:u2']);
    });

    it('seals the deliveries that name no end user under a key of their own, and reads what was stored before encryption', async () => {
      expect(await store.inbox.accept(delivery('before', 'u1'))).to.equal('stored');
      expect(await inbox.accept(delivery('nobody', null))).to.equal('stored');
      expect((await store.inbox.dataKeys(undefined, 10)).map(({ owner }) => owner)).to.deep.equal(['no_end_user']);
      expect(await inbox.get('before')).to.deep.include({
        body: delivery('before').body,
        headers: delivery('before').headers,
        unreadable: null,
      });
      expect((await claimAll()).map(({ id, body }) => [id, body]).sort()).to.deep.equal(
        [
          ['before', delivery('before').body],
          ['nobody', delivery('nobody', null).body],
        ].sort(),
      );
      // The error of a delivery kept in clear stays as clear as it.
      await inbox.settle('dispatcher-a', [{ id: 'before', outcome: 'dead', error: 'Error: plain' }]);
      expect((await store.inbox.get('before'))?.lastError).to.equal('Error: plain');
    });

    it('hands a claimer leasing at intake the body as received', async () => {
      const leased: (ClaimedDelivery | undefined)[] = [];
      inbox.leaseAtIntake({ owner: 'dispatcher-a', leaseMs: 60_000, reserve: () => true, leased: (each) => leased.push(each) });
      await inbox.accept(delivery('msg_1'));
      expect(leased).to.have.length(1);
      expect(leased[0]).to.deep.include({ id: 'msg_1', body: delivery('msg_1').body, unreadable: null });
      await inbox.settle('dispatcher-a', [{ id: 'msg_1', outcome: 'dead', error: `Error: ${email}` }]);
      expect((await inbox.get('msg_1'))?.lastError).to.equal(`Error: ${email}`);
      expect((await store.inbox.get('msg_1'))?.lastError).to.not.include(email);
    });

    it('rotates: a new key first, the data keys re-wrapped, the old key removed, and every delivery still reads', async () => {
      const oldKey = keys.writing.key.export();
      for (const id of ['msg_1', 'msg_2', 'msg_3']) await inbox.accept(delivery(id, id === 'msg_3' ? 'u2' : 'u1'));
      const unrelated = new EncryptionKeys([newKey()]);
      const { failed } = await rewrapDataKeys(store.inbox, unrelated);
      expect(failed.map(({ reason }) => reason)).to.deep.equal(
        Array(2).fill(`wrapped by key ${keys.writing.id}, which is not among the keys given`),
      );
      const rotating = new EncryptionKeys([newKey(), oldKey]);
      expect(await rewrapDataKeys(store.inbox, rotating)).to.deep.equal({ rewrapped: 2, current: 0, changed: 0, failed: [] });
      expect(await rewrapDataKeys(store.inbox, rotating)).to.deep.equal({ rewrapped: 0, current: 2, changed: 0, failed: [] });

      const after = encrypted(store.inbox, new EncryptionKeys([rotating.writing.key.export()]));
      expect((await after.get('msg_3'))?.body).to.equal(delivery('msg_3', 'u2').body);
      expect((await claimAll(after)).map(({ body }) => body).sort()).to.deep.equal(
        [delivery('msg_1').body, delivery('msg_2').body, delivery('msg_3', 'u2').body].sort(),
      );
      await after.accept(delivery('msg_4'));
      expect((await after.get('msg_4'))?.body).to.equal(delivery('msg_4').body);
      expect(told).to.deep.equal([]);

      // The old key alone opens nothing now.
      const withOldKey = encrypted(store.inbox, new EncryptionKeys([oldKey]));
      const unreadable = await withOldKey.get('msg_1');
      expect(unreadable).to.deep.include({ body: '', headers: {} });
      expect(unreadable?.unreadable).to.match(
        new RegExp(
          `^its headers and body cannot be decrypted: its data key \\S+ is wrapped by key ${rotating.writing.id}, which is not among`,
        ),
      );
    });

    it('makes a delivery with a flipped byte unreadable, says so once, and reads and claims the others', async () => {
      for (const id of ['msg_1', 'msg_2', 'msg_3']) await inbox.accept(delivery(id));
      await alterStored(backend, store, 'msg_2', 'body', (body) => body.slice(0, 60) + (body[60] === 'A' ? 'B' : 'A') + body.slice(61));

      const claimed = await claimAll();
      expect(claimed.map(({ id, unreadable }) => [id, unreadable]).sort()).to.deep.equal([
        ['msg_1', null],
        ['msg_2', 'its headers and body cannot be decrypted: tampered with (altered, cut short, or moved from elsewhere)'],
        ['msg_3', null],
      ]);
      expect(claimed.find(({ id }) => id === 'msg_2')?.body).to.equal('');
      expect(told).to.deep.equal([{ id: 'msg_2', reason: claimed.find(({ id }) => id === 'msg_2')!.unreadable }]);

      const listed = await inbox.list({ limit: 10 });
      expect(listed.map(({ id, unreadable }) => [id, unreadable !== null]).sort()).to.deep.equal([
        ['msg_1', false],
        ['msg_2', true],
        ['msg_3', false],
      ]);
      expect(listed.find(({ id }) => id === 'msg_3')?.body).to.equal(delivery('msg_3').body);
      // Told once, however often it is read.
      expect(told).to.have.length(1);
      // The dispatcher's reason is kept as it is: it quotes nothing of the delivery.
      await inbox.settle('dispatcher-a', [{ id: 'msg_2', outcome: 'dead', error: 'its content cannot be read: tampered' }]);
      expect((await store.inbox.get('msg_2'))?.lastError).to.equal('its content cannot be read: tampered');
    });

    it('refuses a body moved from another delivery, and headers that are not those it sealed', async () => {
      for (const id of ['msg_1', 'msg_2', 'msg_3', 'msg_4']) await inbox.accept(delivery(id));
      const sealedOfFirst = (await store.inbox.get('msg_1'))!.body;
      await alterStored(backend, store, 'msg_2', 'body', () => sealedOfFirst);
      await alterStored(backend, store, 'msg_3', 'headers', () => JSON.stringify({ 'svix-id': 'msg_3' }));
      await alterStored(backend, store, 'msg_4', 'body', () => delivery('msg_4').body);
      const tampered = 'its headers and body cannot be decrypted: tampered with (altered, cut short, or moved from elsewhere)';
      for (const id of ['msg_2', 'msg_3', 'msg_4']) expect(await inbox.get(id), id).to.deep.include({ unreadable: tampered, body: '' });
      expect((await inbox.get('msg_1'))?.body).to.equal(delivery('msg_1').body);
      expect(told.map(({ id }) => id)).to.deep.equal(['msg_2', 'msg_3', 'msg_4']);
    });

    it("writes again under the end user's key as it is when an erasure elsewhere destroyed the key it held", async () => {
      await inbox.accept(delivery('msg_1'));
      // Another process, with its own keys in memory, erases the end user.
      await encrypted(store.inbox, keys).erase('u1', new Date());
      const [before] = await store.inbox.dataKeys(undefined, 10);
      expect(before).to.equal(undefined);
      expect(await inbox.accept(delivery('msg_2'))).to.equal('stored');
      expect((await inbox.get('msg_2'))?.body).to.equal(delivery('msg_2').body);
      expect(await inbox.get('msg_1')).to.deep.include({ body: '', unreadable: (await store.inbox.get('msg_1'))!.unreadable });
      expect((await store.inbox.dataKeys(undefined, 10)).map(({ owner }) => owner)).to.deep.equal(['end_user:u1']);
    });

    it('gives a new end user one data key when processes seal their first deliveries at once', async () => {
      const processes = [inbox, encrypted(store.inbox, keys), encrypted(store.inbox, keys)];
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, index) => processes[index % 3]!.accept(delivery(`msg_${index}`, 'newcomer'))),
      );
      expect(outcomes).to.deep.equal(Array(12).fill('stored'));
      expect(await store.inbox.dataKeys(undefined, 10)).to.have.length(1);
      const reader = encrypted(store.inbox, keys);
      for (let index = 0; index < 12; index += 1) {
        expect((await reader.get(`msg_${index}`))?.body).to.equal(delivery(`msg_${index}`, 'newcomer').body);
      }
    });

    it("reads an end user's key again once it has been held for keyLifetimeMs, and holds at most maxKeysHeld", async () => {
      const reads: string[] = [];
      // The store itself, its reads of keys by owner counted.
      const counted = new Proxy(store.inbox, {
        get(target, name) {
          const value = Reflect.get(target, name) as unknown;
          if (name === 'dataKeyOf') return (owner: string) => (reads.push(owner), target.dataKeyOf(owner));
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const briefly = encryptedInbox(counted, keys, { onUnreadable: () => {}, keyLifetimeMs: 2000 });
      for (const id of ['msg_1', 'msg_2', 'msg_3']) await briefly.accept(delivery(id));
      expect(reads).to.deep.equal(['end_user:u1']);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await briefly.accept(delivery('msg_4'));
      expect(reads).to.deep.equal(['end_user:u1', 'end_user:u1']);

      reads.length = 0;
      const few = encryptedInbox(counted, keys, { onUnreadable: () => {}, maxKeysHeld: 1 });
      for (const [id, endUser] of [
        ['msg_5', 'u1'],
        ['msg_6', 'u1'],
        ['msg_7', 'u2'],
        ['msg_8', 'u1'],
      ] as const) {
        await few.accept(delivery(id, endUser));
      }
      expect(reads).to.deep.equal(['end_user:u1', 'end_user:u2', 'end_user:u1']);
    });

    it("refuses to write an end user's delivery while the key that wraps their data key is not given, saying which", async () => {
      await inbox.accept(delivery('msg_1'));
      const withoutIt = encrypted(store.inbox, new EncryptionKeys([newKey()]));
      let refusal: Error | undefined;
      await withoutIt.accept(delivery('msg_2')).catch((error: unknown) => (refusal = error as Error));
      expect(refusal?.message).to.match(
        new RegExp(`^cannot seal a delivery: its data key \\S+ is wrapped by key ${keys.writing.id}, which is not among`),
      );
      expect(await store.inbox.get('msg_2')).to.equal(undefined);
      expect(await withoutIt.accept(delivery('msg_3', 'u2'))).to.equal('stored');
    });

    it("replaces an end user's data key whose wrapping was altered: what it sealed stays unreadable, and new deliveries are stored", async () => {
      await inbox.accept(delivery('msg_1'));
      const { id, wrapped } = (await store.inbox.dataKeyOf('end_user:u1'))!;
      const altered = `${wrapped.slice(0, -3)}${wrapped.at(-3) === 'A' ? 'B' : 'A'}${wrapped.slice(-2)}`;
      expect(await store.inbox.rewrapDataKey(id, wrapped, altered)).to.equal(true);

      const afterwards = encrypted(store.inbox, keys);
      expect(await afterwards.accept(delivery('msg_2'))).to.equal('stored');
      expect((await afterwards.get('msg_2'))?.body).to.equal(delivery('msg_2').body);
      expect((await afterwards.get('msg_1'))?.unreadable).to.match(/^its headers and body cannot be decrypted: tampered with/);
      expect((await store.inbox.dataKeyOf('end_user:u1'))?.id).to.equal(id);
      expect(await encrypted(store.inbox, keys).accept(delivery('msg_3'))).to.equal('stored');
    });

    it('keeps within what the store keeps of an error, cut before it is sealed', async () => {
      await inbox.accept(delivery('msg_1'));
      await claimAll();
      await inbox.settle('dispatcher-a', [{ id: 'msg_1', outcome: 'dead', error: 'é'.repeat(20_000) }]);
      const { lastError } = (await inbox.get('msg_1'))!;
      expect(lastError).to.match(/^é+…$/);
      expect(told).to.deep.equal([]);
    });
  });
}
