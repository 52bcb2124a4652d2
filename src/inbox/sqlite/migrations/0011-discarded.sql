-- A state for quarantined deliveries set aside for good, with who did it and when. SQLite cannot
-- change a CHECK constraint in place: the table is built again, with its indexes and counters.

CREATE TABLE deliveries_v11 (
     id              TEXT PRIMARY KEY,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead', 'discarded')),
     event_type      TEXT,
     received_at     TEXT NOT NULL,
     violations      TEXT,
     lane            TEXT NOT NULL,
     event_time      INTEGER NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     last_error      TEXT,
     forwarded_at    INTEGER,
     trace_context   TEXT,
     discarded_at    INTEGER,
     discarded_by    TEXT
   ) STRICT;
   INSERT INTO deliveries_v11 (id, state, event_type, received_at, violations, lane, event_time, attempts, next_attempt_at, last_error,
                               forwarded_at, trace_context)
     SELECT id, state, event_type, received_at, violations, lane, event_time, attempts, next_attempt_at, last_error,
            forwarded_at, trace_context
     FROM deliveries;
   DROP TABLE deliveries;
   ALTER TABLE deliveries_v11 RENAME TO deliveries;
   CREATE INDEX pending_by_lane ON deliveries (lane, event_time, id) WHERE state = 'pending';
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at, id);
   CREATE INDEX deliveries_by_lane ON deliveries (lane);
   CREATE INDEX deliveries_by_type ON deliveries (event_type, received_at, id);
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
   INSERT INTO state_counts (state, count) VALUES ('discarded', 0);
