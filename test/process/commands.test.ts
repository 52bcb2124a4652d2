// The operator commands as processes over a real inbox of each backend: replay and inbox.
import { expect } from 'chai';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';
import { runScript, useTemporaryDirectory } from '../support/process.ts';
import { contractExample, storedDelivery } from '../support/receiver.ts';

for (const backend of inboxBackends)
  describe(`the replay and inbox commands on ${backend.name}`, function () {
    this.timeout(20_000);
    const temporaryDirectory = useTemporaryDirectory('ada-commands-');
    let store: TestInbox;
    let inbox: Inbox;

    beforeEach(async () => {
      store = await backend.create();
      inbox = store.inbox;
      await inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg_dead'));
      await inbox.claim({ owner: 'test', limit: 1, leaseMs: 1000 });
      await inbox.settle('test', [{ id: 'msg_dead', outcome: 'dead', error: 'Error: the internal API is down' }]);
      const invalid = contractExample('ConversationMessageLink');
      invalid['data'].channel.modality = 'fax';
      await inbox.quarantine(storedDelivery(invalid, 'msg_quarantined'), [{ pointer: '/data/channel/modality', message: 'old message' }]);
    });
    afterEach(() => store.destroy());

    const run = (script: string, ...args: string[]) => runScript(script, args, temporaryDirectory(), store.env);

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
      const unknownState = await run('replay', '--state', 'done');
      expect(unknownState.code).to.equal(2);
      expect(unknownState.stderr).to.equal('--state must be one of dead, quarantined.\nSee: npm run replay -- --help\n');
      const missing = await run('replay', '--id', 'msg_nowhere');
      expect(missing).to.include({ code: 1, stderr: 'No delivery with id msg_nowhere.\n' });
    });

    it('inbox stats and list --state read the same file', async () => {
      const stats = await run('inbox', 'stats', '--json');
      expect(JSON.parse(stats.stdout)).to.deep.equal({ pending: 0, quarantined: 1, done: 0, dead: 1 });
      const list = await run('inbox', 'list', '--state', 'quarantined', '--json');
      expect(JSON.parse(list.stdout)).to.have.length(1).and.to.have.nested.property('[0].id', 'msg_quarantined');
    });
  });
