// The inbox backends that the conformance suite runs against, each creating a fresh, empty store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { PostgresInbox } from '../../src/inbox/postgres/inbox.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { temporarySchema, testDatabaseUrl } from './postgres.ts';

export interface TestInbox {
  inbox: Inbox;
  /** The environment that points a receiver or a command at the same store. */
  env: Record<string, string>;
  /** Closes the inbox and removes everything it stored. */
  destroy(): Promise<void>;
}

export interface InboxBackend {
  name: string;
  create(): Promise<TestInbox>;
}

const sqlite: InboxBackend = {
  name: 'SQLite',
  async create() {
    const directory = mkdtempSync(join(tmpdir(), 'ada-inbox-'));
    const path = join(directory, 'inbox.sqlite');
    const inbox = new SqliteInbox(path, { busyTimeoutMs: 50 });
    return {
      inbox,
      env: { DATABASE_URL: `sqlite:${path}` },
      async destroy() {
        await inbox.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
};

const postgres: InboxBackend = {
  name: 'PostgreSQL',
  async create() {
    const { schema, drop } = await temporarySchema();
    const inbox = await PostgresInbox.open({
      connectionString: testDatabaseUrl,
      schema,
      poolSize: 4,
      connectTimeoutMs: 3000,
      queryTimeoutMs: 10_000,
    });
    return {
      inbox,
      env: { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: schema },
      async destroy() {
        await inbox.close();
        await drop();
      },
    };
  },
};

export const inboxBackends: InboxBackend[] = [sqlite, postgres];
