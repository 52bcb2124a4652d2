-- Intake as a function (intake.ts calls it), which leases a delivery that heads a lane nobody
-- holds when offered a lease; the lane join that intake and requeue share as a function of its own.

-- Joins deliveries that became pending to their lanes, in key order (as every statement that
-- locks several lanes does). A delivery heads its lane when the lane is new or its event is
-- older than the head's; a lane it heads is ready, or, when its _offered is true (intake's lease;
-- requeue offers none: _offered null), leased to _owner until _lease_until. A leased lane stays
-- leased, so that the head in flight finishes first; a lane that is not leased keeps the record
-- of a lease that ran out until it is leased again.
-- Reads no delivery, only its arguments. Returns the ids leased. (plpgsql rather than sql: its
-- statement's plan is kept for the session, where a sql function's is made again at each call.)
CREATE FUNCTION {schema}.join_lanes(_ids text[], _lanes text[], _event_times bigint[], _offered boolean[], _owner text, _lease_until bigint)
RETURNS text[]
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  _leased text[];
BEGIN
  WITH joined AS (
    INSERT INTO {schema}.lanes AS lanes (key, head_id, head_event_time, head_due_at, status, leased_id, lease_owner, lease_until)
    SELECT DISTINCT ON (lane) lane, id, event_time, 0,
           CASE WHEN offered THEN 'leased' ELSE 'ready' END,
           CASE WHEN offered THEN id END, CASE WHEN offered THEN _owner END, CASE WHEN offered THEN _lease_until END
    FROM unnest(_ids, _lanes, _event_times, _offered) AS joining (id, lane, event_time, offered)
    ORDER BY lane, event_time, id
    ON CONFLICT (key) DO UPDATE SET
      head_id = excluded.head_id, head_event_time = excluded.head_event_time, head_due_at = 0,
      status = CASE WHEN lanes.status = 'leased' THEN 'leased' ELSE excluded.status END,
      leased_id = CASE WHEN lanes.status <> 'leased' AND excluded.status = 'leased' THEN excluded.leased_id ELSE lanes.leased_id END,
      lease_owner = CASE WHEN lanes.status <> 'leased' AND excluded.status = 'leased' THEN excluded.lease_owner ELSE lanes.lease_owner END,
      lease_until = CASE WHEN lanes.status <> 'leased' AND excluded.status = 'leased' THEN excluded.lease_until ELSE lanes.lease_until END
    WHERE (excluded.head_event_time, excluded.head_id) < (lanes.head_event_time, lanes.head_id)
    RETURNING lanes.head_id, lanes.status, lanes.leased_id, lanes.lease_owner
  )
  SELECT coalesce(array_agg(head_id), '{}') INTO _leased
  FROM joined WHERE status = 'leased' AND leased_id = head_id AND lease_owner = _owner;
  RETURN _leased;
END $$;


-- Stores a batch of new deliveries (pending or quarantined, one row per id): an id already
-- stored is left alone, except that a valid copy replaces a quarantined delivery. Then the
-- pending ones join their lanes (join_lanes), those whose _offered is true leased to _owner
-- until _lease_until when they head a lane nobody holds, and the attempts of those leased
-- start. Returns the ids stored, with the attempt and the forward of each one leased (null for
-- the others).
CREATE FUNCTION {schema}.store_deliveries(
  _ids text[], _states text[], _event_types text[], _received_at timestamptz[], _headers jsonb[], _bodies text[],
  _violations jsonb[], _lanes text[], _event_times bigint[], _trace_contexts jsonb[],
  _offered boolean[], _owner text, _lease_until bigint)
RETURNS TABLE (id text, attempts integer, forwarded_at bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  _stored text[];
  _leased text[];
BEGIN
  WITH incoming AS (
    SELECT * FROM unnest(_ids, _states, _event_types, _received_at, _headers, _bodies, _violations, _lanes, _event_times, _trace_contexts)
      AS incoming (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context)
  ),
  inserted AS (
    INSERT INTO {schema}.deliveries (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context)
    SELECT * FROM incoming ORDER BY id
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ),
  replaced AS (
    UPDATE {schema}.deliveries AS deliveries SET
      state = 'pending', event_type = incoming.event_type, received_at = incoming.received_at, headers = incoming.headers,
      body = incoming.body, violations = NULL, lane = incoming.lane, event_time = incoming.event_time,
      trace_context = incoming.trace_context
    FROM incoming
    WHERE deliveries.id = incoming.id AND deliveries.state = 'quarantined' AND incoming.state = 'pending'
    RETURNING deliveries.id
  )
  SELECT coalesce(array_agg(stored.id), '{}') INTO _stored FROM (SELECT id FROM inserted UNION ALL SELECT id FROM replaced) AS stored;

  SELECT {schema}.join_lanes(array_agg(id), array_agg(lane), array_agg(event_time), array_agg(offered), _owner, _lease_until) INTO _leased
  FROM unnest(_ids, _states, _lanes, _event_times, _offered) AS joining (id, state, lane, event_time, offered)
  WHERE state = 'pending' AND id = ANY(_stored);

  IF cardinality(_leased) = 0 THEN
    RETURN QUERY SELECT stored.id, NULL::integer, NULL::bigint FROM unnest(_stored) AS stored (id);
    RETURN;
  END IF;
  RETURN QUERY
  WITH started AS (
    UPDATE {schema}.deliveries AS deliveries SET attempts = deliveries.attempts + 1
    WHERE deliveries.id = ANY(_leased)
    RETURNING deliveries.id, deliveries.attempts, deliveries.forwarded_at
  )
  SELECT stored.id, started.attempts, started.forwarded_at FROM unnest(_stored) AS stored (id) LEFT JOIN started USING (id);
END $$;
