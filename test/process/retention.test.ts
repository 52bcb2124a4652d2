// INBOX_RETENTION on a running receiver, on each backend: done deliveries older than it go, and
// everything still to be acted on stays.
import { expect } from 'chai';
import { eventually } from '../support/eventually.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';
import { mainPath, run, startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, storedDelivery, testSecret } from '../support/receiver.ts';

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

    it('purges done deliveries once they are older than it, and keeps younger ones, pending, dead and quarantined ones', async () => {
      const { inbox } = store;
      const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
      const stored = (name: string, id: string, receivedAt: Date) => ({ ...storedDelivery(contractExample(name), id), receivedAt });
      const old = ['msg_old_1', 'msg_old_2', 'msg_old_3'];
      for (const [index, id] of [...old, 'msg_recent'].entries()) {
        const delivery = stored('ConversationCreated', id, hoursAgo(id === 'msg_recent' ? 27 : 29));
        (delivery.event as { data: { conversation_id: string } }).data.conversation_id = `retained_${index}`;
        await inbox.accept(delivery);
      }
      await inbox.accept(stored('ConversationEndedByEndUser', 'msg_dead', hoursAgo(29)));
      const claimed = await inbox.claim({ owner: 'test', limit: 10, leaseMs: 60_000 });
      expect(claimed).to.have.length(5);
      await inbox.settle('test', [
        ...[...old, 'msg_recent'].map((id) => ({ id, outcome: 'done' as const })),
        { id: 'msg_dead', outcome: 'dead', error: 'Error: gone' },
      ]);
      await inbox.quarantine({ ...storedDelivery({ type: 'v1.conversation.created' }, 'msg_quarantined'), receivedAt: hoursAgo(29) }, []);
      expect(await inbox.countByState()).to.deep.include({ done: 4 });

      receiver = await startReceiverProcess(temporaryDirectory(), { ...store.env, ADA_WEBHOOK_SECRET: testSecret, INBOX_RETENTION: '28h' });
      await eventually(async () => (await inbox.countByState()).done === 1, 10_000);
      expect(await inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 1, done: 1, dead: 1, discarded: 0 });
      for (const id of old) expect(await inbox.get(id)).to.equal(undefined);
      expect(await inbox.get('msg_recent')).to.deep.include({ state: 'done' });
      // Each round that purged something says how many: three in all (the lines may trail the commits).
      const purgedInLogs = () =>
        receiver!
          .logs()
          .filter((line) => /^purged \d+ done deliveries received before \S+Z$/.test(String(line['msg'])))
          .reduce((sum, line) => sum + (line['purged'] as number), 0);
      await eventually(() => purgedInLogs() === 3);
    });

    it('refuses a retention shorter than Svix retries a delivery, which would let a late retry run again', async () => {
      const { code, stderr } = await run(mainPath, [], temporaryDirectory(), { ...store.env, INBOX_RETENTION: '90m' });
      expect(code).to.equal(1);
      expect(stderr).to.include(
        'INBOX_RETENTION must be at least 28h: Svix retries a delivery for up to 27 h 35 min after its first attempt, and a retry of a done delivery that was purged would be stored and handled again, got "90m". Example: INBOX_RETENTION=30d',
      );
    });

    it('refuses a retention it cannot read, naming the variable', async () => {
      const { code, stderr } = await run(mainPath, [], temporaryDirectory(), { ...store.env, INBOX_RETENTION: '30 days' });
      expect(code).to.equal(1);
      expect(stderr).to.include(
        'INBOX_RETENTION must be a duration of at least 1 second, a whole number with a unit: s, m, h or d (days), got "30 days". Example: INBOX_RETENTION=30d',
      );
    });
  });
