// Joining lanes, the step that intake and requeue share (the lane algorithm: inbox.ts), as the
// function join_lanes. Schema migration 8 (schema.ts) creates it from this text, which therefore
// never changes: a new version is a new constant, applied by a migration of its own. `{schema}`
// stands for the quoted schema name.

export const joinLanesFunction = `
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
`;
