-- Every failed attempt with its error, beside the last error that the delivery keeps.

CREATE TABLE {schema}.failed_attempts (
     delivery_id text NOT NULL,
     attempt     integer NOT NULL,
     failed_at   bigint NOT NULL,
     error       text NOT NULL
   );
   CREATE INDEX failed_attempts_by_delivery ON {schema}.failed_attempts (delivery_id);
