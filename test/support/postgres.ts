// The PostgreSQL that the tests use: TEST_DATABASE_URL, by default the server of this machine.
// Every test works in a schema of its own, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const testDatabaseUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<void> | undefined;

/** Rejects, saying what to do, when the tests' PostgreSQL cannot be reached. */
export function requirePostgres(): Promise<void> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
    } catch (error) {
      throw new Error(
        `The PostgreSQL tests need a server at ${testDatabaseUrl}, which answered: ${(error as Error).message}. ` +
          'Start PostgreSQL, or set TEST_DATABASE_URL to a database that the tests may create schemas in.',
        { cause: error },
      );
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/** Runs SQL on the tests' database, outside any inbox. */
export async function onTestDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new schema name for one test, and what removes that schema. */
export async function temporarySchema(): Promise<{ schema: string; drop(): Promise<void> }> {
  await requirePostgres();
  const schema = `ada_test_${randomBytes(6).toString('hex')}`;
  return {
    schema,
    drop: () => onTestDatabase(async (client) => void (await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))),
  };
}

/** A new database for one test (whose connections can be refused without touching others), its URL, and what drops it. */
export async function temporaryDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  await requirePostgres();
  const name = `ada_test_${randomBytes(6).toString('hex')}`;
  await onTestDatabase((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => onTestDatabase(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
