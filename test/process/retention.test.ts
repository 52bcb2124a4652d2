// INBOX_RETENTION on a running receiver, on each backend: done deliveries older than it go (30
// days unless told, none with forever), everything still to be acted on stays, and the receiver
// says at start what it is about to purge.
import { expect } from 'chai';
import { eventually } from '../support/eventually.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';
import { mainPath, run, startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, deliver, seedDoneDeliveries, storedDelivery, testSecret } from '../support/receiver.ts';

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
const daysAgo = (days: number) => hoursAgo(24 * days);

/** The start-up line of a retention that purges: its count, and the time it counts before. */
const purgeLine =
  /^retention: done deliveries received more than (.+) ago are purged \((\S+) now, received before (\S+Z)\)(; set INBOX_RETENTION=forever to keep every delivery)?$/;

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
      receiver = undefined;
      await store.destroy();
    });

    async function seedDone(receivedAt: Record<string, Date>) {
      await seedDoneDeliveries(store.inbox, receivedAt);
      expect(await store.inbox.countByState()).to.deep.include({ pending: 0, done: Object.keys(receivedAt).length });
    }

    const startupLine = (process: ReceiverProcess) => process.logs().find((line) => String(line['msg']).startsWith('retention: '));
    /** How many deliveries the lines of purge rounds say were purged (the lines may trail the commits). */
    const purgedInLogs = (process: ReceiverProcess) =>
      process
        .logs()
        .filter((line) => /^purged \d+ done deliveries received before \S+Z$/.test(String(line['msg'])))
        .reduce((sum, line) => sum + (line['purged'] as number), 0);

    it('purges done deliveries once they are older than it, and keeps younger ones, pending, dead and quarantined ones', async () => {
      const { inbox } = store;
      const old = ['msg_old_1', 'msg_old_2', 'msg_old_3'];
      await seedDone({ ...Object.fromEntries(old.map((id) => [id, hoursAgo(29)])), msg_recent: hoursAgo(27) });
      await inbox.accept({ ...storedDelivery(contractExample('ConversationEndedByEndUser'), 'msg_dead'), receivedAt: hoursAgo(29) });
      await inbox.claim({ owner: 'test', limit: 10, leaseMs: 60_000 });
      await inbox.settle('test', [{ id: 'msg_dead', outcome: 'dead', error: 'Error: gone' }]);
      await inbox.quarantine({ ...storedDelivery({ type: 'v1.conversation.created' }, 'msg_quarantined'), receivedAt: hoursAgo(29) }, []);

      receiver = await startReceiverProcess(temporaryDirectory(), { ...store.env, ADA_WEBHOOK_SECRET: testSecret, INBOX_RETENTION: '28h' });
      await eventually(async () => (await inbox.countByState()).done === 1, 10_000);
      expect(await inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 1, done: 1, dead: 1, discarded: 0 });
      for (const id of old) expect(await inbox.get(id)).to.equal(undefined);
      expect(await inbox.get('msg_recent')).to.deep.include({ state: 'done' });
      await eventually(() => purgedInLogs(receiver!) === 3);
      // Said once, as an information: what was set is purged, with no advice to keep everything.
      const line = startupLine(receiver)!;
      expect(line).to.include({ level: 30, retentionMs: 28 * 3_600_000, due: 3 });
      const [, retention, due, receivedBefore, advice] = purgeLine.exec(String(line['msg']))!;
      expect([retention, due, advice]).to.deep.equal(['28 hours', '3', undefined]);
      expect(line['receivedBefore']).to.equal(receivedBefore);
    });

    it('purges done deliveries older than 30 days when none is set, and says first how many and how to keep every delivery', async () => {
      const { inbox } = store;
      await seedDone({ msg_last_year: daysAgo(365), msg_31_days: daysAgo(31), msg_29_days: daysAgo(29), msg_today: hoursAgo(1) });
      await inbox.accept({ ...storedDelivery(contractExample('ConversationEndedByEndUser'), 'msg_dead'), receivedAt: daysAgo(90) });
      await inbox.claim({ owner: 'test', limit: 10, leaseMs: 60_000 });
      await inbox.settle('test', [{ id: 'msg_dead', outcome: 'dead', error: 'Error: gone' }]);

      const startedAt = Date.now();
      receiver = await startReceiverProcess(temporaryDirectory(), { ...store.env, ADA_WEBHOOK_SECRET: testSecret });
      await eventually(async () => (await inbox.countByState()).done === 2, 10_000);
      expect(await inbox.countByState()).to.deep.include({ done: 2, dead: 1 });
      expect(await inbox.get('msg_last_year')).to.equal(undefined);
      expect(await inbox.get('msg_31_days')).to.equal(undefined);
      expect(await inbox.get('msg_29_days')).to.deep.include({ state: 'done' });
      await eventually(() => purgedInLogs(receiver!) === 2);
      // A warning, logged before the first purge: a purge that no setting asked for, and how to keep everything instead.
      const line = await eventually(() => startupLine(receiver!));
      const logs = receiver.logs();
      expect(logs.indexOf(line)).to.be.below(logs.findIndex((entry) => String(entry['msg']).startsWith('purged ')));
      expect(line).to.include({ level: 40, retentionMs: 30 * 86_400_000, due: 2 });
      const [, retention, due, receivedBefore, advice] = purgeLine.exec(String(line['msg']))!;
      expect([retention, due, advice]).to.deep.equal(['30 days', '2', '; set INBOX_RETENTION=forever to keep every delivery']);
      expect(Date.parse(receivedBefore!)).to.be.within(startedAt - 30 * 86_400_000, Date.now() - 30 * 86_400_000);
    });

    it('says how many it will purge with thousands separated, counted before the first batch of 250', async () => {
      const received = Object.fromEntries(Array.from({ length: 1001 }, (_, index) => [`msg_old_${index}`, daysAgo(40)]));
      await seedDone(received);
      receiver = await startReceiverProcess(temporaryDirectory(), { ...store.env, ADA_WEBHOOK_SECRET: testSecret });
      const line = await eventually(() => startupLine(receiver!));
      expect(line).to.include({ due: 1001 });
      expect(purgeLine.exec(String(line['msg']))![2]).to.equal('1,001');
    });

    it('purges nothing with forever, and says that every delivery is kept', async () => {
      const { inbox } = store;
      await seedDone({ msg_last_year: daysAgo(365), msg_31_days: daysAgo(31) });
      receiver = await startReceiverProcess(temporaryDirectory(), {
        ...store.env,
        ADA_WEBHOOK_SECRET: testSecret,
        INBOX_RETENTION: 'forever',
      });
      const line = await eventually(() => startupLine(receiver!));
      expect(line).to.include({ level: 30, msg: 'retention: every delivery is kept (INBOX_RETENTION=forever)' });
      // A delivery handled since, then a stop: the dispatcher has run, and any purge at start with it.
      const sent = await deliver(receiver.url, contractExample('ConversationCreated'));
      expect(sent.status).to.equal(200);
      await eventually(async () => (await inbox.get(sent.id))?.state === 'done', 10_000);
      receiver.child.kill('SIGTERM');
      expect(await receiver.exit).to.deep.equal({ code: 0, signal: null });
      expect(await inbox.countByState()).to.deep.include({ done: 3 });
      expect(receiver.logs().filter((entry) => /purge/.test(String(entry['msg'])))).to.deep.equal([]);
    });

    it('refuses a misspelt forever, naming forever, rather than purge what was meant to be kept', async () => {
      const { code, stderr } = await run(mainPath, [], temporaryDirectory(), { ...store.env, INBOX_RETENTION: 'forevr' });
      expect(code).to.equal(1);
      expect(stderr).to.include(
        'INBOX_RETENTION must be forever, or a duration of at least 28h: a whole number with a unit, s, m, h or d (days), got "forevr". Example: INBOX_RETENTION=forever',
      );
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
        'INBOX_RETENTION must be forever, or a duration of at least 28h: a whole number with a unit, s, m, h or d (days), got "30 days". Example: INBOX_RETENTION=30d',
      );
    });
  });
