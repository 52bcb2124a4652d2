// The PostgreSQL inbox's other statements: notices, purge, violations, drift, the inspector's
// ended sessions, the probe and the counts by state, beside the reads that both backends share
// (read-queries.ts); intake, claim, settle and requeue each have a module of their own. Built once for the configured schema; values always travel as parameters. Several
// replicas run these at once; what locks several rows locks them in key order, so two
// transactions never wait for each other in a cycle.

import { readQueries, type StoreTables } from '../read-queries.ts';
import { driftQuery } from '../rows.ts';

export function statements(schema: string) {
  return {
    /**
     * Tells the other replicas that there are new deliveries. Never inside the transaction that
     * stored them: PostgreSQL serialises the commits of all transactions that notify behind one
     * lock, which would undo group commit across connections and replicas.
     */
    notify: 'SELECT pg_notify($1, $2)',

    /**
     * Deletes up to $3 deliveries in state $1 received before $2, the oldest first, with their
     * failed attempts; returns how many. Rows another transaction holds (a requeue, another
     * replica's purge) are skipped, not waited for.
     */
    purge: `
      WITH doomed AS (
        SELECT id FROM ${schema}.deliveries WHERE state = $1 AND received_at < $2 ORDER BY received_at LIMIT $3 FOR UPDATE SKIP LOCKED
      ),
      purged AS (
        DELETE FROM ${schema}.deliveries AS deliveries USING doomed WHERE deliveries.id = doomed.id RETURNING deliveries.id
      ),
      attempts AS (DELETE FROM ${schema}.failed_attempts WHERE delivery_id IN (SELECT id FROM purged))
      SELECT count(*)::integer AS purged FROM purged`,

    updateViolations: `UPDATE ${schema}.deliveries SET violations = $2 WHERE id = $1 AND state = 'quarantined'`,

    /** Sets the quarantined delivery $1 aside for good, discarded at $2 by $3. */
    discard: `UPDATE ${schema}.deliveries SET state = 'discarded', discarded_at = $2, discarded_by = $3 WHERE id = $1 AND state = 'quarantined'`,

    /**
     * Adds drift summaries to those counted: deliveries added, sightings widened, the first example
     * kept. In key order, as every replica adds its own: two never wait for each other in a cycle.
     */
    recordDrift: `
      INSERT INTO ${schema}.contract_drift AS drift
        (event_type, kind, path, detail, deliveries, first_seen_at, last_seen_at, example_id, example_value)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[])
        AS summary (event_type, kind, path, detail, deliveries, first_seen_at, last_seen_at, example_id, example_value)
      ORDER BY event_type, kind, path, detail
      ON CONFLICT (event_type, kind, path, detail) DO UPDATE SET
        deliveries = drift.deliveries + excluded.deliveries,
        first_seen_at = least(drift.first_seen_at, excluded.first_seen_at),
        last_seen_at = greatest(drift.last_seen_at, excluded.last_seen_at)`,
    drift: driftQuery(`${schema}.contract_drift`, (name) => (name === 'since' ? '$1::bigint' : '$2::text')),

    /** Readiness's test of whether writes work again: one row, written again each time. */
    probe: `
      INSERT INTO ${schema}.write_probes (id, probed_at) VALUES (1, now())
      ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at`,

    /** Records a signed-out inspector session ($1, expiring at $2), and deletes the records of those expired at $3. */
    endSession: `
      WITH forgotten AS (DELETE FROM ${schema}.ended_sessions WHERE expires_at <= $3)
      INSERT INTO ${schema}.ended_sessions (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
    /** Which of the sessions $1 were signed out and expire after $2. */
    endedSessions: `SELECT id FROM ${schema}.ended_sessions WHERE id = ANY($1::text[]) AND expires_at > $2`,

    countByState: `SELECT state, sum(count)::integer AS count FROM ${schema}.state_counts GROUP BY state`,
    /** How many deliveries are erased, of the end user $1 (as kept) or, when it is null, of all. */
    countErased: `SELECT count(*)::integer AS count FROM ${schema}.deliveries WHERE erased_at IS NOT NULL AND ($1::text IS NULL OR end_user_id = $1)`,
    ...readQueries(postgresTables(schema)),
  };
}

/** The tables as PostgreSQL's reads name them, in the inbox's schema; a list parameter is an array. */
export const postgresTables = (schema: string): StoreTables => ({
  deliveries: `${schema}.deliveries`,
  rows: `${schema}.deliveries`,
  lanes: `${schema}.lanes`,
  failedAttempts: `${schema}.failed_attempts`,
  placeholder: (position) => `$${position}`,
  oneOf: (expression, parameter, negated) => `${negated ? 'NOT ' : ''}${expression} = ANY(${parameter}::text[])`,
});
