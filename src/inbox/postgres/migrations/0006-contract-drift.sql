-- How traffic differs from the contract: one row per event type, kind, path and detail.

CREATE TABLE {schema}.contract_drift (
     event_type    text NOT NULL,
     kind          text NOT NULL,
     path          text NOT NULL,
     detail        text NOT NULL,
     deliveries    bigint NOT NULL,
     first_seen_at bigint NOT NULL,
     last_seen_at  bigint NOT NULL,
     example_id    text NOT NULL,
     example_value text,
     PRIMARY KEY (event_type, kind, path, detail)
   );
