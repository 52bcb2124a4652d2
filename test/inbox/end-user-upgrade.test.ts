// An inbox written before erasure existed (schema 11 on both backends) learns, when it is opened,
// which end user each delivery it holds names, so that those can be erased too.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { readMigrations } from '../../src/inbox/migrations.ts';
import { PostgresInbox } from '../../src/inbox/postgres/inbox.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { onTestDatabase, temporarySchema, testDatabaseUrl } from '../support/postgres.ts';
import { selected } from '../support/inbox-backends.ts';

const beforeErasure = 11;
const longId = 'u'.repeat(600);
/** Deliveries as schema 11 kept them: [id, body]. */
const stored: [string, string][] = [
  ['message', JSON.stringify({ type: 'v1.conversation.message', data: { conversation_id: 'c1', end_user_id: 'ana' } })],
  ['profile', JSON.stringify({ type: 'v1.end_user.updated', data: { end_user_id: 'bo' } })],
  ['audit', JSON.stringify({ type: 'v1.audit_log.emitted', data: { actor: 'someone' } })],
  ['number', JSON.stringify({ type: 'v1.end_user.created', data: { end_user_id: 7 } })],
  ['long', JSON.stringify({ type: 'v1.end_user.created', data: { end_user_id: longId } })],
  ['surrogate', '{"type":"v1.end_user.created","data":{"end_user_id":"\\ud800"}}'],
];
const expected = { message: 'ana', profile: 'bo', audit: null, number: null, long: null };

async function expectEndUsers(inbox: Inbox): Promise<void> {
  for (const [id, endUserId] of Object.entries(expected)) expect((await inbox.get(id))?.endUserId, id).to.equal(endUserId);
  expect(await inbox.erase('ana', new Date())).to.equal(1);
  expect((await inbox.get('message'))?.body).to.equal('');
}

const migrationsOf = (backend: 'sqlite' | 'postgres') =>
  readMigrations(new URL(`../../src/inbox/${backend}/migrations/`, import.meta.url)).slice(0, beforeErasure);

describe('an inbox written before erasure, opened by this version', () => {
  if (selected('SQLite').length > 0) {
    it('on SQLite, names the end user of every delivery whose body names one as a lane keeps it', async () => {
      const directory = mkdtempSync(join(tmpdir(), 'ada-upgrade-'));
      const path = join(directory, 'inbox.sqlite');
      const db = new DatabaseSync(path);
      for (const migration of migrationsOf('sqlite')) db.exec(migration);
      db.exec(`PRAGMA user_version = ${beforeErasure}`);
      for (const [id, body] of stored) {
        db.prepare(
          `INSERT INTO deliveries (id, state, event_type, received_at, lane, event_time) VALUES (?, 'done', 'x', '2026-11-24T09:00:00.000Z', ?, 0)`,
        ).run(id, `delivery:${id}`);
        db.prepare(`INSERT INTO delivery_payloads (id, headers, body) VALUES (?, '{}', ?)`).run(id, body);
      }
      db.close();
      const inbox = new SqliteInbox(path);
      try {
        await expectEndUsers(inbox);
      } finally {
        await inbox.close();
        rmSync(directory, { recursive: true, force: true });
      }
    });
  }

  if (selected('PostgreSQL').length > 0) {
    it('on PostgreSQL, names the end user of every delivery whose body names one, a body jsonb cannot read included', async () => {
      const { schema, drop } = await temporarySchema();
      await onTestDatabase(async (client) => {
        await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.schema_version (version integer NOT NULL)`);
        for (const migration of migrationsOf('postgres')) await client.query(migration.replaceAll('{schema}', schema));
        await client.query(`INSERT INTO ${schema}.schema_version (version) VALUES (${beforeErasure})`);
        for (const [id, body] of stored) {
          await client.query(
            `INSERT INTO ${schema}.deliveries (id, state, event_type, received_at, headers, body, lane, event_time)
             VALUES ($1, 'done', 'x', now(), '{}', $2, $3, 0)`,
            [id, body, `delivery:${id}`],
          );
        }
      });
      const inbox = await PostgresInbox.open({
        connectionString: testDatabaseUrl,
        schema,
        poolSize: 2,
        connectTimeoutMs: 5000,
        queryTimeoutMs: 10_000,
      });
      try {
        await expectEndUsers(inbox);
        expect((await inbox.get('surrogate'))?.endUserId).to.equal(null);
      } finally {
        await inbox.close();
        await drop();
      }
    });
  }
});
