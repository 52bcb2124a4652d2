// The PostgreSQL inbox's schema, inside a schema of its own (DATABASE_SCHEMA) so that the inbox
// can share a database. Versions are applied in order at start-up, each replica in turn: a
// transaction-scoped advisory lock serialises replicas that start at once.
import type { Pool } from 'pg';
import { listIndexes } from '../list-query.ts';
import { migrationsAfter } from '../migrations.ts';
import { claimFunction } from './claim.ts';
import { storeFunction } from './intake.ts';
import { joinLanesFunction } from './lanes.ts';
import { settleFunction } from './settle.ts';
import { transaction } from './transaction.ts';

/** The schema versions; `{schema}` stands for the quoted schema name. */
const migrations = [
  `CREATE TABLE {schema}.deliveries (
     id              text PRIMARY KEY,
     state           text NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead')),
     event_type      text,
     received_at     timestamptz NOT NULL,
     headers         jsonb NOT NULL,
     body            text NOT NULL,
     violations      jsonb,
     lane            text NOT NULL,
     event_time      bigint NOT NULL,
     attempts        integer NOT NULL DEFAULT 0,
     next_attempt_at bigint NOT NULL DEFAULT 0,
     last_error      text
   );
   CREATE INDEX deliveries_by_state ON {schema}.deliveries (state, received_at);
   CREATE INDEX pending_by_lane ON {schema}.deliveries (lane, event_time, id) WHERE state = 'pending';

   -- A row per lane with pending deliveries: its head, when the head is due, and its lease.
   CREATE TABLE {schema}.lanes (
     key             text PRIMARY KEY,
     head_id         text NOT NULL,
     head_event_time bigint NOT NULL,
     head_due_at     bigint NOT NULL,
     status          text NOT NULL CHECK (status IN ('ready', 'waiting', 'leased')),
     leased_id       text,
     lease_owner     text,
     lease_until     bigint
   );
   CREATE INDEX ready_lanes ON {schema}.lanes (head_event_time, head_id) WHERE status = 'ready';
   CREATE INDEX waiting_lanes ON {schema}.lanes (head_due_at) WHERE status = 'waiting';
   CREATE INDEX leased_lanes ON {schema}.lanes (lease_until) WHERE status = 'leased';
   CREATE INDEX lanes_by_leased_id ON {schema}.lanes (leased_id);

   -- Readiness writes here after a write failed, to learn whether writes work again (see ProbedAvailability).
   CREATE TABLE {schema}.write_probes (id integer PRIMARY KEY, probed_at timestamptz NOT NULL);

   -- Counts by state, kept by statement triggers in the transaction of each write. Each backend
   -- process adds to a shard of its own, so that concurrent transactions of several replicas do
   -- not queue behind one row; a read sums the shards.
   CREATE TABLE {schema}.state_counts (
     state text NOT NULL,
     shard integer NOT NULL,
     count bigint NOT NULL,
     PRIMARY KEY (state, shard)
   );
   CREATE FUNCTION {schema}.count_states() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'INSERT' THEN
       INSERT INTO {schema}.state_counts (state, shard, count)
         SELECT state, pg_backend_pid() % 16, count(*) FROM new_rows GROUP BY state ORDER BY state
         ON CONFLICT (state, shard) DO UPDATE SET count = state_counts.count + excluded.count;
     ELSIF TG_OP = 'UPDATE' THEN
       INSERT INTO {schema}.state_counts (state, shard, count)
         SELECT state, pg_backend_pid() % 16, sum(change) FROM (
           SELECT new_rows.state, 1 AS change FROM new_rows JOIN old_rows USING (id) WHERE new_rows.state <> old_rows.state
           UNION ALL
           SELECT old_rows.state, -1 FROM new_rows JOIN old_rows USING (id) WHERE new_rows.state <> old_rows.state
         ) AS changes
         GROUP BY state HAVING sum(change) <> 0 ORDER BY state
         ON CONFLICT (state, shard) DO UPDATE SET count = state_counts.count + excluded.count;
     ELSE
       INSERT INTO {schema}.state_counts (state, shard, count)
         SELECT state, pg_backend_pid() % 16, -count(*) FROM old_rows GROUP BY state ORDER BY state
         ON CONFLICT (state, shard) DO UPDATE SET count = state_counts.count + excluded.count;
     END IF;
     RETURN NULL;
   END $$;
   CREATE TRIGGER count_inserted AFTER INSERT ON {schema}.deliveries
     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.count_states();
   CREATE TRIGGER count_updated AFTER UPDATE ON {schema}.deliveries
     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.count_states();
   CREATE TRIGGER count_deleted AFTER DELETE ON {schema}.deliveries
     REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.count_states();`,

  listIndexes('{schema}.'),

  // Every failed attempt with its error, beside the last error that the delivery keeps.
  `CREATE TABLE {schema}.failed_attempts (
     delivery_id text NOT NULL,
     attempt     integer NOT NULL,
     failed_at   bigint NOT NULL,
     error       text NOT NULL
   );
   CREATE INDEX failed_attempts_by_delivery ON {schema}.failed_attempts (delivery_id);`,

  // When the forwarder's broker confirmed a delivery (milliseconds), so that a retry of its
  // handler does not publish it again.
  `ALTER TABLE {schema}.deliveries ADD COLUMN forwarded_at bigint;`,

  // The trace a delivery belongs to (its propagation headers), so that every attempt joins it.
  `ALTER TABLE {schema}.deliveries ADD COLUMN trace_context jsonb;`,

  // How traffic differs from the contract: one row per event type, kind, path and detail.
  `CREATE TABLE {schema}.contract_drift (
     event_type    text NOT NULL,
     kind          text NOT NULL,
     path          text NOT NULL,
     detail        text NOT NULL,
     deliveries    bigint NOT NULL,
     first_seen_at bigint NOT NULL,
     last_seen_at  bigint NOT NULL,
     example_id    text NOT NULL,
     example_value text,
     PRIMARY KEY (event_type, kind, path, detail)
   );`,

  // The claim and the settlement as functions: one statement, one round trip each.
  `${claimFunction}
${settleFunction}`,

  // Intake as a function, which leases a delivery that heads a lane nobody holds when offered a
  // lease; the lane join that intake and requeue share as a function of its own.
  `${joinLanesFunction}
${storeFunction}`,

  // Inspector sessions that were signed out, until they would have expired (milliseconds).
  `CREATE TABLE {schema}.ended_sessions (
     id         text PRIMARY KEY,
     expires_at bigint NOT NULL
   );`,

  // A state for quarantined deliveries set aside for good, with who did it and when. The wider
  // check needs no scan of the rows: each passed the narrower one.
  `ALTER TABLE {schema}.deliveries DROP CONSTRAINT deliveries_state_check;
   ALTER TABLE {schema}.deliveries ADD CONSTRAINT deliveries_state_check
     CHECK (state IN ('pending', 'quarantined', 'done', 'dead', 'discarded')) NOT VALID;
   ALTER TABLE {schema}.deliveries ADD COLUMN discarded_at bigint, ADD COLUMN discarded_by text;`,
];

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
