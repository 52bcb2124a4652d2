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

    /** Before each claim: lanes whose head is due again, or whose lease ran out, become ready. */
    readyLanes: `
      UPDATE ${schema}.lanes SET status = 'ready'
      WHERE key IN (
        SELECT key FROM ${schema}.lanes
        WHERE (status = 'waiting' AND head_due_at <= $1) OR (status = 'leased' AND lease_until <= $1)
        FOR UPDATE SKIP LOCKED
      )
      AND ((status = 'waiting' AND head_due_at <= $1) OR (status = 'leased' AND lease_until <= $1))`,

    /** Leases the heads of up to $3 ready lanes, oldest head event first, to $1 until $2. */
    claim: `
      WITH picked AS (
        SELECT key FROM ${schema}.lanes WHERE status = 'ready' ORDER BY head_event_time, head_id LIMIT $3 FOR UPDATE SKIP LOCKED
      ),
      leased AS (
        UPDATE ${schema}.lanes AS lanes SET status = 'leased', leased_id = head_id, lease_owner = $1, lease_until = $2
        FROM picked WHERE lanes.key = picked.key
        RETURNING lanes.head_id
      )
      UPDATE ${schema}.deliveries AS deliveries SET attempts = attempts + 1
      FROM leased WHERE deliveries.id = leased.head_id
      RETURNING deliveries.id, deliveries.event_type, deliveries.body, deliveries.received_at, deliveries.lane, deliveries.attempts,
                deliveries.event_time, deliveries.forwarded_at, deliveries.trace_context`,

    /**
     * The first step of a settlement: locks the lanes whose lease owner $1 holds for the
     * deliveries $2, in key order, and says which they are. A lease that ran out still counts
     * until another dispatcher claims the lane.
     */
    lockLeasedLanes: `
      SELECT lanes.key AS lane, lanes.leased_id AS id
      FROM ${schema}.lanes AS lanes
      WHERE lanes.leased_id = ANY($2::text[]) AND lanes.lease_owner = $1
      ORDER BY lanes.key
      FOR UPDATE`,

    /**
     * The second step, in the same transaction (so that it sees every delivery committed into
     * these lanes before their locks were granted): records each outcome (and each failed
     * attempt, and when a forward was confirmed), then moves each lane on to its oldest pending
     * delivery, or removes it when none is left. $6 is now.
     */
    settle: `
      WITH settlement AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $7::bigint[])
          AS settlement (id, lane, outcome, error, retry_at, forwarded_at)
      ),
      settled AS (
        UPDATE ${schema}.deliveries AS deliveries SET
          state = CASE settlement.outcome WHEN 'done' THEN 'done' WHEN 'dead' THEN 'dead' ELSE deliveries.state END,
          last_error = CASE settlement.outcome WHEN 'done' THEN NULL WHEN 'released' THEN deliveries.last_error ELSE settlement.error END,
          next_attempt_at = CASE settlement.outcome WHEN 'retry' THEN settlement.retry_at ELSE deliveries.next_attempt_at END,
          attempts = CASE settlement.outcome WHEN 'released' THEN deliveries.attempts - 1 ELSE deliveries.attempts END,
          forwarded_at = coalesce(deliveries.forwarded_at, settlement.forwarded_at)
        FROM settlement WHERE deliveries.id = settlement.id
        RETURNING deliveries.id, deliveries.state, deliveries.lane, deliveries.event_time, deliveries.next_attempt_at, deliveries.attempts
      ),
      failed AS (
        INSERT INTO ${schema}.failed_attempts (delivery_id, attempt, failed_at, error)
        SELECT settled.id, settled.attempts, $6, settlement.error
        FROM settled JOIN settlement ON settlement.id = settled.id
        WHERE settlement.outcome IN ('retry', 'dead')
      ),
      heads AS (
        SELECT settlement.lane, head.id, head.event_time, head.next_attempt_at
        FROM settlement
        LEFT JOIN LATERAL (
          SELECT * FROM (
            (SELECT id, event_time, next_attempt_at FROM ${schema}.deliveries
             WHERE lane = settlement.lane AND state = 'pending' AND id <> ALL($1::text[])
             ORDER BY event_time, id LIMIT 1)
            UNION ALL
            SELECT id, event_time, next_attempt_at FROM settled WHERE settled.lane = settlement.lane AND settled.state = 'pending'
          ) AS candidates
          ORDER BY event_time, id LIMIT 1
        ) AS head ON true
      ),
      moved AS (
        UPDATE ${schema}.lanes AS lanes SET
          head_id = heads.id, head_event_time = heads.event_time, head_due_at = heads.next_attempt_at,
          status = CASE WHEN heads.next_attempt_at <= $6 THEN 'ready' ELSE 'waiting' END,
          leased_id = NULL, lease_owner = NULL, lease_until = NULL
        FROM heads WHERE lanes.key = heads.lane AND heads.id IS NOT NULL
      ),
      removed AS (
        DELETE FROM ${schema}.lanes AS lanes USING heads WHERE lanes.key = heads.lane AND heads.id IS NULL
      )
      SELECT count(*) FROM settled`,

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
