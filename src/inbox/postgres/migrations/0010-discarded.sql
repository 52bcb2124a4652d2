-- A state for quarantined deliveries set aside for good, with who did it and when. The wider
-- check needs no scan of the rows: each passed the narrower one.

ALTER TABLE {schema}.deliveries DROP CONSTRAINT deliveries_state_check;
   ALTER TABLE {schema}.deliveries ADD CONSTRAINT deliveries_state_check
     CHECK (state IN ('pending', 'quarantined', 'done', 'dead', 'discarded')) NOT VALID;
   ALTER TABLE {schema}.deliveries ADD COLUMN discarded_at bigint, ADD COLUMN discarded_by text;
