// An encrypted inbox opens only with keys that open its data keys: without INBOX_ENCRYPTION_KEY
// it would keep new deliveries in clear beside sealed ones and hand handlers ciphertext; without
// a key that wraps some data keys, their end users' deliveries could be neither read nor stored.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncryptionKeys } from '../../src/inbox/encryption/keys.ts';
import { openInbox, sealedWhenKeyed } from '../../src/inbox/open.ts';
import type { DatabaseSettings } from '../../src/inbox/settings.ts';
import { selected } from '../support/inbox-backends.ts';
import { temporarySchema, testDatabaseUrl } from '../support/postgres.ts';

type Place = { kind: 'sqlite'; path: string; createDirectory: true } | Extract<DatabaseSettings, { kind: 'postgres' }>;

const places: { name: string; create(): Promise<{ place: Place; remove(): Promise<void> }> }[] = [];
if (selected('SQLite').length > 0) {
  places.push({
    name: 'SQLite',
    async create() {
      const directory = mkdtempSync(join(tmpdir(), 'ada-keys-held-'));
      const place = { kind: 'sqlite', path: join(directory, 'inbox.sqlite'), createDirectory: true } as const;
      return { place, remove: async () => rmSync(directory, { recursive: true, force: true }) };
    },
  });
}
if (selected('PostgreSQL').length > 0) {
  places.push({
    name: 'PostgreSQL',
    async create() {
      const { schema, drop } = await temporarySchema();
      const place = {
        kind: 'postgres',
        url: testDatabaseUrl,
        schema,
        poolSize: 2,
        connectTimeoutMs: 5000,
        queryTimeoutMs: 10_000,
      } as const;
      return { place, remove: drop };
    },
  });
}

const refusal = (opening: Promise<unknown>) =>
  opening.then(
    () => 'opened',
    (error: unknown) => (error as Error).message,
  );

for (const { name, create } of places) {
  describe(`an encrypted inbox, opened on ${name}`, () => {
    let place: Place;
    let remove: () => Promise<void>;
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const [oldKeys, rotating, newKeys] = [new EncryptionKeys([oldKey]), new EncryptionKeys([newKey, oldKey]), new EncryptionKeys([newKey])];
    const oldId = oldKeys.writing.id;

    beforeEach(async () => {
      ({ place, remove } = await create());
      // An end user's deliveries sealed under the old key: their data key is wrapped by it.
      const settings = { ...place, encryption: oldKeys };
      const inbox = sealedWhenKeyed(await openInbox(settings), settings, () => {});
      for (const endUser of ['ana', 'bo']) {
        const event = { type: 'v1.end_user.created', timestamp: '2026-11-24T09:00:00.000Z', data: { end_user_id: endUser } };
        const id = `msg_${endUser}`;
        await inbox.accept({ id, receivedAt: new Date(), headers: { 'svix-id': id }, body: JSON.stringify(event), event });
      }
      await inbox.close();
    });
    afterEach(() => remove());

    it('is refused without INBOX_ENCRYPTION_KEY, naming the key it needs and how many data keys it wraps', async () => {
      expect(await refusal(openInbox(place))).to.equal(
        `it is encrypted (it holds data keys), and INBOX_ENCRYPTION_KEY is not set: set it to the keys the inbox was written with: the key ${oldId} (it wraps 2 data keys)`,
      );
    });

    it('is refused with a key it was not written with, naming the key it needs', async () => {
      expect(await refusal(openInbox({ ...place, encryption: newKeys }))).to.equal(
        `none of the keys in INBOX_ENCRYPTION_KEY (${newKeys.writing.id}) is one the inbox was written with: it needs the key ${oldId} (it wraps 2 data keys). ` +
          "A key's id is the first 16 hex digits of its SHA-256 (`echo <key> | base64 -d | sha256sum`); a lost key cannot be replaced",
      );
    });

    it('is refused, midway through a rotation, without the key that wraps some of its data keys: list it after the new one', async () => {
      const settings = { ...place, encryption: rotating };
      const inbox = sealedWhenKeyed(await openInbox(settings), settings, () => {});
      const event = { type: 'v1.end_user.created', timestamp: '2026-11-24T10:00:00.000Z', data: { end_user_id: 'cy' } };
      await inbox.accept({ id: 'msg_cy', receivedAt: new Date(), headers: { 'svix-id': 'msg_cy' }, body: JSON.stringify(event), event });
      await inbox.close();

      expect(await refusal(openInbox({ ...place, encryption: newKeys }))).to.equal(
        `INBOX_ENCRYPTION_KEY lacks the key ${oldId} (it wraps 2 data keys): list it after the others (new,old) until \`npm run inbox -- rewrap-keys\` has re-wrapped every data key by the first`,
      );
    });

    it('opens with its keys, with a new key before them, and with the new key alone once re-wrapped', async () => {
      expect(await refusal(openInbox({ ...place, encryption: oldKeys }).then((inbox) => inbox.close()))).to.equal('opened');
      const settings = { ...place, encryption: rotating };
      const inbox = await openInbox(settings);
      const { rewrapDataKeys } = await import('../../src/inbox/encryption/rewrap.ts');
      expect((await rewrapDataKeys(inbox, rotating)).rewrapped).to.equal(2);
      await inbox.close();
      const renewed = sealedWhenKeyed(await openInbox({ ...place, encryption: newKeys }), { ...place, encryption: newKeys }, () => {});
      try {
        expect(JSON.parse((await renewed.get('msg_ana'))!.body)).to.deep.include({ type: 'v1.end_user.created' });
      } finally {
        await renewed.close();
      }
    });

    it('opens in clear when it holds no data key', async () => {
      await remove();
      ({ place, remove } = await create());
      expect(await refusal(openInbox(place).then((inbox) => inbox.close()))).to.equal('opened');
    });
  });
}
