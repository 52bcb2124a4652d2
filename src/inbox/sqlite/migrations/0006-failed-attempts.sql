-- Every failed attempt with its error, beside the last error that the delivery keeps.

CREATE TABLE failed_attempts (
     delivery_id TEXT NOT NULL,
     attempt     INTEGER NOT NULL,
     failed_at   INTEGER NOT NULL,
     error       TEXT NOT NULL
   ) STRICT;
   CREATE INDEX failed_attempts_by_delivery ON failed_attempts (delivery_id);
