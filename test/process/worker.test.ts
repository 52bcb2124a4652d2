// Dispatcher processes that crash or are stopped while handlers run, over a real SQLite file.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { eventually } from '../support/eventually.ts';
import { childEnvironment, useTemporaryDirectory } from '../support/process.ts';
import { contractExample, storedDelivery } from '../support/receiver.ts';

const workerPath = new URL('scenarios/worker.ts', import.meta.url).pathname;

describe('a dispatcher process', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-worker-');
  let databasePath: string;
  let journalPath: string;
  beforeEach(() => {
    databasePath = join(temporaryDirectory(), 'inbox.sqlite');
    journalPath = join(temporaryDirectory(), 'journal.txt');
  });

  const journal = () => (existsSync(journalPath) ? readFileSync(journalPath, 'utf8').split('\n').filter(Boolean) : []);
  const rows = () => {
    const db = new DatabaseSync(databasePath, { readOnly: true });
    const result = db
      .prepare(
        `SELECT id, state, attempts, lease_owner FROM deliveries LEFT JOIN lanes ON leased_id = id AND status = 'leased' ORDER BY id`,
      )
      .all();
    db.close();
    return result as { id: string; state: string; attempts: number; lease_owner: string | null }[];
  };
  async function seed(count: number) {
    const inbox = new SqliteInbox(databasePath);
    for (let index = 0; index < count; index += 1) {
      const event = contractExample('ConversationCreated');
      event['data'].conversation_id = `conversation-${index}`;
      await inbox.accept(storedDelivery(event, `msg_${String(index).padStart(2, '0')}`));
    }
    await inbox.close();
  }
  function startWorker(handler: string) {
    const child = spawn(process.execPath, [workerPath], {
      env: childEnvironment({
        DATABASE_URL: `sqlite:${databasePath}`,
        WORKER_HANDLER: handler,
        WORKER_JOURNAL: journalPath,
        DISPATCHER: 'only',
        PORT: '0',
        SHUTDOWN_GRACE_SECONDS: '5',
        HANDLER_TIMEOUT_SECONDS: '1',
        DISPATCHER_POLL_MS: '20',
        DISPATCHER_CONCURRENCY: '4',
        LOG_LEVEL: 'silent',
      }),
      stdio: 'ignore',
    });
    const exit = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
    return { child, exit };
  }

  it('killed in the middle of a handler: the delivery is handled again after restart, done once, no lease left', async () => {
    await seed(1);
    const crashing = startWorker('hang');
    await eventually(() => journal().includes('hang start msg_00'));
    crashing.child.kill('SIGKILL');
    expect(await crashing.exit).to.deep.equal({ code: null, signal: 'SIGKILL' });
    expect(rows()[0]).to.include({ state: 'pending', attempts: 1 }).and.to.have.property('lease_owner').that.is.a('string');

    // The lease (twice the 1 s timeout) runs out; a new process claims the delivery again.
    const restarted = startWorker('record');
    await eventually(() => rows()[0]!.state === 'done', 10_000);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exit).to.deep.equal({ code: 0, signal: null });

    expect(journal()).to.deep.equal(['hang start msg_00', 'record start msg_00', 'record done msg_00']);
    expect(rows()).to.deep.equal([{ id: 'msg_00', state: 'done', attempts: 2, lease_owner: null }]);
  });

  it('stopped with SIGTERM while handlers run: they finish, nothing stays claimed, exit 0', async () => {
    await seed(12);
    const worker = startWorker('slow');
    await eventually(() => journal().some((line) => line.startsWith('slow start')));
    worker.child.kill('SIGTERM');
    expect(await worker.exit).to.deep.equal({ code: 0, signal: null });

    const started = journal()
      .filter((line) => line.startsWith('slow start'))
      .map((line) => line.split(' ')[2]);
    const finished = journal()
      .filter((line) => line.startsWith('slow done'))
      .map((line) => line.split(' ')[2]);
    expect(finished).to.have.members(started);
    expect(started.length).to.be.within(1, 11);
    for (const row of rows()) {
      expect(row.lease_owner, row.id).to.equal(null);
      expect(row.state, row.id).to.equal(finished.includes(row.id) ? 'done' : 'pending');
    }
  });
});
