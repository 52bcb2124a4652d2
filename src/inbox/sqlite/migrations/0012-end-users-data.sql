-- What erasure and encryption at rest need: the end user each delivery names (for erasure; taken
-- from the bodies already stored, where it is kept as it is), when it was erased, the data key
-- that sealed its payload, and the data keys themselves, kept wrapped by the operator's key. An id
-- that a lane would keep in another form (over 512 bytes, or holding NUL) is not taken from old
-- bodies: SQL cannot compute that form.

ALTER TABLE deliveries ADD COLUMN end_user_id TEXT;
   ALTER TABLE deliveries ADD COLUMN erased_at INTEGER;
   ALTER TABLE deliveries ADD COLUMN data_key_id TEXT;
   UPDATE deliveries SET end_user_id = (
     SELECT json_extract(body, '$.data.end_user_id') FROM delivery_payloads AS payloads
     WHERE payloads.id = deliveries.id AND json_valid(body) AND json_type(body, '$.data.end_user_id') = 'text'
       AND length(CAST(json_extract(body, '$.data.end_user_id') AS BLOB)) <= 512
       AND instr(json_extract(body, '$.data.end_user_id'), char(0)) = 0
   );
   CREATE INDEX deliveries_by_end_user ON deliveries (end_user_id) WHERE end_user_id IS NOT NULL;
   CREATE INDEX erased_deliveries ON deliveries (erased_at) WHERE erased_at IS NOT NULL;

   CREATE TABLE data_keys (
     id      TEXT PRIMARY KEY,
     owner   TEXT NOT NULL UNIQUE,
     wrapped TEXT NOT NULL
   ) STRICT;
