-- How traffic differs from the contract: one row per event type, kind, path and detail.

CREATE TABLE contract_drift (
     event_type    TEXT NOT NULL,
     kind          TEXT NOT NULL,
     path          TEXT NOT NULL,
     detail        TEXT NOT NULL,
     deliveries    INTEGER NOT NULL,
     first_seen_at INTEGER NOT NULL,
     last_seen_at  INTEGER NOT NULL,
     example_id    TEXT NOT NULL,
     example_value TEXT,
     PRIMARY KEY (event_type, kind, path, detail)
   ) STRICT, WITHOUT ROWID;
