// The operator commands as processes over a real inbox of each backend: replay, resend and inbox.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { eventually } from '../support/eventually.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';
import { childEnvironment, runScript, scriptPath, startReceiverProcess, useTemporaryDirectory } from '../support/process.ts';
import { contractExample, storedDelivery, testSecret } from '../support/receiver.ts';

for (const backend of inboxBackends)
  describe(`the operator commands on ${backend.name}`, function () {
    this.timeout(30_000);
    const temporaryDirectory = useTemporaryDirectory('ada-commands-');
    let store: TestInbox;
    let inbox: Inbox;
    beforeEach(async () => {
      store = await backend.create();
      inbox = store.inbox;
    });
    afterEach(() => store.destroy());
    const run = (script: string, ...args: string[]) => runScript(script, args, temporaryDirectory(), store.env);

    describe('with a dead and a quarantined delivery', () => {
      beforeEach(async () => {
        await inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg_dead'));
        await inbox.claim({ owner: 'test', limit: 1, leaseMs: 1000 });
        await inbox.settle('test', [{ id: 'msg_dead', outcome: 'dead', error: 'Error: the internal API is down' }]);
        const invalid = contractExample('ConversationMessageLink');
        invalid['data'].channel.modality = 'fax';
        await inbox.quarantine(storedDelivery(invalid, 'msg_quarantined'), [{ pointer: '/data/channel/modality', message: 'old message' }]);
      });

      it('replay --dry-run says what it would do and changes nothing', async () => {
        const { code, stdout } = await run('replay', '--state', 'dead', '--dry-run');
        expect(code).to.equal(0);
        expect(stdout).to.equal('msg_dead  dead -> pending\nWould replay 1 of 1 matching deliveries.\n');
        expect((await inbox.get('msg_dead'))?.state).to.equal('dead');
      });

      it('replay --state dead puts dead deliveries back to pending', async () => {
        const { code, stdout } = await run('replay', '--state', 'dead');
        expect(code).to.equal(0);
        expect(stdout).to.equal('msg_dead  dead -> pending\nReplayed 1 of 1 matching deliveries.\n');
        expect(await inbox.get('msg_dead')).to.deep.include({ state: 'pending', attempts: 0, lastError: null });
      });

      it('replay --state quarantined validates against the current contract first', async () => {
        const { code, stdout } = await run('replay', '--state', 'quarantined', '--json');
        expect(code, 'nothing could be replayed').to.equal(1);
        const violations = [{ pointer: '/data/channel/modality', message: 'must be one of: messaging, email, voice, sms' }];
        expect(JSON.parse(stdout)).to.deep.equal([{ id: 'msg_quarantined', outcome: 'still quarantined', violations }]);
        expect(await inbox.get('msg_quarantined')).to.deep.include({ state: 'quarantined', violations });
      });

      it('replay refuses unclear requests, pointing to --help', async () => {
        const unknownState = await run('replay', '--state', 'pending');
        expect(unknownState.code).to.equal(2);
        expect(unknownState.stderr).to.equal('--state must be one of dead, quarantined, done.\nSee: npm run replay -- --help\n');
        const missing = await run('replay', '--id', 'msg_nowhere');
        expect(missing).to.include({ code: 1, stderr: 'No delivery with id msg_nowhere.\n' });
      });

      it('inbox show hides the signature values, as the inspector does, in text and JSON', async () => {
        const signatures = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,bm9uZSBvZiB5b3VyIGJ1c2luZXNzIGF0IGFsbCwgcmVhbGx5ISE=';
        const delivery = storedDelivery(contractExample('ConversationCreated'), 'msg_signed');
        await inbox.accept({
          ...delivery,
          headers: { 'svix-id': 'msg_signed', 'svix-signature': signatures, 'webhook-signature': 'v1,x' },
        });
        const text = await run('inbox', 'show', 'msg_signed');
        expect(text.code).to.equal(0);
        expect(text.stdout).to.contain('  svix-signature: (hidden: 2 signatures)\n  webhook-signature: (hidden: 1 signature)\n');
        const json = await run('inbox', 'show', 'msg_signed', '--json');
        expect(JSON.parse(json.stdout).headers).to.deep.equal({
          'svix-id': 'msg_signed',
          'svix-signature': '(hidden: 2 signatures)',
          'webhook-signature': '(hidden: 1 signature)',
        });
        for (const output of [text.stdout, json.stdout]) expect(output).not.to.match(/g0hM9SsE|bm9uZSBv|v1,x/);
      });

      it('a discarded delivery: replay leaves it, stats count it apart, show says who and when, purge takes it', async () => {
        const at = new Date('2026-11-24T12:00:00.000Z');
        expect(await inbox.discard('msg_quarantined', { at, by: 'session 1a2b3c4d from 10.0.0.7' })).to.equal(true);
        const replayed = await run('replay', '--id', 'msg_quarantined');
        expect(replayed).to.include({
          code: 1,
          stdout: 'msg_quarantined  discarded: not replayed\nReplayed 0 of 1 matching deliveries.\n',
        });
        const stats = await run('inbox', 'stats', '--json');
        expect(JSON.parse(stats.stdout)).to.deep.equal({ pending: 0, quarantined: 0, done: 0, dead: 1, discarded: 1 });
        const shown = await run('inbox', 'show', 'msg_quarantined');
        expect(shown.stdout).to.contain('state        discarded\n');
        expect(shown.stdout).to.contain('discarded    2026-11-24T12:00:00.000Z by session 1a2b3c4d from 10.0.0.7\n');
        const purged = await run('inbox', 'purge', '--state', 'discarded', '--older-than', '1s', '--yes');
        expect(purged.stdout).to.match(/^Purged 1 discarded deliveries received before /);
        expect(await inbox.get('msg_quarantined')).to.equal(undefined);
      });

      it('inbox stats and list --state read the same file', async () => {
        const stats = await run('inbox', 'stats', '--json');
        expect(JSON.parse(stats.stdout)).to.deep.equal({ pending: 0, quarantined: 1, done: 0, dead: 1, discarded: 0 });
        const list = await run('inbox', 'list', '--state', 'quarantined', '--json');
        expect(JSON.parse(list.stdout)).to.have.length(1).and.to.have.nested.property('[0].id', 'msg_quarantined');
      });
    });

    describe("with deliveries of two end users, to erase one's data", () => {
      const at = new Date('2026-12-01T10:00:00.000Z');
      const why = `its end user's data was erased at ${at.toISOString()}`;
      /** An event that names `endUser`, in a conversation of its own unless it is about the end user. */
      const naming = (name: string, endUser: string) => {
        const event = contractExample(name);
        event['data'].end_user_id = endUser;
        if ('conversation_id' in event['data']) event['data'].conversation_id = `conversation_of_${endUser}`;
        return event;
      };
      beforeEach(async () => {
        await inbox.accept(storedDelivery(naming('ConversationCreated', 'ana'), 'msg_ana_dead'));
        await inbox.accept(storedDelivery(naming('EndUserUpdated', 'ana'), 'msg_ana_profile'));
        await inbox.accept(storedDelivery(naming('ConversationCreated', 'bo'), 'msg_bo_dead'));
        await inbox.claim({ owner: 'test', limit: 3, leaseMs: 60_000 });
        await inbox.settle('test', [
          { id: 'msg_ana_dead', outcome: 'dead', error: 'Error: the CRM refused ana@example.com' },
          { id: 'msg_ana_profile', outcome: 'done' },
          { id: 'msg_bo_dead', outcome: 'dead', error: 'Error: the CRM is down' },
        ]);
      });

      it('inbox erase counts without --yes and changes nothing; with --yes erases and says so for the audit; again, erases none', async () => {
        const [before, other] = [await inbox.get('msg_ana_dead'), await inbox.get('msg_bo_dead')];
        const dryRun = await run('inbox', 'erase', '--end-user', 'ana');
        expect(dryRun).to.include({
          code: 0,
          stdout:
            '2 deliveries name end user "ana"; 0 of them were erased before. ' +
            'Run again with --yes to erase what is kept of them and destroy their data key.\n',
        });
        expect(await inbox.get('msg_ana_dead')).to.deep.equal(before);
        expect(await inbox.countErased()).to.equal(0);

        const erased = await run('inbox', 'erase', '--end-user', 'ana', '--yes');
        expect(erased.code, erased.stderr).to.equal(0);
        const [result, audit] = erased.stdout.split('\n');
        expect(result).to.equal('Erased 2 deliveries of end user "ana"; 0 were erased before.');
        expect(audit).to.match(
          new RegExp(`^audit: at=\\S+Z by="${userInfo().username}" erase end_user="ana" erased=2 erased_before=0 inbox=".+"$`),
        );
        const erasedAt = audit!.slice('audit: at='.length).split(' ', 1)[0];
        expect(await inbox.get('msg_ana_dead')).to.deep.include({
          body: '',
          headers: {},
          lastError: null,
          erasedAt: new Date(erasedAt!),
          unreadable: `its end user's data was erased at ${erasedAt}`,
        });
        expect(await inbox.get('msg_bo_dead')).to.deep.equal(other);
        expect(await inbox.countErased()).to.equal(2);

        const counted = await run('inbox', 'erase', '--end-user', 'ana', '--json');
        expect(JSON.parse(counted.stdout)).to.deep.equal({ dryRun: true, endUserId: 'ana', deliveries: 2, erasedBefore: 2 });
        expect((await run('inbox', 'erase', '--end-user', 'ana')).stdout).to.equal(
          '2 deliveries name end user "ana"; all of them were erased before: nothing of them is left to erase.\n',
        );
        const again = await run('inbox', 'erase', '--end-user', 'ana', '--yes', '--json');
        expect(again.code, again.stderr).to.equal(0);
        expect(JSON.parse(again.stdout)).to.deep.include({ dryRun: false, endUserId: 'ana', erased: 0, erasedBefore: 2 });
        const nobody = await run('inbox', 'erase', '--end-user', 'nobody', '--yes');
        expect(nobody).to.include({ code: 0 });
        expect(nobody.stdout).to.match(/^Erased 0 deliveries of end user "nobody"; 0 were erased before\.\n/);
        expect(await inbox.countErased()).to.equal(2);
      });

      it('inbox list --end-user finds every delivery that names the end user; list and show mark the erased', async () => {
        const listed = async (...args: string[]) =>
          (JSON.parse((await run('inbox', 'list', ...args, '--json')).stdout) as { id: string }[]).map(({ id }) => id).sort();
        expect(await listed('--end-user', 'ana')).to.deep.equal(['msg_ana_dead', 'msg_ana_profile']);
        expect(await listed('--end-user', 'ana', '--state', 'dead')).to.deep.equal(['msg_ana_dead']);
        await inbox.erase('ana', at);

        const text = await run('inbox', 'list');
        expect(text.code, text.stderr).to.equal(0);
        const rowOf = (id: string) => text.stdout.split('\n').find((row) => row.includes(` ${id} `))!;
        expect(rowOf('msg_ana_dead')).to.match(new RegExp(` msg_ana_dead +\\(erased at ${at.toISOString().replaceAll('.', '\\.')}\\)$`));
        expect(rowOf('msg_ana_profile')).to.match(/ msg_ana_profile +\(erased at \S+\)$/);
        expect(rowOf('msg_bo_dead')).to.match(/ msg_bo_dead +Error: the CRM is down$/);
        const [json] = JSON.parse((await run('inbox', 'list', 'msg_ana_dead', '--json')).stdout) as Record<string, unknown>[];
        expect(json).to.deep.include({ endUserId: 'ana', erasedAt: at.toISOString(), unreadable: why, lastError: null });

        const shown = await run('inbox', 'show', 'msg_ana_dead');
        expect(shown.code, shown.stderr).to.equal(0);
        expect(shown.stdout).to.contain('end user     ana\nerased at    2026-12-01T10:00:00.000Z\n');
        expect(shown.stdout).to.match(new RegExp(`\\nheaders and body\\n  not shown: ${why}\\n$`));
        expect(shown.stdout).not.to.match(/^(headers|body)$/m);
        expect(shown.stdout).not.to.contain('ana@example.com');
        const other = await run('inbox', 'show', 'msg_bo_dead');
        expect(other.stdout)
          .to.contain('end user     bo\n')
          .and.to.match(/\nbody\n\{/);
        expect(other.stdout).not.to.contain('erased');
        const shownJson = JSON.parse((await run('inbox', 'show', 'msg_ana_dead', '--json')).stdout) as Record<string, unknown>;
        expect(shownJson).to.deep.include({ body: '', headers: {}, erasedAt: at.toISOString(), unreadable: why });
      });

      it("replay refuses the erased deliveries with why, and replays another end user's in the same run", async () => {
        await inbox.erase('ana', at);
        const dryRun = await run('replay', '--state', 'dead', '--dry-run');
        expect(dryRun).to.include({
          code: 0,
          stdout: `msg_bo_dead  dead -> pending\nmsg_ana_dead  not replayed: ${why}\nWould replay 1 of 2 matching deliveries.\n`,
        });
        expect((await inbox.get('msg_bo_dead'))?.state).to.equal('dead');

        const replayed = await run('replay', '--state', 'dead');
        expect(replayed).to.include({
          code: 0,
          stdout: `msg_bo_dead  dead -> pending\nmsg_ana_dead  not replayed: ${why}\nReplayed 1 of 2 matching deliveries.\n`,
        });
        expect((await inbox.get('msg_bo_dead'))?.state).to.equal('pending');
        expect(await inbox.get('msg_ana_dead')).to.deep.include({ state: 'dead', erasedAt: at });

        const one = await run('replay', '--id', 'msg_ana_profile', '--json');
        expect(one.code, 'nothing could be replayed').to.equal(1);
        expect(JSON.parse(one.stdout)).to.deep.equal([{ id: 'msg_ana_profile', outcome: 'unreadable', reason: why }]);
        expect((await inbox.get('msg_ana_profile'))?.state).to.equal('done');
      });

      it('replay --to refuses the erased deliveries with why, posts no empty body, and resends the others', async () => {
        const elsewhere = join(temporaryDirectory(), 'staging.sqlite');
        const staging = await startReceiverProcess(temporaryDirectory(), {
          DATABASE_URL: `sqlite:${elsewhere}`,
          ADA_WEBHOOK_SECRET: testSecret,
        });
        try {
          await inbox.erase('ana', at);
          const to = `${staging.url}/webhooks/ada`;
          const resent = await run('replay', '--to', to, '--secret', testSecret, '--state', 'dead', '--rate', '50');
          expect(resent.code, resent.stderr).to.equal(0);
          expect(resent.stdout.split('\n')).to.deep.equal([
            `msg_ana_dead -> not resent: ${why}`,
            'msg_bo_dead -> 200 {"status":"accepted","id":"msg_bo_dead"}',
            `Resent 1 to ${to}: 1 × 200; 1 not resent: their content cannot be read.`,
            '',
          ]);
          const erasedOnly = await run('replay', '--to', to, '--secret', testSecret, '--id', 'msg_ana_profile');
          expect(erasedOnly).to.include({
            code: 1,
            stdout: `msg_ana_profile -> not resent: ${why}\nResent 0 to ${to}; 1 not resent: their content cannot be read.\n`,
          });
          const received = new SqliteInbox(elsewhere, { mustExist: true });
          try {
            expect((await received.list({ limit: 10 })).map(({ id }) => id)).to.deep.equal(['msg_bo_dead']);
          } finally {
            await received.close();
          }
        } finally {
          staging.child.kill('SIGTERM');
          await staging.exit;
        }
      });
    });

    /** Deliveries of their own conversations, handled to `done`. */
    async function seedDone(count: number, { type = 'ConversationCreated', receivedAt = new Date(), prefix = 'msg_done' } = {}) {
      for (let index = 0; index < count; index += 1) {
        const event = contractExample(type);
        event['data'].conversation_id = `${prefix}_conversation_${index}`;
        await inbox.accept({ ...storedDelivery(event, `${prefix}_${index}`), receivedAt });
      }
      const claimed = await inbox.claim({ owner: 'test', limit: count, leaseMs: 60_000 });
      await inbox.settle(
        'test',
        claimed.map(({ id }) => ({ id, outcome: 'done' as const })),
      );
    }

    it('inbox list shows attempts, the next attempt and the last error, by type, time, conversation and id prefix', async () => {
      await seedDone(2);
      const failing = contractExample('ConversationEndedByEndUser');
      await inbox.accept(storedDelivery(failing, 'msg_retried'));
      await inbox.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
      const retryAt = new Date(Date.now() + 600_000);
      await inbox.settle('test', [
        { id: 'msg_retried', outcome: 'retry', error: 'Error: the CRM timed out\n    at handler (crm.ts:12)', retryAt },
      ]);

      const text = await run('inbox', 'list');
      expect(text.code, text.stderr).to.equal(0);
      const [header, retried] = text.stdout.split('\n');
      expect(header).to.match(/^RECEIVED +STATE +EVENT TYPE +ATTEMPTS +NEXT ATTEMPT +ID +LAST ERROR$/);
      expect(retried).to.match(
        new RegExp(
          `^\\S+Z +pending +v1\\.conversation\\.ended +1 +${retryAt.toISOString().replaceAll('.', '\\.')} +msg_retried +Error: the CRM timed out$`,
        ),
      );
      expect(text.stdout).to.not.include('crm.ts');

      const listed = async (...args: string[]) =>
        (JSON.parse((await run('inbox', 'list', ...args, '--json')).stdout) as { id: string }[]).map(({ id }) => id).sort();
      expect(await listed('--type', 'v1.conversation.ended')).to.deep.equal(['msg_retried']);
      expect(await listed('msg_done')).to.deep.equal(['msg_done_0', 'msg_done_1']);
      expect(await listed('msg_done_1')).to.deep.equal(['msg_done_1']);
      expect(await listed('--conversation', 'msg_done_conversation_0')).to.deep.equal(['msg_done_0']);
      expect(await listed('--conversation', failing['data'].conversation_id, '--since', '1h')).to.deep.equal(['msg_retried']);
      expect(await listed('--until', '1h')).to.deep.equal([]);
      const [json] = JSON.parse((await run('inbox', 'list', 'msg_retried', '--json')).stdout) as Record<string, unknown>[];
      expect(json).to.deep.include({ attempts: 1, nextAttemptAt: retryAt.toISOString(), state: 'pending' });
      expect(json!['lastError']).to.match(/^Error: the CRM timed out\n/);
    });

    it('inbox list and replay refuse a time the stores do not take, with the reason, alike on every backend', async () => {
      await seedDone(1);
      const range = 'must be a time from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z';
      for (const [option, time, read] of [
        ['--until', '+275760-09-13T00:00:00Z', '+275760-09-13T00:00:00.000Z'],
        ['--since', '0000-06-01T00:00:00Z', '0000-06-01T00:00:00.000Z'],
        ['--since', '9999-12-31T23:30:00-01:00', '+010000-01-01T00:30:00.000Z'],
      ] as const) {
        for (const args of [
          ['inbox', 'list'],
          ['replay', '--state', 'done', '--dry-run'],
        ] as const) {
          const refused = await run(args[0], ...args.slice(1), option, time);
          expect(refused.code, refused.stderr).to.equal(2);
          expect(refused.stderr).to.contain(`${option} ${range}, got ${JSON.stringify(time)} (${read}).`);
        }
      }
      const noSuchDay = await run('inbox', 'list', '--since', '2026-02-30T00:00:00Z');
      expect(noSuchDay.code, noSuchDay.stderr).to.equal(2);
      expect(noSuchDay.stderr).to.contain(
        '--since must be a time such as 2026-11-24T09:00:00Z or a duration ago such as 12h, got "2026-02-30T00:00:00Z".',
      );
      const ago = await run('inbox', 'list', '--since', '1000000d');
      expect(ago.code, ago.stderr).to.equal(2);
      expect(ago.stderr).to.contain(`--since ${range}, got "1000000d"`);
      const widest = await run('inbox', 'list', '--since', '0001-01-01T00:00:00Z', '--until', '9999-12-31T23:59:59.999Z', '--json');
      expect(widest.code, widest.stderr).to.equal(0);
      expect((JSON.parse(widest.stdout) as { id: string }[]).map(({ id }) => id)).to.deep.equal(['msg_done_0']);
    });

    it('inbox purge counts first, deletes with --yes, and never takes pending deliveries', async () => {
      await seedDone(3, { receivedAt: new Date(Date.now() - 2 * 86_400_000), prefix: 'msg_old' });
      await seedDone(1, { prefix: 'msg_recent' });
      await inbox.accept({ ...storedDelivery(contractExample('ConversationEndedByEndUser'), 'msg_pending'), receivedAt: new Date(0) });

      const dryRun = await run('inbox', 'purge', '--older-than', '1d');
      expect(dryRun.code, dryRun.stderr).to.equal(0);
      expect(dryRun.stdout).to.match(/^Would purge 3 done deliveries received before \S+Z\. Run again with --yes to delete them\.\n$/);
      expect(await inbox.countByState()).to.deep.equal({ pending: 1, quarantined: 0, done: 4, dead: 0, discarded: 0 });

      const purged = await run('inbox', 'purge', '--older-than', '1d', '--yes', '--json');
      expect(purged.code, purged.stderr).to.equal(0);
      expect(JSON.parse(purged.stdout)).to.deep.include({ dryRun: false, state: 'done', purged: 3 });
      expect(await inbox.countByState()).to.deep.equal({ pending: 1, quarantined: 0, done: 1, dead: 0, discarded: 0 });
      expect(await inbox.get('msg_old_0')).to.equal(undefined);
      expect(await inbox.get('msg_recent_0')).to.deep.include({ state: 'done' });

      const pending = await run('inbox', 'purge', '--state', 'pending', '--older-than', '1s', '--yes');
      expect(pending.code).to.equal(2);
      expect(pending.stderr).to.match(/^--state pending cannot be purged: pending deliveries are work still to do\./);
      expect(await inbox.get('msg_pending')).to.deep.include({ state: 'pending' });
    });

    it('replay --state done replays what the filters select, and asks for --yes above 100', async () => {
      await seedDone(101);
      await seedDone(1, { type: 'ConversationEndedByEndUser', prefix: 'msg_ended' });
      const ended = await run('replay', '--state', 'done', '--type', 'v1.conversation.ended');
      expect(ended.code, ended.stderr).to.equal(0);
      expect(ended.stdout).to.equal('msg_ended_0  done -> pending\nReplayed 1 of 1 matching deliveries.\n');
      expect(await inbox.get('msg_ended_0')).to.deep.include({ state: 'pending', attempts: 0 });

      const unconfirmed = await run('replay', '--state', 'done', '--json');
      expect(unconfirmed.code).to.equal(1);
      expect(unconfirmed.stderr).to.equal('101 deliveries match, more than 100: nothing was replayed. Add --yes to replay them.\n');
      expect(JSON.parse(unconfirmed.stdout)).to.have.length(101);
      expect(await inbox.countByState()).to.deep.include({ done: 101 });

      const confirmed = await run('replay', '--state', 'done', '--yes');
      expect(confirmed.code, confirmed.stderr).to.equal(0);
      expect(confirmed.stdout.split('\n').at(-2)).to.equal('Replayed 101 of 101 matching deliveries.');
      expect(await inbox.countByState()).to.deep.include({ done: 0, pending: 102 });
    });

    it('inbox tail follows deliveries as they are received, retried, done, dead and replayed, across processes', async () => {
      await seedDone(1, { prefix: 'msg_before' });
      const tail = spawn(process.execPath, [scriptPath('inbox'), 'tail', '--json'], { env: childEnvironment(store.env) });
      const lines: Record<string, unknown>[] = [];
      createInterface({ input: tail.stdout }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
      let stderr = '';
      tail.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        await eventually(() => stderr.includes('Following the inbox'), 10_000);
        const seen = (change: string, id: string) => eventually(() => lines.find((line) => line['change'] === change && line['id'] === id));

        await inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg_new'));
        expect(await seen('received', 'msg_new')).to.include({ state: 'pending', attempts: 0, eventType: 'v1.conversation.created' });
        await inbox.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
        await inbox.settle('test', [{ id: 'msg_new', outcome: 'retry', error: 'Error: not yet', retryAt: new Date() }]);
        expect(await seen('retrying', 'msg_new')).to.include({ attempts: 1, lastError: 'Error: not yet' });
        await inbox.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
        await inbox.settle('test', [{ id: 'msg_new', outcome: 'dead', error: 'Error: gone' }]);
        expect(await seen('dead', 'msg_new')).to.include({ state: 'dead', attempts: 2, lastError: 'Error: gone' });

        await inbox.requeue([{ id: 'msg_new' }, { id: 'msg_before_0' }]);
        expect(await seen('requeued', 'msg_before_0')).to.include({ state: 'pending' });
        await seen('requeued', 'msg_new');
        await inbox.claim({ owner: 'test', limit: 2, leaseMs: 60_000 });
        await inbox.settle('test', [{ id: 'msg_before_0', outcome: 'done' }]);
        expect(await seen('done', 'msg_before_0')).to.include({ state: 'done' });
        await inbox.quarantine(storedDelivery({ type: 'v1.conversation.created' }, 'msg_bad'), [
          { pointer: '/data', message: 'is required' },
        ]);
        expect(await seen('received', 'msg_bad')).to.include({ state: 'quarantined', violations: 1 });
        expect(lines.filter((line) => line['id'] === 'msg_new' && line['change'] === 'received')).to.have.length(1);
      } finally {
        tail.kill('SIGINT');
      }
      const [code] = (await once(tail, 'exit')) as [number | null];
      expect(code).to.equal(0);
    });

    it('replay --to resends the stored bodies, signed anew, to another receiver, and changes nothing here', async () => {
      const otherSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      const elsewhere = join(temporaryDirectory(), 'staging.sqlite');
      const staging = await startReceiverProcess(temporaryDirectory(), {
        DATABASE_URL: `sqlite:${elsewhere}`,
        ADA_WEBHOOK_SECRET: otherSecret,
      });
      try {
        await seedDone(3);
        const to = `${staging.url}/webhooks/ada`;
        const resent = await run('replay', '--to', to, '--secret', otherSecret, '--state', 'done', '--rate', '50');
        expect(resent.code, resent.stderr).to.equal(0);
        expect(resent.stdout.split('\n').slice(0, 3)).to.deep.equal(
          ['msg_done_0', 'msg_done_1', 'msg_done_2'].map((id) => `${id} -> 200 {"status":"accepted","id":"${id}"}`),
        );
        expect(resent.stdout.split('\n').at(-2)).to.equal(`Resent 3 to ${to}: 3 × 200.`);
        const received = new SqliteInbox(elsewhere, { mustExist: true });
        try {
          for (const id of ['msg_done_0', 'msg_done_1', 'msg_done_2']) {
            expect((await received.get(id))?.body).to.equal((await inbox.get(id))!.body);
          }
        } finally {
          await received.close();
        }
        expect(await inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 0, done: 3, dead: 0, discarded: 0 });

        const wrongSecret = await run('replay', '--to', to, '--secret', testSecret, '--id', 'msg_done_0');
        expect(wrongSecret.code).to.equal(1);
        expect(wrongSecret.stdout).to.include('msg_done_0 -> 401').and.include('\n    No signature matches the body with the receiver');
        expect(wrongSecret.stdout.split('\n').at(-2)).to.equal(`Resent 1 to ${to}: 1 × 401.`);
      } finally {
        staging.child.kill('SIGTERM');
        await staging.exit;
      }
    });
  });
