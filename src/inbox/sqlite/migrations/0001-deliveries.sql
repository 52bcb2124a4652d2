-- The first schema: one row per delivery, its payload, its state and its lease.

CREATE TABLE deliveries (
     id              TEXT PRIMARY KEY,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead')),
     event_type      TEXT,
     received_at     TEXT NOT NULL,
     headers         TEXT NOT NULL,
     body            TEXT NOT NULL,
     violations      TEXT,
     ordering_key    TEXT,
     event_time      INTEGER NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     lease_owner     TEXT,
     lease_until     INTEGER,
     last_error      TEXT
   ) STRICT;
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at);
   CREATE INDEX pending_by_due_time ON deliveries (next_attempt_at) WHERE state = 'pending';
   CREATE INDEX pending_by_ordering_key ON deliveries (ordering_key, event_time) WHERE state = 'pending';
