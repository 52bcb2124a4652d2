// The inbox backends that the conformance suites run against, each creating a fresh, empty store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { PostgresInbox } from '../../src/inbox/postgres/inbox.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { onTestDatabase, temporarySchema, testDatabaseUrl } from './postgres.ts';

/** A place for one test's inbox: a SQLite file, or a PostgreSQL schema. */
export interface TestStore {
  /** The environment that points a receiver or a command at the store. */
  env: Record<string, string>;
  /** createReceiver's options for the same store. */
  options: { database: string; databaseSchema?: string };
  /** Makes every write fail, as a locked file or a full disk would; resolves with what undoes it. */
  refuseWrites(): Promise<() => Promise<void>>;
  /**
   * Makes the store refuse every write of one delivery's row (a trigger of the test's own that
   * raises an error saying `refused by the test`), as a store refuses a write for what it holds;
   * resolves with what undoes it.
   */
  refuseWritesOf(id: string): Promise<() => Promise<void>>;
  /** Removes everything stored there. */
  destroy(): Promise<void>;
}

export interface TestInbox extends TestStore {
  /** An inbox of its own on the store; `destroy` closes it first. */
  inbox: Inbox;
}

export interface InboxBackend {
  name: string;
  createStore(): Promise<TestStore>;
  create(): Promise<TestInbox>;
}

/** A SQLite store in `directory`, which the caller owns and removes. */
export function sqliteInDirectory(directory: string): InboxBackend {
  const path = join(directory, 'inbox.sqlite');
  const createStore = async (): Promise<TestStore> => ({
    env: { DATABASE_URL: `sqlite:${path}` },
    options: { database: `sqlite:${path}` },
    async refuseWrites() {
      // Another connection holds the write lock for longer than the inbox waits for it.
      const locker = new DatabaseSync(path);
      locker.exec('BEGIN IMMEDIATE');
      return async () => {
        locker.exec('ROLLBACK');
        locker.close();
      };
    },
    async refuseWritesOf(id) {
      const onFile = (sql: string) => {
        const db = new DatabaseSync(path);
        db.exec(sql);
        db.close();
      };
      const quoted = `'${id.replaceAll("'", "''")}'`;
      const raise = `BEGIN SELECT RAISE(ABORT, 'writes of ' || NEW.id || ' refused by the test'); END`;
      onFile(`CREATE TRIGGER refuse_insert_of BEFORE INSERT ON deliveries WHEN NEW.id = ${quoted} ${raise};
              CREATE TRIGGER refuse_update_of BEFORE UPDATE ON deliveries WHEN NEW.id = ${quoted} ${raise};`);
      return async () => onFile('DROP TRIGGER refuse_insert_of; DROP TRIGGER refuse_update_of;');
    },
    destroy: async () => {},
  });
  return {
    name: 'SQLite',
    createStore,
    async create() {
      const inbox = new SqliteInbox(path, { busyTimeoutMs: 50 });
      return { ...(await createStore()), inbox, destroy: () => inbox.close() };
    },
  };
}

/** Opens an inbox on a store, and closes it before the store is removed. */
async function withInbox(store: TestStore, open: () => Promise<Inbox>): Promise<TestInbox> {
  const inbox = await open();
  return {
    ...store,
    inbox,
    async destroy() {
      await inbox.close();
      await store.destroy();
    },
  };
}

const sqlite: InboxBackend = {
  name: 'SQLite',
  async createStore() {
    const directory = mkdtempSync(join(tmpdir(), 'ada-inbox-'));
    const store = await sqliteInDirectory(directory).createStore();
    return { ...store, destroy: async () => rmSync(directory, { recursive: true, force: true }) };
  },
  async create() {
    const store = await this.createStore();
    return withInbox(store, async () => new SqliteInbox(store.options.database.slice('sqlite:'.length), { busyTimeoutMs: 50 }));
  },
};

const postgres: InboxBackend = {
  name: 'PostgreSQL',
  async createStore() {
    const { schema, drop } = await temporarySchema();
    return {
      env: { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: schema },
      options: { database: testDatabaseUrl, databaseSchema: schema },
      async refuseWrites() {
        const tables = ['deliveries', 'write_probes'];
        await onTestDatabase(async (client) => {
          await client.query(
            `CREATE FUNCTION ${schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'writes refused by the test' USING ERRCODE = 'disk_full'; END $$`,
          );
          for (const table of tables) {
            await client.query(
              `CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON ${schema}.${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.refuse()`,
            );
          }
        });
        return () => onTestDatabase(async (client) => void (await client.query(`DROP FUNCTION ${schema}.refuse() CASCADE`)));
      },
      async refuseWritesOf(id) {
        await onTestDatabase(async (client) => {
          await client.query(
            `CREATE FUNCTION ${schema}.refuse_of() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'writes of % refused by the test', NEW.id; END $$`,
          );
          await client.query(
            `CREATE TRIGGER refuse_of BEFORE INSERT OR UPDATE ON ${schema}.deliveries
             FOR EACH ROW WHEN (NEW.id = ${client.escapeLiteral(id)}) EXECUTE FUNCTION ${schema}.refuse_of()`,
          );
        });
        return () => onTestDatabase(async (client) => void (await client.query(`DROP FUNCTION ${schema}.refuse_of() CASCADE`)));
      },
      destroy: drop,
    };
  },
  async create() {
    const store = await this.createStore();
    return withInbox(store, () =>
      PostgresInbox.open({
        connectionString: testDatabaseUrl,
        schema: store.options.databaseSchema!,
        poolSize: 4,
        connectTimeoutMs: 3000,
        queryTimeoutMs: 10_000,
      }),
    );
  },
};

/** Every backend, or those that TEST_INBOX_BACKENDS names (`sqlite`, `postgresql`, comma-separated): `npm run test:fast` runs on SQLite alone. */
export const inboxBackends: InboxBackend[] = selectedBackends([sqlite, postgres], process.env['TEST_INBOX_BACKENDS']);

/** The backend of this name if TEST_INBOX_BACKENDS selects it, for a suite about that backend alone: `for (const backend of selected('PostgreSQL'))`. */
export function selected(name: 'SQLite' | 'PostgreSQL'): InboxBackend[] {
  return inboxBackends.filter((backend) => backend.name === name);
}

function selectedBackends(backends: InboxBackend[], names: string | undefined): InboxBackend[] {
  if (!names) return backends;
  const wanted = names.split(',').map((name) => name.trim().toLowerCase());
  const unknown = wanted.filter((name) => !backends.some((backend) => backend.name.toLowerCase() === name));
  if (unknown.length > 0) throw new Error(`TEST_INBOX_BACKENDS names no backend ${unknown.join(', ')}: sqlite, postgresql`);
  return backends.filter((backend) => wanted.includes(backend.name.toLowerCase()));
}
