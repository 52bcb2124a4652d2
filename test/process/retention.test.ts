// INBOX_RETENTION on a running receiver, on each backend: done deliveries older than it go, and
// everything still to be acted on stays.
import { expect } from 'chai';
import { eventually } from '../support/eventually.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';
import { mainPath, run, startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, deliver, storedDelivery, testSecret } from '../support/receiver.ts';

for (const backend of inboxBackends)
  describe(`INBOX_RETENTION on ${backend.name}`, function () {
    this.timeout(30_000);
    const temporaryDirectory = useTemporaryDirectory('ada-retention-');
    let store: TestInbox;
    let receiver: ReceiverProcess | undefined;
    beforeEach(async () => {
      store = await backend.create();
    });
    afterEach(async () => {
      receiver?.child.kill('SIGTERM');
      await receiver?.exit;
      await store.destroy();
    });

    it('purges done deliveries once they are older than it, and keeps pending, dead and quarantined ones', async () => {
      const { inbox } = store;
      await inbox.accept(storedDelivery(contractExample('ConversationEndedByEndUser'), 'msg_dead'));
      await inbox.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
      await inbox.settle('test', [{ id: 'msg_dead', outcome: 'dead', error: 'Error: gone' }]);
      await inbox.quarantine(storedDelivery({ type: 'v1.conversation.created' }, 'msg_quarantined'), []);

      receiver = await startReceiverProcess(temporaryDirectory(), { ...store.env, ADA_WEBHOOK_SECRET: testSecret, INBOX_RETENTION: '2s' });
      const ids = [];
      for (let index = 0; index < 3; index += 1) {
        const event = contractExample('ConversationCreated');
        event['data'].conversation_id = `retained_${index}`;
        ids.push((await deliver(receiver.url, event)).id);
      }
      await eventually(async () => (await inbox.countByState()).done === 3, 10_000);
      await eventually(async () => (await inbox.countByState()).done === 0, 10_000);
      expect(await inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 1, done: 0, dead: 1, discarded: 0 });
      for (const id of ids) expect(await inbox.get(id)).to.equal(undefined);
      // Each round that purged something says how many: three in all (the lines may trail the commits).
      const purgedInLogs = () =>
        receiver!
          .logs()
          .filter((line) => /^purged \d+ done deliveries received before \S+Z$/.test(String(line['msg'])))
          .reduce((sum, line) => sum + (line['purged'] as number), 0);
      await eventually(() => purgedInLogs() === 3);
    });

    it('refuses a retention it cannot read, naming the variable', async () => {
      const { code, stderr } = await run(mainPath, [], temporaryDirectory(), { ...store.env, INBOX_RETENTION: '30 days' });
      expect(code).to.equal(1);
      expect(stderr).to.include(
        'INBOX_RETENTION must be a duration of at least 1 second, a whole number with a unit: s, m, h or d (days), got "30 days". Example: INBOX_RETENTION=30d',
      );
    });
  });
