// What is particular to the SQLite inbox: its file, durability settings, schema versions and group
// commit. The store's rules are in test/inbox/conformance.test.ts.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewDelivery } from '../../src/inbox/inbox.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';

const delivery = (id: string): NewDelivery => {
  const event = { type: 'v1.conversation.created', timestamp: '2026-11-24T09:00:00.000Z', data: { conversation_id: id } };
  return { id, receivedAt: new Date('2026-11-24T09:00:01Z'), headers: { 'svix-id': id }, body: JSON.stringify(event), event };
};

const schemaVersion2 = readFileSync(new URL('../fixtures/inbox-schema-2.sql', import.meta.url), 'utf8');

describe('the SQLite inbox', () => {
  let directory: string;
  let path: string;
  let inbox: SqliteInbox;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'ada-inbox-'));
    path = join(directory, 'nested', 'inbox.sqlite');
    inbox = new SqliteInbox(path, { busyTimeoutMs: 50 });
  });
  afterEach(async () => {
    await inbox.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const claimIds = async (owner: string, now = new Date()) =>
    (await inbox.claim({ owner, limit: 10, leaseMs: 60_000, now })).map(({ id }) => id);

  it('creates its folder and schema, and keeps rows across reopening', async () => {
    expect(await inbox.accept(delivery('msg_1'))).to.equal('stored');
    await inbox.close();
    inbox = new SqliteInbox(path);
    expect(await inbox.get('msg_1')).to.deep.include({ id: 'msg_1', state: 'pending', lane: 'conversation:msg_1' });
  });

  it('commits durably: the connection that commits runs in WAL mode with synchronous=FULL', async () => {
    // synchronous is a setting of each connection: it is read on the writer thread's own.
    expect(await inbox.durability()).to.deep.equal({ journalMode: 'wal', synchronous: 'full' });
  });

  it("leaves nothing of an erased end user's deliveries in the database file or its log", async () => {
    const words = 'Jeanne asks where her parcel went';
    // Long enough to take pages of its own, which the erasure frees.
    const note = `${words}. `.repeat(600);
    const event = { type: 'v1.end_user.updated', timestamp: '2026-11-24T09:00:00.000Z', data: { end_user_id: 'jeanne', note } };
    const body = JSON.stringify(event);
    const onDisk = () => ['', '-wal'].map((suffix) => readFileSync(`${path}${suffix}`).includes(words)).some(Boolean);
    await inbox.accept({ id: 'msg_jeanne', receivedAt: new Date(), headers: { 'svix-id': 'msg_jeanne' }, body, event });
    expect(onDisk()).to.equal(true);
    expect(await inbox.erase('jeanne', new Date())).to.equal(1);
    expect(onDisk()).to.equal(false);
  });

  it('reads the others of a lane when what is stored of one delivery is not JSON any more', async () => {
    for (const id of ['msg_a', 'msg_b']) await inbox.accept(delivery(id));
    const db = new DatabaseSync(path);
    db.prepare(`UPDATE delivery_payloads SET headers = 'not json' WHERE id = 'msg_a'`).run();
    db.prepare(`UPDATE deliveries SET lane = 'conversation:shared', violations = '{' WHERE id IN ('msg_a', 'msg_b')`).run();
    db.close();
    expect(await inbox.get('msg_a')).to.deep.include({
      headers: {},
      violations: [],
      unreadable: 'its headers are not JSON: what the store holds of them was altered',
    });
    expect((await inbox.laneQueue('conversation:shared', 10)).map(({ id, unreadable }) => [id, unreadable !== null])).to.deep.equal([
      ['msg_a', true],
      ['msg_b', false],
    ]);
    expect((await inbox.list({ limit: 10 })).map(({ id }) => id).sort()).to.deep.equal(['msg_a', 'msg_b']);
  });

  it('refuses a database written by a newer version', async () => {
    await inbox.close();
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => new SqliteInbox(path)).to.throw('The inbox has schema version 99; this version of ada-webhooks knows 12.');
    inbox = new SqliteInbox(join(directory, 'other.sqlite'));
  });

  it('migrates an inbox of schema version 2 into lanes: nothing lost, order and leases kept', async () => {
    await inbox.close();
    const oldPath = join(directory, 'version-2.sqlite');
    const db = new DatabaseSync(oldPath);
    db.exec(schemaVersion2);
    const before = db.prepare('SELECT id, state, attempts, violations, last_error, body FROM deliveries ORDER BY id').all();
    db.close();
    inbox = new SqliteInbox(oldPath);

    const after = await inbox.list({ limit: 100 });
    expect(
      after
        .map(({ id, state, attempts, violations, lastError, body }) => ({ id, state, attempts, violations, last_error: lastError, body }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    ).to.deep.equal(before.map((row) => ({ ...row, violations: row['violations'] ? JSON.parse(row['violations'] as string) : [] })));
    expect(await inbox.get('audit1')).to.deep.include({ lane: 'delivery:audit1' });
    expect(await inbox.countByState()).to.deep.equal({ pending: 10, quarantined: 1, done: 2, dead: 1, discarded: 0 });

    // a1 stays leased by the worker that ran it, b1 waits for its retry, d1's lease had run out.
    const claimed = await inbox.claim({ owner: 'new-worker', limit: 10, leaseMs: 60_000 });
    expect(claimed.map(({ id, attempt }) => ({ id, attempt }))).to.deep.equal([
      { id: 'c3', attempt: 1 },
      { id: 'audit1', attempt: 1 },
      { id: 'd1', attempt: 2 },
    ]);
    await inbox.settle(
      'new-worker',
      claimed.map(({ id }) => ({ id, outcome: 'done' as const })),
    );
    await inbox.settle('running-worker', [{ id: 'a1', outcome: 'done' }]);
    const handled: string[] = [];
    for (let next = await claimIds('new-worker'); next.length > 0; next = await claimIds('new-worker')) {
      handled.push(...next);
      await inbox.settle(
        'new-worker',
        next.map((id) => ({ id, outcome: 'done' as const })),
      );
    }
    // a0 arrived late but is older than a2 and a3; d2 follows d1.
    expect(handled).to.deep.equal(['a0', 'd2', 'a2', 'a3']);
    expect(await claimIds('new-worker', new Date('2100-01-01T00:00:00Z'))).to.deep.equal(['b1']);
  });

  it('migrates an inbox of schema version 1', async () => {
    await inbox.close();
    const oldPath = join(directory, 'version-1.sqlite');
    const db = new DatabaseSync(oldPath);
    db.exec(schemaVersion2);
    db.exec(`DROP INDEX pending_in_event_order; DROP INDEX pending_leased_by_ordering_key;
             CREATE INDEX pending_by_due_time ON deliveries (next_attempt_at) WHERE state = 'pending';
             PRAGMA user_version = 1;`);
    db.close();
    inbox = new SqliteInbox(oldPath);
    expect(await inbox.countByState()).to.deep.equal({ pending: 10, quarantined: 1, done: 2, dead: 1, discarded: 0 });
    expect(await claimIds('new-worker')).to.deep.equal(['c3', 'audit1', 'd1']);
  });

  it('keeps a delivery whose lease at intake fails stored and unleased, its lane ready for the next claim', async () => {
    const handed: (string | undefined)[] = [];
    inbox.leaseAtIntake({ owner: 'dispatcher-a', leaseMs: 60_000, reserve: () => true, leased: (claimed) => handed.push(claimed?.id) });
    const db = new DatabaseSync(path);
    db.exec(`CREATE TRIGGER refuse_attempt BEFORE UPDATE OF attempts ON deliveries WHEN NEW.id = 'unlucky'
             BEGIN SELECT RAISE(ABORT, 'attempts of unlucky refused by the test'); END`);
    db.close();

    const outcomes = await Promise.all([inbox.accept(delivery('unlucky')), inbox.accept(delivery('lucky'))]);
    expect(outcomes).to.deep.equal(['stored', 'stored']);
    expect(handed).to.have.members(['lucky', undefined]);
    expect(await inbox.get('unlucky')).to.deep.include({ state: 'pending', attempts: 0 });
    expect(await inbox.lane('conversation:unlucky')).to.deep.include({ headId: 'unlucky', status: 'ready' });
    expect(await inbox.lane('conversation:lucky')).to.deep.include({ headId: 'lucky', status: 'leased' });
  });

  it("fails every write of a commit whose transaction a write rolled back, with that write's error", async () => {
    const db = new DatabaseSync(path);
    db.exec(`CREATE TRIGGER roll_back BEFORE INSERT ON deliveries WHEN NEW.id = 'doomed'
             BEGIN SELECT RAISE(ROLLBACK, 'the test rolls back the transaction of doomed'); END`);
    const outcomes = await Promise.allSettled([inbox.accept(delivery('doomed')), inbox.accept(delivery('bystander'))]);
    expect(outcomes.map((outcome) => outcome.status === 'rejected' && (outcome.reason as Error).message)).to.deep.equal([
      'the test rolls back the transaction of doomed',
      'the test rolls back the transaction of doomed',
    ]);
    expect(await inbox.get('bystander')).to.equal(undefined);
    db.exec('DROP TRIGGER roll_back');
    db.close();
    expect(await inbox.accept(delivery('bystander'))).to.equal('stored');
  });

  it('commits concurrent writes together, and answers each only after the commit', async () => {
    const outcomes = await Promise.all([inbox.accept(delivery('msg_a')), inbox.accept(delivery('msg_b')), inbox.accept(delivery('msg_a'))]);
    expect(outcomes).to.deep.equal(['stored', 'stored', 'duplicate']);

    const locker = new DatabaseSync(path);
    locker.exec('BEGIN IMMEDIATE');
    const locked = await Promise.allSettled([inbox.accept(delivery('msg_c')), inbox.quarantine(delivery('msg_d'), [])]);
    locker.exec('ROLLBACK');
    locker.close();
    expect(locked.map((result) => result.status)).to.deep.equal(['rejected', 'rejected']);
    expect(await inbox.get('msg_c')).to.equal(undefined);
    expect(await inbox.accept(delivery('msg_c'))).to.equal('stored');
    expect(await inbox.countByState()).to.deep.include({ pending: 3, quarantined: 0 });
  });
});
