// End users' data through the service as `npm start` runs it (src/main.js, its example handlers),
// on each backend, with INBOX_ENCRYPTION_KEY: what two end users wrote is handled, shown and
// forwarded in clear and is found nowhere at rest (the SQLite file and its WAL, a pg_dump of the
// schema); erasing one end user with `npm run inbox -- erase` leaves the other's deliveries to
// show, replay and handle; the key is rotated with `rewrap-keys` while deliveries keep being
// read and handled; and a key that is not one is refused without being echoed.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { keyIdOf } from '../../src/inbox/encryption/keys.ts';
import { jetStreamBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { inboxBackends, type TestStore } from '../support/inbox-backends.ts';
import { mainPath, run, runScript, startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, deliver, testSecret } from '../support/receiver.ts';

/** A key of 32 bytes in base64, as `openssl rand -base64 32` prints one; fixed, so that a failure can be run again. */
const keyNamed = (name: string) => createHash('sha256').update(name).digest('base64');
const oldKey = keyNamed('the old key');
const newKey = keyNamed('the new key');
const idOf = (key: string) => keyIdOf(Buffer.from(key, 'base64'));

/** What an end user wrote: an email in their profile, a sentence in a message. */
interface EndUser {
  id: string;
  email: string;
  text: string;
}
const ana: EndUser = { id: 'end-user-ana', email: 'ana.quillfeather@example.org', text: 'My parcel code is QX-7731-ANA' };
const bo: EndUser = { id: 'end-user-bo', email: 'bo.marshwood@example.org', text: 'My parcel code is ZK-0412-BO' };

const profileUpdate = ({ id, email }: EndUser) => {
  const event = contractExample('EndUserUpdated');
  event['data'].end_user_id = id;
  event['data'].profile.email = email;
  event['tags'] = [id];
  return event;
};
const message = ({ id, text }: EndUser, sequence = 0) => {
  const event = contractExample('ConversationMessageText');
  event['data'].end_user_id = id;
  event['data'].author.id = id;
  event['data'].conversation_id = `conversation-of-${id}`;
  event['data'].content.body = text;
  event['timestamp'] = new Date(Date.UTC(2026, 11, 1, 9) + sequence).toISOString();
  return event;
};

/** How many times the example handlers have run the delivery `id` (each run logs one line with its id). */
const handled = (receiver: ReceiverProcess, id: string) =>
  receiver.logs().filter((line) => line['deliveryId'] === id && /^(conversation message|end user updated)$/.test(String(line['msg'])))
    .length;

for (const backend of inboxBackends)
  describe(`end users' data through the service on ${backend.name}`, function () {
    this.timeout(120_000);
    const temporaryDirectory = useTemporaryDirectory('ada-end-users-');
    let store: TestStore;
    let receiver: ReceiverProcess | undefined;
    beforeEach(async () => {
      store = await backend.createStore();
    });
    afterEach(async () => {
      await stop();
      await store.destroy();
    });

    const start = async (keys: string, env: Record<string, string> = {}) => {
      receiver = await startReceiverProcess(temporaryDirectory(), {
        ...store.env,
        ...env,
        ADA_WEBHOOK_SECRET: testSecret,
        INBOX_ENCRYPTION_KEY: keys,
      });
      return receiver;
    };
    async function stop() {
      receiver?.child.kill('SIGTERM');
      if (receiver) expect(await receiver.exit).to.deep.equal({ code: 0, signal: null });
      receiver = undefined;
    }
    const command = (keys: string, script: string, ...args: string[]) =>
      runScript(script, args, temporaryDirectory(), { ...store.env, INBOX_ENCRYPTION_KEY: keys });
    /** `npm run inbox -- show <id>`'s output, which must succeed. */
    const shown = async (keys: string, id: string) => {
      const { code, stdout, stderr } = await command(keys, 'inbox', 'show', id);
      expect(code, stderr).to.equal(0);
      return stdout;
    };
    const delivered = async (event: Record<string, any>, id: string) => {
      const answer = await deliver(receiver!.url, event, { id });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    };

    /** Every byte the store holds: the SQLite file with its WAL and journal, or a dump of the PostgreSQL schema. */
    async function bytesAtRest(): Promise<string> {
      const schema = store.env['DATABASE_SCHEMA'];
      if (schema) {
        const { stdout } = await promisify(execFile)('pg_dump', ['--schema', schema, store.env['DATABASE_URL']!], {
          maxBuffer: 64 * 1024 * 1024,
        });
        return stdout;
      }
      const path = store.env['DATABASE_URL']!.slice('sqlite:'.length);
      const files = readdirSync(dirname(path)).filter((name) => name.startsWith(basename(path)));
      return files.map((name) => readFileSync(join(dirname(path), name)).toString('latin1')).join('\n');
    }

    it("keeps what end users wrote only encrypted, shows and handles it in clear, and erases one end user's deliveries alone", async () => {
      const started = await start(oldKey);
      const listening = started.logs().find((line) => String(line['msg']).startsWith('receiver listening'));
      expect(listening).to.deep.include({ encryption: [idOf(oldKey)] });
      await delivered(profileUpdate(ana), 'msg_ana_profile');
      await delivered(message(ana), 'msg_ana_message');
      await delivered(profileUpdate(bo), 'msg_bo_profile');
      await delivered(message(bo), 'msg_bo_message');
      const ids = ['msg_ana_profile', 'msg_ana_message', 'msg_bo_profile', 'msg_bo_message'];
      await eventually(() => ids.every((id) => handled(started, id) === 1), 20_000);

      expect(await shown(oldKey, 'msg_ana_message')).to.contain(ana.text);
      expect(await shown(oldKey, 'msg_bo_profile')).to.contain(bo.email);

      // Stopped, so that SQLite's WAL holds what it held last (PostgreSQL is dumped as it runs).
      await stop();
      const atRest = await bytesAtRest();
      for (const id of ids) expect(atRest, 'the delivery ids, kept in clear').to.contain(id);
      for (const { email, text } of [ana, bo]) {
        expect(atRest).not.to.contain(email);
        expect(atRest).not.to.contain(text);
      }

      const running = await start(oldKey);
      const erased = await command(oldKey, 'inbox', 'erase', '--end-user', ana.id, '--yes');
      expect(erased.code, erased.stderr).to.equal(0);
      expect(erased.stdout).to.match(/^Erased 2 deliveries of end user "end-user-ana"; 0 were erased before\.\naudit: at=(\S+Z) /);
      const erasedAt = /audit: at=(\S+Z) /.exec(erased.stdout)![1]!;
      const why = `its end user's data was erased at ${erasedAt}`;
      for (const id of ['msg_ana_profile', 'msg_ana_message']) {
        const output = await shown(oldKey, id);
        expect(output).to.contain(`erased at    ${erasedAt}\n`).and.to.contain(`not shown: ${why}`);
        expect(output).not.to.contain(ana.email).and.not.to.contain(ana.text);
      }
      expect(await shown(oldKey, 'msg_bo_message')).to.contain(bo.text);

      const refused = await command(oldKey, 'replay', '--id', 'msg_ana_message');
      expect(refused).to.include({ code: 1, stdout: `msg_ana_message  not replayed: ${why}\nReplayed 0 of 1 matching deliveries.\n` });
      const replayed = await command(oldKey, 'replay', '--id', 'msg_bo_message');
      expect(replayed).to.include({ code: 0, stdout: 'msg_bo_message  done -> pending\nReplayed 1 of 1 matching deliveries.\n' });
      await eventually(() => handled(running, 'msg_bo_message') === 1, 20_000);
      expect(handled(running, 'msg_ana_message'), 'an erased delivery run again').to.equal(0);

      const again = await command(oldKey, 'inbox', 'erase', '--end-user', ana.id, '--yes');
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.match(/^Erased 0 deliveries of end user "end-user-ana"; 2 were erased before\.\n/);
    });

    it('rotates the key: deliveries written under the old key still read once their data keys are re-wrapped, and new ones are handled', async () => {
      await start(oldKey);
      await delivered(message(bo, 1), 'msg_before_rotation');
      await eventually(() => handled(receiver!, 'msg_before_rotation') === 1, 20_000);
      await stop();

      const both = `${newKey},${oldKey}`;
      const rotating = await start(both);
      expect(rotating.logs().find((line) => String(line['msg']).startsWith('receiver listening'))).to.deep.include({
        encryption: [idOf(newKey), idOf(oldKey)],
      });
      const tooSoon = await command(newKey, 'inbox', 'show', 'msg_before_rotation');
      expect(tooSoon.code, 'the new key alone before rewrap-keys').to.equal(1);
      expect(tooSoon.stderr).to.contain(idOf(oldKey));
      expect(tooSoon.stdout + tooSoon.stderr).not.to.contain(bo.text);
      const rewrapped = await command(both, 'inbox', 'rewrap-keys', '--json');
      expect(rewrapped.code, rewrapped.stderr).to.equal(0);
      expect(JSON.parse(rewrapped.stdout)).to.deep.include({ writingKey: idOf(newKey), rewrapped: 1, failed: [] });
      const none = await command(both, 'inbox', 'rewrap-keys', '--json');
      expect(JSON.parse(none.stdout)).to.deep.include({ rewrapped: 0, current: 1, failed: [] });
      await stop();

      await start(newKey);
      expect(await shown(newKey, 'msg_before_rotation')).to.contain(bo.text);
      await delivered(message(bo, 2), 'msg_after_rotation');
      await eventually(() => handled(receiver!, 'msg_after_rotation') === 1, 20_000);
      expect(await shown(newKey, 'msg_after_rotation')).to.contain(bo.text);
    });

    it('forwards the plain body, byte for byte as signed, from an encrypted inbox', async () => {
      const broker = await jetStreamBroker();
      try {
        await start(oldKey, broker.env());
        const body = JSON.stringify(message(ana));
        await delivered(JSON.parse(body) as Record<string, any>, 'msg_forwarded');
        await eventually(() => handled(receiver!, 'msg_forwarded') === 1, 20_000);
        const [copy, ...more] = await broker.messages();
        expect(more).to.deep.equal([]);
        expect(copy).to.deep.include({ id: 'msg_forwarded', body });
      } finally {
        await broker.destroy();
      }
    });
  });

describe('a bad INBOX_ENCRYPTION_KEY', () => {
  const temporaryDirectory = useTemporaryDirectory('ada-bad-key-');
  const cases: Record<string, [key: string, problem: string]> = {
    'a key of 16 bytes': [Buffer.alloc(16, 7).toString('base64'), 'entry 1 holds 16 bytes, not 32'],
    'a key that is not base64': ['not-a-key-at-all!', 'entry 1 is not base64'],
    'a signing secret': [testSecret, 'entry 1 is a signing secret, not a key'],
    'a second entry that is not a key': [`${oldKey},${Buffer.alloc(16, 7).toString('base64')}`, 'entry 2 holds 16 bytes, not 32'],
  };
  for (const [name, [key, problem]] of Object.entries(cases))
    it(`refuses to start with ${name}, saying which entry is wrong and never echoing it`, async () => {
      const { code, stdout, stderr } = await run(mainPath, [], temporaryDirectory(), {
        DATABASE_URL: `sqlite:${join(temporaryDirectory(), 'inbox.sqlite')}`,
        ADA_WEBHOOK_SECRET: testSecret,
        INBOX_ENCRYPTION_KEY: key,
      });
      expect(code).to.equal(1);
      expect(stderr).to.contain(
        `INBOX_ENCRYPTION_KEY must be keys of 32 random bytes in base64, as \`openssl rand -base64 32\` prints them, separated by commas while rotating; ${problem}`,
      );
      for (const entry of key.split(',')) expect(stdout + stderr).not.to.contain(entry);
    });
});
