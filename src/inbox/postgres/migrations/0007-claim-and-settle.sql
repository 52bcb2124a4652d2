-- The claim and the settlement as functions (claim.ts and settle.ts call them): one statement,
-- one round trip each.

-- Before leasing: lanes whose head is due again, or whose lease ran out, become ready (those
-- another transaction holds are left to it). Then the heads of up to _limit ready lanes, oldest
-- head event first, are leased to _owner until _lease_until, and their attempts counted.
CREATE FUNCTION {schema}.claim_lanes(_owner text, _lease_until bigint, _limit integer, _now bigint)
RETURNS TABLE (id text, event_type text, body text, received_at timestamptz, lane text, attempts integer,
               event_time bigint, forwarded_at bigint, trace_context jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  UPDATE {schema}.lanes SET status = 'ready'
  WHERE key IN (
    SELECT key FROM {schema}.lanes
    WHERE (status = 'waiting' AND head_due_at <= _now) OR (status = 'leased' AND lease_until <= _now)
    FOR UPDATE SKIP LOCKED
  )
  AND ((status = 'waiting' AND head_due_at <= _now) OR (status = 'leased' AND lease_until <= _now));

  RETURN QUERY
  WITH picked AS (
    SELECT key FROM {schema}.lanes WHERE status = 'ready' ORDER BY head_event_time, head_id LIMIT _limit FOR UPDATE SKIP LOCKED
  ),
  leased AS (
    UPDATE {schema}.lanes AS lanes SET status = 'leased', leased_id = head_id, lease_owner = _owner, lease_until = _lease_until
    FROM picked WHERE lanes.key = picked.key
    RETURNING lanes.head_id
  )
  UPDATE {schema}.deliveries AS deliveries SET attempts = deliveries.attempts + 1
  FROM leased WHERE deliveries.id = leased.head_id
  RETURNING deliveries.id, deliveries.event_type, deliveries.body, deliveries.received_at, deliveries.lane, deliveries.attempts,
            deliveries.event_time, deliveries.forwarded_at, deliveries.trace_context;
END $$;


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
END $$;
