-- The trace a delivery belongs to (its propagation headers), so that every attempt joins it.

ALTER TABLE {schema}.deliveries ADD COLUMN trace_context jsonb;
