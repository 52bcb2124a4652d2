// The library's retention, on every backend: createReceiver's logger is told at each start what
// the purge will do, in the option's own words, and inboxRetention: 'forever' purges nothing.
import { expect } from 'chai';
import { eventually } from '../support/eventually.ts';
import { inboxBackends } from '../support/inbox-backends.ts';
import { contractExample, deliver, seedDoneDeliveries, startReceiver, type TestReceiver } from '../support/receiver.ts';

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

for (const backend of inboxBackends)
  describe(`the library's retention (${backend.name})`, () => {
    let receiver: TestReceiver;
    afterEach(() => receiver.close());

    const retentionLines = () => receiver.logs.filter((line) => String(line['msg']).startsWith('retention: '));

    it('purges done deliveries older than 30 days by default, and warns first how many, naming the option that keeps them', async () => {
      receiver = await startReceiver({ backend });
      await seedDoneDeliveries(receiver.inbox, { msg_old_1: daysAgo(45), msg_old_2: daysAgo(31), msg_young: daysAgo(29) });
      receiver.receiver.start();
      const [line] = await eventually(() => retentionLines().length > 0 && retentionLines());
      expect(line).to.include({ level: 40, due: 2 });
      expect(line!['msg']).to.match(
        /^retention: done deliveries received more than 30 days ago are purged \(2 now, received before \S+Z\); set inboxRetention: "forever" to keep every delivery$/,
      );
      await eventually(async () => (await receiver.inbox.countByState()).done === 1);
      expect(await receiver.inbox.get('msg_young')).to.deep.include({ state: 'done' });

      // Each start says it again, with what is left to purge then.
      await receiver.receiver.stop();
      receiver.receiver.start();
      const [, again] = await eventually(() => retentionLines().length > 1 && retentionLines());
      expect(again).to.include({ level: 30, due: 0 });
    });

    it("purges nothing with inboxRetention: 'forever', and says so at start", async () => {
      receiver = await startReceiver({ backend, inboxRetention: 'forever' });
      await seedDoneDeliveries(receiver.inbox, { msg_old_1: daysAgo(400), msg_old_2: daysAgo(31) });
      receiver.receiver.start();
      expect(retentionLines().map(({ level, msg }) => ({ level, msg }))).to.deep.equal([
        { level: 30, msg: 'retention: every delivery is kept (inboxRetention: "forever")' },
      ]);
      // A delivery handled since, then a stop: the dispatcher has run, and any purge at start with it.
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
      await eventually(async () => (await receiver.inbox.get(id))?.state === 'done');
      await receiver.receiver.stop();
      expect(await receiver.inbox.countByState()).to.deep.include({ done: 3 });
    });
  });
