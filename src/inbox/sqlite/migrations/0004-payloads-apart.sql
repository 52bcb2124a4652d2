-- Headers and body in a table of their own, written once: SQLite rewrites a whole row, overflow
-- pages included, on every update, so a large body kept beside the state was written to the WAL
-- again by the claim and by the settlement. The rows that change are now a few dozen bytes.
-- Lanes, small rows looked up by key, live in their key's B-tree (WITHOUT ROWID) rather than in
-- a table and an index beside it, which a claim would read both of.

CREATE TABLE lanes_v4 (
     key             TEXT PRIMARY KEY,
     head_id         TEXT NOT NULL,
     head_event_time INTEGER NOT NULL,
     head_due_at     INTEGER NOT NULL,
     status          TEXT NOT NULL CHECK (status IN ('ready', 'waiting', 'leased')),
     leased_id       TEXT,
     lease_owner     TEXT,
     lease_until     INTEGER
   ) STRICT, WITHOUT ROWID;
   INSERT INTO lanes_v4 SELECT key, head_id, head_event_time, head_due_at, status, leased_id, lease_owner, lease_until FROM lanes;
   DROP TABLE lanes;
   ALTER TABLE lanes_v4 RENAME TO lanes;
   CREATE INDEX ready_lanes ON lanes (head_event_time, head_id) WHERE status = 'ready';
   CREATE INDEX waiting_lanes ON lanes (head_due_at) WHERE status = 'waiting';
   CREATE INDEX leased_lanes ON lanes (lease_until) WHERE status = 'leased';

   -- Readiness writes here after a write failed, to learn whether writes work again (see ProbedAvailability).
   CREATE TABLE write_probes (id INTEGER PRIMARY KEY, filler BLOB NOT NULL) STRICT;

   CREATE TABLE delivery_payloads (
     id      TEXT PRIMARY KEY,
     headers TEXT NOT NULL,
     body    TEXT NOT NULL
   ) STRICT;
   INSERT INTO delivery_payloads (id, headers, body) SELECT id, headers, body FROM deliveries;

   CREATE TABLE deliveries_v4 (
     id              TEXT PRIMARY KEY,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead')),
     event_type      TEXT,
     received_at     TEXT NOT NULL,
     violations      TEXT,
     lane            TEXT NOT NULL,
     event_time      INTEGER NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     last_error      TEXT
   ) STRICT;
   INSERT INTO deliveries_v4 (id, state, event_type, received_at, violations, lane, event_time, attempts, next_attempt_at, last_error)
     SELECT id, state, event_type, received_at, violations, lane, event_time, attempts, next_attempt_at, last_error FROM deliveries;
   DROP TABLE deliveries;
   ALTER TABLE deliveries_v4 RENAME TO deliveries;
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at);
   CREATE INDEX pending_by_lane ON deliveries (lane, event_time, id) WHERE state = 'pending';
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
