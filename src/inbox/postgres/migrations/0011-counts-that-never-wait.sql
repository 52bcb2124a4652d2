-- Counts by state that never wait for a lock: a write adds to a row of its state that no other
-- transaction holds (SKIP LOCKED), or, when every one is held, to a new row. With a shard per
-- backend (its pid modulo 16), two backends of one shard queued behind each other, and an intake
-- (which counts, then joins lanes) and a settlement (lanes, then counts) deadlocked when they
-- shared a shard and a lane: PostgreSQL aborted one, and its deliveries were answered 503. Rows are
-- added only while every row of a state is held at once: as many as the transactions that write
-- at the same moment, at most.

CREATE SEQUENCE {schema}.state_count_shards AS integer START WITH 16;

CREATE FUNCTION {schema}.add_to_count(_state text, _change bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  _shard integer;
BEGIN
  SELECT shard INTO _shard FROM {schema}.state_counts WHERE state = _state LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF FOUND THEN
    UPDATE {schema}.state_counts SET count = count + _change WHERE state = _state AND shard = _shard;
  ELSE
    INSERT INTO {schema}.state_counts (state, shard, count) VALUES (_state, nextval('{schema}.state_count_shards'), _change);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION {schema}.count_states() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM {schema}.add_to_count(state, change) FROM (SELECT state, count(*) AS change FROM new_rows GROUP BY state) AS changes;
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM {schema}.add_to_count(state, change) FROM (
      SELECT state, sum(change) AS change FROM (
        SELECT new_rows.state, 1 AS change FROM new_rows JOIN old_rows USING (id) WHERE new_rows.state <> old_rows.state
        UNION ALL
        SELECT old_rows.state, -1 FROM new_rows JOIN old_rows USING (id) WHERE new_rows.state <> old_rows.state
      ) AS each_change
      GROUP BY state HAVING sum(change) <> 0
    ) AS changes;
  ELSE
    PERFORM {schema}.add_to_count(state, -change) FROM (SELECT state, count(*) AS change FROM old_rows GROUP BY state) AS changes;
  END IF;
  RETURN NULL;
END $$;
