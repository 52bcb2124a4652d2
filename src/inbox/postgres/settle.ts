// The settlement on PostgreSQL: the function settle_attempts, and the call that runs it for one
// owner's settlements (the lane algorithm: inbox.ts). It locks the lanes it moves in the order of
// their keys, as every statement that locks several lanes does, so that two never wait for each
// other in a cycle.
// The function is one statement from Node: one round trip, one transaction, its row locks held
// for the database's own time, never while a Node process waits to be scheduled; each statement
// inside it takes a fresh snapshot. Schema migration 7 (schema.ts) creates it from this text,
// which therefore never changes: a new version of the function is a new constant, applied by a
// migration of its own. `{schema}` stands for the quoted schema name.
import type pg from 'pg';
import type { Settlement } from '../inbox.ts';
import { storableError } from '../storable.ts';

export const settleFunction = `
-- Records how attempts ended, for the leases that _owner holds (a lease that ran out still
-- counts until another dispatcher claims the lane), and moves each lane on to its oldest pending
-- delivery, or removes it. First the lanes are locked in key order (every statement that locks
-- several lanes does, so that two never wait for each other in a cycle); then, with a snapshot
-- that sees every delivery committed into them before their locks were granted, each outcome is
-- recorded (and each failed attempt, and when a forward was confirmed). Returns how many.
CREATE FUNCTION {schema}.settle_attempts(
  _owner text, _ids text[], _outcomes text[], _errors text[], _retry_at bigint[], _forwarded_at bigint[], _now bigint
)
RETURNS integer
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  _lanes text[];
  _held text[];
  _settled integer;
BEGIN
  SELECT array_agg(held.key), array_agg(held.leased_id) INTO _lanes, _held
  FROM (
    SELECT key, leased_id FROM {schema}.lanes WHERE leased_id = ANY(_ids) AND lease_owner = _owner ORDER BY key FOR UPDATE
  ) AS held;
  IF _held IS NULL THEN
    RETURN 0;
  END IF;

  WITH settlement AS (
    SELECT given.id, held.lane, given.outcome, given.error, given.retry_at, given.forwarded_at
    FROM unnest(_ids, _outcomes, _errors, _retry_at, _forwarded_at) AS given (id, outcome, error, retry_at, forwarded_at)
    JOIN unnest(_held, _lanes) AS held (id, lane) ON held.id = given.id
  ),
  settled AS (
    UPDATE {schema}.deliveries AS deliveries SET
      state = CASE settlement.outcome WHEN 'done' THEN 'done' WHEN 'dead' THEN 'dead' ELSE deliveries.state END,
      last_error = CASE settlement.outcome WHEN 'done' THEN NULL WHEN 'released' THEN deliveries.last_error ELSE settlement.error END,
      next_attempt_at = CASE settlement.outcome WHEN 'retry' THEN settlement.retry_at ELSE deliveries.next_attempt_at END,
      attempts = CASE settlement.outcome WHEN 'released' THEN deliveries.attempts - 1 ELSE deliveries.attempts END,
      forwarded_at = coalesce(deliveries.forwarded_at, settlement.forwarded_at)
    FROM settlement WHERE deliveries.id = settlement.id
    RETURNING deliveries.id, deliveries.state, deliveries.lane, deliveries.event_time, deliveries.next_attempt_at, deliveries.attempts
  ),
  failed AS (
    INSERT INTO {schema}.failed_attempts (delivery_id, attempt, failed_at, error)
    SELECT settled.id, settled.attempts, _now, settlement.error
    FROM settled JOIN settlement ON settlement.id = settled.id
    WHERE settlement.outcome IN ('retry', 'dead')
  ),
  heads AS (
    SELECT settlement.lane, head.id, head.event_time, head.next_attempt_at
    FROM settlement
    LEFT JOIN LATERAL (
      SELECT * FROM (
        (SELECT id, event_time, next_attempt_at FROM {schema}.deliveries
         WHERE lane = settlement.lane AND state = 'pending' AND id <> ALL(_held)
         ORDER BY event_time, id LIMIT 1)
        UNION ALL
        SELECT id, event_time, next_attempt_at FROM settled WHERE settled.lane = settlement.lane AND settled.state = 'pending'
      ) AS candidates
      ORDER BY event_time, id LIMIT 1
    ) AS head ON true
  ),
  moved AS (
    UPDATE {schema}.lanes AS lanes SET
      head_id = heads.id, head_event_time = heads.event_time, head_due_at = heads.next_attempt_at,
      status = CASE WHEN heads.next_attempt_at <= _now THEN 'ready' ELSE 'waiting' END,
      leased_id = NULL, lease_owner = NULL, lease_until = NULL
    FROM heads WHERE lanes.key = heads.lane AND heads.id IS NOT NULL
  ),
  removed AS (
    DELETE FROM {schema}.lanes AS lanes USING heads WHERE lanes.key = heads.lane AND heads.id IS NULL
  )
  SELECT count(*) INTO _settled FROM settled;
  RETURN _settled;
END $$;`;

/** Records how one owner's attempts ended, the last settlement of an id counting, and moves their lanes on. */
export function createSettle(pool: pg.Pool, schema: string) {
  const text = `SELECT ${schema}.settle_attempts($1, $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7) AS settled`;
  return async (owner: string, given: readonly Settlement[]): Promise<void> => {
    const settlements = [...new Map(given.map((settlement) => [settlement.id, settlement])).values()];
    await pool.query({
      name: `settle ${schema}`,
      text,
      values: [
        owner,
        settlements.map(({ id }) => id),
        settlements.map(({ outcome }) => outcome),
        settlements.map((settlement) => ('error' in settlement ? storableError(settlement.error) : null)),
        settlements.map((settlement) => (settlement.outcome === 'retry' ? settlement.retryAt.getTime() : null)),
        settlements.map((settlement) => settlement.forwardedAt?.getTime() ?? null),
        Date.now(),
      ],
    });
  };
}
