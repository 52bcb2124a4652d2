import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewDelivery } from '../../src/inbox/inbox.ts';
import { SqliteInbox } from '../../src/inbox/sqlite.ts';

const delivery = (id: string, receivedAt = new Date('2026-11-24T09:00:00Z')): NewDelivery => ({
  id,
  eventType: 'v1.conversation.created',
  receivedAt,
  headers: { 'svix-id': id },
  body: `{"type":"v1.conversation.created","id":"${id}"}`,
  orderingKey: null,
  eventTime: receivedAt.getTime(),
});

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

  it('creates its folder and schema, and keeps rows across reopening', async () => {
    expect(await inbox.accept(delivery('msg_1'))).to.equal('stored');
    await inbox.close();
    inbox = new SqliteInbox(path);
    expect(await inbox.get('msg_1')).to.deep.equal({ ...delivery('msg_1'), state: 'pending', violations: [], attempts: 0, lastError: null });
  });

  it('writes durably: WAL journal with synchronous=FULL', () => {
    const db = new DatabaseSync(path, { readOnly: true });
    expect(db.prepare('PRAGMA journal_mode').get()).to.deep.equal({ journal_mode: 'wal' });
    db.close();
  });

  it('refuses a database written by a newer version', async () => {
    await inbox.close();
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => new SqliteInbox(path)).to.throw('The inbox has schema version 99; this version of ada-webhooks knows 2.');
    inbox = new SqliteInbox(join(directory, 'other.sqlite'));
  });

  it('migrates an inbox of schema version 1, keeping its rows', async () => {
    expect(await inbox.accept(delivery('msg_from_v1'))).to.equal('stored');
    await inbox.close();
    const db = new DatabaseSync(path);
    db.exec(`DROP INDEX pending_in_event_order; DROP INDEX pending_leased_by_ordering_key;
             CREATE INDEX pending_by_due_time ON deliveries (next_attempt_at) WHERE state = 'pending';
             PRAGMA user_version = 1;`);
    db.close();

    inbox = new SqliteInbox(path);
    const reopened = new DatabaseSync(path, { readOnly: true });
    const indexes = reopened.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'pending%' ORDER BY name`).all();
    expect(reopened.prepare('PRAGMA user_version').get()).to.deep.equal({ user_version: 2 });
    reopened.close();
    expect(indexes.map(({ name }) => name)).to.deep.equal(['pending_by_ordering_key', 'pending_in_event_order', 'pending_leased_by_ordering_key']);
    expect((await inbox.claim({ owner: 'test', limit: 10, leaseMs: 1000 })).map(({ id }) => id)).to.deep.equal(['msg_from_v1']);
  });

  it('stores a delivery id once', async () => {
    expect(await inbox.accept(delivery('msg_1'))).to.equal('stored');
    expect(await inbox.accept({ ...delivery('msg_1'), body: '{}' })).to.equal('duplicate');
    expect(await inbox.quarantine(delivery('msg_1'), [])).to.equal('duplicate');
    expect((await inbox.get('msg_1'))?.body).to.equal(delivery('msg_1').body);
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
  });

  it('claims the oldest event of each conversation, none of a conversation with one in flight', async () => {
    const event = (id: string, orderingKey: string | null, eventTime: number): NewDelivery => ({ ...delivery(id), orderingKey, eventTime });
    const claimIds = async () => (await inbox.claim({ owner: 'test', limit: 10, leaseMs: 60_000 })).map(({ id }) => id);
    await Promise.all([event('a2', 'conversation:a', 2), event('b1', 'conversation:b', 3), event('a1', 'conversation:a', 1), event('n', null, 0)].map((d) => inbox.accept(d)));
    expect(await claimIds()).to.deep.equal(['n', 'a1', 'b1']);

    // An older event of conversation a arrives late, while a1 is in flight: it waits for a1.
    await inbox.accept(event('a0', 'conversation:a', 0));
    expect(await claimIds()).to.deep.equal([]);
    await inbox.settle('test', [{ id: 'a1', outcome: 'done' }]);
    expect(await claimIds()).to.deep.equal(['a0']);
    await inbox.settle('test', [{ id: 'a0', outcome: 'done' }]);
    expect(await claimIds()).to.deep.equal(['a2']);
  });

  it('keeps violations with a quarantined delivery, and lets a valid one replace it', async () => {
    const violations = [{ pointer: '/data', message: 'is required' }];
    expect(await inbox.quarantine(delivery('msg_q'), violations)).to.equal('stored');
    expect(await inbox.get('msg_q')).to.deep.include({ state: 'quarantined', violations });
    expect(await inbox.accept(delivery('msg_q'))).to.equal('stored');
    expect(await inbox.get('msg_q')).to.deep.include({ state: 'pending', violations: [] });
  });

  it('lists newest first, by state, and counts every state', async () => {
    await inbox.accept(delivery('msg_old', new Date('2026-11-24T08:00:00Z')));
    await inbox.accept(delivery('msg_new', new Date('2026-11-24T10:00:00Z')));
    await inbox.quarantine(delivery('msg_bad'), []);
    expect((await inbox.list({ limit: 10 })).map((d) => d.id)).to.deep.equal(['msg_new', 'msg_bad', 'msg_old']);
    expect((await inbox.list({ state: 'pending', limit: 1 })).map((d) => d.id)).to.deep.equal(['msg_new']);
    expect(await inbox.countByState()).to.deep.equal({ pending: 2, quarantined: 1, done: 0, dead: 0 });
  });
});
