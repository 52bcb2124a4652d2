// The inbox backends that the conformance suite runs against, each creating a fresh, empty store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { PostgresInbox } from '../../src/inbox/postgres/inbox.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { onTestDatabase, temporarySchema, testDatabaseUrl } from './postgres.ts';

export interface TestInbox {
  inbox: Inbox;
  /** The environment that points a receiver or a command at the same store. */
  env: Record<string, string>;
  /** Makes every write fail, as a locked file or a refusing server would; resolves with what undoes it. */
  refuseWrites(): Promise<() => Promise<void>>;
  /** Closes the inbox and removes everything it stored. */
  destroy(): Promise<void>;
}

export interface InboxBackend {
  name: string;
  create(): Promise<TestInbox>;
}

/** A SQLite inbox in `directory`, which the caller owns and removes. */
export function sqliteInDirectory(directory: string): InboxBackend {
  return {
    name: 'SQLite',
    async create() {
      const path = join(directory, 'inbox.sqlite');
      const inbox = new SqliteInbox(path, { busyTimeoutMs: 50 });
      return {
        inbox,
        env: { DATABASE_URL: `sqlite:${path}` },
        async refuseWrites() {
          // Another connection holds the write lock for longer than the inbox waits for it.
          const locker = new DatabaseSync(path);
          locker.exec('BEGIN IMMEDIATE');
          return async () => {
            locker.exec('ROLLBACK');
            locker.close();
          };
        },
        destroy: () => inbox.close(),
      };
    },
  };
}

const sqlite: InboxBackend = {
  name: 'SQLite',
  async create() {
    const directory = mkdtempSync(join(tmpdir(), 'ada-inbox-'));
    const created = await sqliteInDirectory(directory).create();
    return {
      ...created,
      async destroy() {
        await created.destroy();
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
      async refuseWrites() {
        const tables = ['deliveries', 'write_probes'];
        await onTestDatabase(async (client) => {
          await client.query(
            `CREATE FUNCTION ${schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'writes refused by the test'; END $$`,
          );
          for (const table of tables) {
            await client.query(
              `CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON ${schema}.${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.refuse()`,
            );
          }
        });
        return () => onTestDatabase(async (client) => void (await client.query(`DROP FUNCTION ${schema}.refuse() CASCADE`)));
      },
      async destroy() {
        await inbox.close();
        await drop();
      },
    };
  },
};

export const inboxBackends: InboxBackend[] = [sqlite, postgres];
