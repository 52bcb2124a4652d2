// The PostgreSQL inbox's schema, inside a schema of its own (DATABASE_SCHEMA) so that the inbox
// can share a database. The versions of migrations/ are applied in order at start-up, each
// replica in turn: a transaction-scoped advisory lock serialises replicas that start at once.
import type { Pool } from 'pg';
import { migrationsAfter, readMigrations } from '../migrations.ts';
import { transaction } from './transaction.ts';

/** The schema versions, frozen: see migrations.ts before adding one. `{schema}` stands for the quoted schema name. */
const migrationsDirectory = new URL('./migrations/', import.meta.url);

/** Whether the inbox's tables were ever created in `schema`. */
export async function schemaExists(pool: Pool, schema: string): Promise<boolean> {
  const { rows } = await pool.query<{ table: string | null }>('SELECT to_regclass($1) AS table', [`${schema}.schema_version`]);
  return rows[0]?.table != null;
}

/** Brings the schema up to date; safe when several replicas start at once. */
export async function migrate(pool: Pool, schema: string): Promise<void> {
  const { rows } = await pool.query<{ server_encoding: string }>('SHOW server_encoding');
  if (rows[0]?.server_encoding !== 'UTF8') {
    throw new Error(
      `The PostgreSQL database uses the ${rows[0]?.server_encoding} encoding; the inbox needs UTF8 to keep bodies byte for byte.`,
    );
  }
  const migrations = readMigrations(migrationsDirectory);
  await transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ada-webhooks migrations ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version integer NOT NULL)`);
    const current = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_version`);
    const version = current.rows[0]?.version ?? 0;
    for (const migration of migrationsAfter(version, migrations)) await client.query(migration.replaceAll('{schema}', schema));
    await client.query(`DELETE FROM ${schema}.schema_version`);
    await client.query(`INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [migrations.length]);
  });
}
