// A PostgreSQL database of a benchmark's own, on the server it is given.
import pg from 'pg';

/** The server of the benchmarks' PostgreSQL figures unless --postgres names another: the tests' own. */
export const defaultPostgresUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs `work` with a database of its own on the server at `serverUrl`, dropped afterwards. */
export async function withTemporaryDatabase(serverUrl: string, work: (url: string) => Promise<void>): Promise<void> {
  const name = `ada_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  // Calls of the inbox's functions (the claim, the settlement), counted per delivery by the figures.
  await admin.query(`ALTER DATABASE ${name} SET track_functions = 'pl'`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
