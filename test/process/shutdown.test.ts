// SIGTERM and SIGINT while deliveries are in flight: the process stops accepting, finishes what it
// has, closes the inbox and exits 0; every delivery it acknowledged is in the inbox.
import { expect } from 'chai';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { contractExample, deliver, testSecret } from '../support/receiver.ts';
import { eventually } from '../support/eventually.ts';
import { run, startReceiverProcess, useTemporaryDirectory } from '../support/process.ts';

describe('stopping the receiver', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-shutdown-');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} during deliveries loses no acknowledged delivery and exits 0`, async () => {
      const directory = temporaryDirectory();
      const databasePath = join(directory, 'inbox.sqlite');
      const receiver = await startReceiverProcess(directory, { ADA_WEBHOOK_SECRET: testSecret, DATABASE_URL: `sqlite:${databasePath}` });
      const acknowledged: string[] = [];
      let refused = 0;
      let signalled = false;
      const event = contractExample('ConversationMessageText');

      // 20 senders in parallel; the signal arrives while requests are in flight.
      const sender = async () => {
        for (let attempt = 0; attempt < 40; attempt += 1) {
          try {
            const answer = await deliver(receiver.url, event);
            if (answer.status === 200) acknowledged.push(answer.id);
            if (acknowledged.length === 100 && !signalled) {
              signalled = true;
              receiver.child.kill(signal);
            }
          } catch {
            refused += 1; // connection refused or closed: not acknowledged, Svix would retry
          }
        }
      };
      await Promise.all(Array.from({ length: 20 }, sender));

      expect(await receiver.exit).to.deep.equal({ code: 0, signal: null });
      expect(signalled).to.equal(true);
      expect(refused, 'the receiver stopped accepting').to.be.greaterThan(0);

      const db = new DatabaseSync(databasePath, { readOnly: true });
      const rows = db.prepare('SELECT id FROM deliveries').all() as { id: string }[];
      db.close();
      const storedIds = new Set(rows.map((row) => row.id));
      expect(
        acknowledged.filter((id) => !storedIds.has(id)),
        'acknowledged but not stored',
      ).to.deep.equal([]);
      expect(acknowledged.length).to.be.at.least(100);
    });
  }

  it('exits after the grace period even when a handler ignores its abort signal, releasing its delivery', async () => {
    const directory = temporaryDirectory();
    const databasePath = join(directory, 'inbox.sqlite');
    const scenario = new URL('scenarios/stubborn-handler.ts', import.meta.url).pathname;
    const receiver = await startReceiverProcess(
      directory,
      { ADA_WEBHOOK_SECRET: testSecret, DATABASE_URL: `sqlite:${databasePath}`, SHUTDOWN_GRACE_SECONDS: '1' },
      scenario,
    );
    const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
    await eventually(() => receiver.logs().some(({ msg, deliveryId }) => msg === 'handler started' && deliveryId === id), 10_000);

    receiver.child.kill('SIGTERM');
    expect(await receiver.exit).to.deep.equal({ code: 0, signal: null });
    const released = receiver.logs().find(({ msg }) => String(msg).startsWith('handlers still running after the grace period'));
    expect(released).to.deep.include({ released: [id], graceMs: 1000 });
    expect(receiver.logs().at(-1)).to.include({ msg: 'stopped' });

    const db = new DatabaseSync(databasePath, { readOnly: true });
    const row = db.prepare('SELECT state, attempts FROM deliveries WHERE id = ?').get(id);
    db.close();
    expect(row, 'given back, not counted as an attempt').to.deep.include({ state: 'pending', attempts: 0 });
  });

  it('lets a host app end once it closed the receiver, though a handler still runs and ignores its signal', async () => {
    const scenario = new URL('scenarios/library-close.ts', import.meta.url).pathname;
    const { code, stdout, stderr } = await run(scenario, [], temporaryDirectory(), { INBOX: join(temporaryDirectory(), 'inbox.sqlite') });
    expect(code, stderr).to.equal(0);
    expect(stdout.split('\n').at(-2)).to.equal('closed');
  });
});
