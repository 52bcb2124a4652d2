-- The first schema: deliveries, their lanes (a row per lane with pending deliveries, holding its
-- head and its lease), the table of write probes, and the counters by state. `{schema}` stands for
-- the quoted schema name, in every migration.

CREATE TABLE {schema}.deliveries (
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
     REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.count_states();
