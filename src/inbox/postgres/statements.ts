// The PostgreSQL inbox's rules, as the statements that carry them out: dedupe by delivery id,
// lanes and their leases, retries, states (the counters follow from the triggers of schema.ts).
// Built once for the configured schema; values always travel as parameters.
//
// Several replicas run these at once. Claims and the lanes they promote skip rows that another
// transaction holds (SKIP LOCKED), so no replica waits for another to claim. Everything else
// that locks lanes locks them in the order of their keys, so two transactions never wait for
// each other in a cycle.

/**
 * Joins deliveries that became pending (the rows of `source`: id, lane, event_time) to their
 * lanes: a new lane is ready at once; in an existing lane a delivery becomes the head when its
 * event is older than the head's, and a leased lane stays leased, so that the head in flight
 * finishes first.
 */
const joinLanes = (schema: string, source: string) => `
  INSERT INTO ${schema}.lanes AS lanes (key, head_id, head_event_time, head_due_at, status)
  SELECT DISTINCT ON (lane) lane, id, event_time, 0, 'ready' FROM ${source} ORDER BY lane, event_time, id
  ON CONFLICT (key) DO UPDATE SET
    head_id = excluded.head_id, head_event_time = excluded.head_event_time, head_due_at = 0,
    status = CASE WHEN lanes.status = 'leased' THEN 'leased' ELSE 'ready' END
  WHERE (excluded.head_event_time, excluded.head_id) < (lanes.head_event_time, lanes.head_id)`;

import { driftQuery } from '../rows.ts';

export function statements(schema: string) {
  return {
    /**
     * Stores a batch of new deliveries (pending or quarantined) in one statement: one round
     * trip and one commit. A delivery id already stored is left alone, except that a valid copy
     * replaces a quarantined delivery. Pending deliveries join their lanes. Returns the ids
     * and states stored.
     */
    intake: `
      WITH incoming AS (
        SELECT * FROM unnest(
          $1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[], $7::jsonb[], $8::text[], $9::bigint[], $10::jsonb[]
        ) AS incoming (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context)
      ),
      inserted AS (
        INSERT INTO ${schema}.deliveries (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context)
        SELECT * FROM incoming ORDER BY id
        ON CONFLICT (id) DO NOTHING
        RETURNING id, state, lane, event_time
      ),
      replaced AS (
        UPDATE ${schema}.deliveries AS deliveries SET
          state = 'pending', event_type = incoming.event_type, received_at = incoming.received_at, headers = incoming.headers,
          body = incoming.body, violations = NULL, lane = incoming.lane, event_time = incoming.event_time,
          trace_context = incoming.trace_context
        FROM incoming
        WHERE deliveries.id = incoming.id AND deliveries.state = 'quarantined' AND incoming.state = 'pending'
        RETURNING deliveries.id, deliveries.state, deliveries.lane, deliveries.event_time
      ),
      stored AS (SELECT * FROM inserted UNION ALL SELECT * FROM replaced),
      joined AS (${joinLanes(schema, `(SELECT * FROM stored WHERE state = 'pending') AS pending`)})
      SELECT id, state FROM stored`,

    /** Leases ready lanes' heads: $1 owner, $2 lease until, $3 how many, $4 now (functions.ts). */
    claim: `SELECT * FROM ${schema}.claim_lanes($1, $2, $3, $4)`,

    /** Records outcomes and moves lanes on: $1 owner, then each settlement's id, outcome, error, retry time and forward time, $7 now (functions.ts). */
    settle: `SELECT ${schema}.settle_attempts($1, $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7) AS settled`,

    /**
     * Puts dead, quarantined and done deliveries ($1) back to pending, into their lanes, each in
     * the trace of $2 (or its own, where that is null); returns how many.
     */
    requeue: `
      WITH requeue AS (
        SELECT * FROM unnest($1::text[], $2::jsonb[]) AS requeue (id, trace_context)
      ),
      requeued AS (
        UPDATE ${schema}.deliveries AS deliveries
        SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, violations = NULL, forwarded_at = NULL,
          trace_context = coalesce(requeue.trace_context, deliveries.trace_context)
        FROM requeue
        WHERE deliveries.id = requeue.id AND deliveries.state IN ('dead', 'quarantined', 'done')
        RETURNING deliveries.id, deliveries.lane, deliveries.event_time
      ),
      joined AS (${joinLanes(schema, 'requeued')})
      SELECT count(*)::integer AS requeued FROM requeued`,

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

    get: `SELECT * FROM ${schema}.deliveries WHERE id = $1`,
    failedAttempts: `SELECT attempt, failed_at, error FROM ${schema}.failed_attempts WHERE delivery_id = $1 ORDER BY failed_at, attempt`,
    countByState: `SELECT state, sum(count)::integer AS count FROM ${schema}.state_counts GROUP BY state`,
    oldestPending: `SELECT min(received_at) AS oldest FROM ${schema}.deliveries WHERE state = 'pending'`,
    /** The oldest pending, unforwarded delivery whose type is (`only`) or is not (`except`) one of $1. */
    oldestUnforwarded: (selection: 'only' | 'except') => `
      SELECT received_at FROM ${schema}.deliveries
      WHERE state = 'pending' AND forwarded_at IS NULL AND ${selection === 'only' ? '' : 'NOT'} coalesce(event_type, '') = ANY($1::text[])
      ORDER BY received_at LIMIT 1`,
    lane: `
      SELECT *, (SELECT count(*) FROM ${schema}.deliveries WHERE lane = key AND state = 'pending') AS pending
      FROM ${schema}.lanes WHERE key = $1`,
    laneQueue: `SELECT * FROM ${schema}.deliveries WHERE lane = $1 AND state = 'pending' ORDER BY event_time, id LIMIT $2`,
  };
}
