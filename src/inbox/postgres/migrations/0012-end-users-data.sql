-- What erasure and encryption at rest need: the end user each delivery names (for erasure; taken
-- from the bodies already stored, where it is kept as it is), when it was erased, the data key
-- that sealed its payload, and the data keys themselves, kept wrapped by the operator's key. A
-- delivery refers to its data key, so that none is stored under a key that an erasure destroyed
-- (its write fails; the process reads the key again). An id that a lane would keep in another
-- form (over 512 bytes) is not taken from old bodies: SQL cannot compute that form. The intake
-- takes the two new columns and the claim returns when a delivery was erased: both functions are
-- made again, as they were but for those. The settlement keeps no error of an attempt that ended
-- after its end user was erased (it may quote what the erasure removed).

CREATE TABLE {schema}.data_keys (
     id      text PRIMARY KEY,
     owner   text NOT NULL UNIQUE,
     wrapped text NOT NULL
   );
   ALTER TABLE {schema}.deliveries
     ADD COLUMN end_user_id text,
     ADD COLUMN erased_at bigint,
     ADD COLUMN data_key_id text CONSTRAINT deliveries_data_key REFERENCES {schema}.data_keys (id);

   -- A body that jsonb cannot read (a lone surrogate's escape in a quarantined one) names no one.
   CREATE FUNCTION pg_temp.end_user_in(_body text) RETURNS text LANGUAGE plpgsql AS $$
   BEGIN
     RETURN CASE WHEN jsonb_typeof(_body::jsonb -> 'data' -> 'end_user_id') = 'string' THEN _body::jsonb -> 'data' ->> 'end_user_id' END;
   EXCEPTION WHEN others THEN
     RETURN NULL;
   END $$;
   UPDATE {schema}.deliveries SET end_user_id = pg_temp.end_user_in(body) WHERE body LIKE '%end_user_id%';
   UPDATE {schema}.deliveries SET end_user_id = NULL WHERE octet_length(end_user_id) > 512;
   DROP FUNCTION pg_temp.end_user_in(text);
   CREATE INDEX deliveries_by_end_user ON {schema}.deliveries (end_user_id) WHERE end_user_id IS NOT NULL;
   CREATE INDEX erased_deliveries ON {schema}.deliveries (erased_at) WHERE erased_at IS NOT NULL;

   DROP FUNCTION {schema}.store_deliveries(text[], text[], text[], timestamptz[], jsonb[], text[], jsonb[], text[], bigint[], jsonb[],
                                           boolean[], text, bigint);
   CREATE FUNCTION {schema}.store_deliveries(
     _ids text[], _states text[], _event_types text[], _received_at timestamptz[], _headers jsonb[], _bodies text[],
     _violations jsonb[], _lanes text[], _event_times bigint[], _trace_contexts jsonb[], _end_user_ids text[], _data_key_ids text[],
     _offered boolean[], _owner text, _lease_until bigint)
   RETURNS TABLE (id text, attempts integer, forwarded_at bigint)
   LANGUAGE plpgsql AS $$
   #variable_conflict use_column
   DECLARE
     _stored text[];
     _leased text[];
   BEGIN
     WITH incoming AS (
       SELECT * FROM unnest(_ids, _states, _event_types, _received_at, _headers, _bodies, _violations, _lanes, _event_times, _trace_contexts,
                            _end_user_ids, _data_key_ids)
         AS incoming (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context, end_user_id, data_key_id)
     ),
     inserted AS (
       INSERT INTO {schema}.deliveries (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context,
                                        end_user_id, data_key_id)
       SELECT * FROM incoming ORDER BY id
       ON CONFLICT (id) DO NOTHING
       RETURNING id
     ),
     replaced AS (
       UPDATE {schema}.deliveries AS deliveries SET
         state = 'pending', event_type = incoming.event_type, received_at = incoming.received_at, headers = incoming.headers,
         body = incoming.body, violations = NULL, lane = incoming.lane, event_time = incoming.event_time,
         trace_context = incoming.trace_context, end_user_id = incoming.end_user_id, data_key_id = incoming.data_key_id, erased_at = NULL
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

   DROP FUNCTION {schema}.claim_lanes(text, bigint, integer, bigint);
   CREATE FUNCTION {schema}.claim_lanes(_owner text, _lease_until bigint, _limit integer, _now bigint)
   RETURNS TABLE (id text, event_type text, body text, received_at timestamptz, lane text, attempts integer,
                  event_time bigint, forwarded_at bigint, trace_context jsonb, erased_at bigint)
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
               deliveries.event_time, deliveries.forwarded_at, deliveries.trace_context, deliveries.erased_at;
   END $$;

   CREATE OR REPLACE FUNCTION {schema}.settle_attempts(
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
         last_error = CASE WHEN deliveries.erased_at IS NOT NULL THEN NULL
                           WHEN settlement.outcome = 'done' THEN NULL WHEN settlement.outcome = 'released' THEN deliveries.last_error
                           ELSE settlement.error END,
         next_attempt_at = CASE settlement.outcome WHEN 'retry' THEN settlement.retry_at ELSE deliveries.next_attempt_at END,
         attempts = CASE settlement.outcome WHEN 'released' THEN deliveries.attempts - 1 ELSE deliveries.attempts END,
         forwarded_at = coalesce(deliveries.forwarded_at, settlement.forwarded_at)
       FROM settlement WHERE deliveries.id = settlement.id
       RETURNING deliveries.id, deliveries.state, deliveries.lane, deliveries.event_time, deliveries.next_attempt_at, deliveries.attempts,
                 deliveries.erased_at
     ),
     failed AS (
       INSERT INTO {schema}.failed_attempts (delivery_id, attempt, failed_at, error)
       SELECT settled.id, settled.attempts, _now, CASE WHEN settled.erased_at IS NULL THEN settlement.error ELSE '' END
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
