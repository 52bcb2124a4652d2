-- Lanes: a row per ordering key with pending deliveries, holding its head and its lease, so that
-- a claim reads the ready lanes instead of scanning the backlog. Every delivery has a lane (a
-- delivery without an ordering key is a lane of its own), and counters by state are kept by
-- triggers in the transaction of each write.

CREATE TABLE deliveries_v3 (
     id              TEXT PRIMARY KEY,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead')),
     event_type      TEXT,
     received_at     TEXT NOT NULL,
     headers         TEXT NOT NULL,
     body            TEXT NOT NULL,
     violations      TEXT,
     lane            TEXT NOT NULL,
     event_time      INTEGER NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     last_error      TEXT
   ) STRICT;
   INSERT INTO deliveries_v3 (id, state, event_type, received_at, headers, body, violations, lane, event_time, attempts, next_attempt_at, last_error)
     SELECT id, state, event_type, received_at, headers, body, violations, coalesce(ordering_key, 'delivery:' || id),
            event_time, attempts, next_attempt_at, last_error
     FROM deliveries;

   CREATE TABLE lanes (
     key             TEXT PRIMARY KEY,
     head_id         TEXT NOT NULL,
     head_event_time INTEGER NOT NULL,
     head_due_at     INTEGER NOT NULL,
     status          TEXT NOT NULL CHECK (status IN ('ready', 'waiting', 'leased')),
     leased_id       TEXT,
     lease_owner     TEXT,
     lease_until     INTEGER
   ) STRICT;
   -- Each lane's head is its oldest pending delivery; its lease, the latest one taken on it.
   INSERT INTO lanes (key, head_id, head_event_time, head_due_at, status, leased_id, lease_owner, lease_until)
     SELECT head.lane, head.id, head.event_time, head.next_attempt_at,
            CASE WHEN lease.id IS NOT NULL THEN 'leased' WHEN head.next_attempt_at > 0 THEN 'waiting' ELSE 'ready' END,
            lease.id, lease.lease_owner, lease.lease_until
     FROM (SELECT lane, id, event_time, next_attempt_at,
                  row_number() OVER (PARTITION BY lane ORDER BY event_time, id) AS position
           FROM deliveries_v3 WHERE state = 'pending') AS head
     LEFT JOIN (SELECT coalesce(ordering_key, 'delivery:' || id) AS lane, id, lease_owner, lease_until,
                       row_number() OVER (PARTITION BY coalesce(ordering_key, 'delivery:' || id) ORDER BY lease_until DESC) AS position
                FROM deliveries WHERE state = 'pending' AND lease_until IS NOT NULL) AS lease
       ON lease.lane = head.lane AND lease.position = 1
     WHERE head.position = 1;

   DROP TABLE deliveries;
   ALTER TABLE deliveries_v3 RENAME TO deliveries;
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at);
   CREATE INDEX pending_by_lane ON deliveries (lane, event_time, id) WHERE state = 'pending';
   CREATE INDEX ready_lanes ON lanes (head_event_time, head_id) WHERE status = 'ready';
   CREATE INDEX waiting_lanes ON lanes (head_due_at) WHERE status = 'waiting';
   CREATE INDEX leased_lanes ON lanes (lease_until) WHERE status = 'leased';

   CREATE TABLE state_counts (state TEXT PRIMARY KEY, count INTEGER NOT NULL) STRICT;
   INSERT INTO state_counts (state, count) VALUES ('pending', 0), ('quarantined', 0), ('done', 0), ('dead', 0);
   UPDATE state_counts SET count = (SELECT count(*) FROM deliveries WHERE deliveries.state = state_counts.state);
   CREATE TRIGGER count_inserted AFTER INSERT ON deliveries BEGIN
     UPDATE state_counts SET count = count + 1 WHERE state = NEW.state;
   END;
   CREATE TRIGGER count_state_change AFTER UPDATE OF state ON deliveries WHEN OLD.state <> NEW.state BEGIN
     UPDATE state_counts SET count = count - 1 WHERE state = OLD.state;
     UPDATE state_counts SET count = count + 1 WHERE state = NEW.state;
   END;
   CREATE TRIGGER count_deleted AFTER DELETE ON deliveries BEGIN
     UPDATE state_counts SET count = count - 1 WHERE state = OLD.state;
   END;
