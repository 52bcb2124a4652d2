-- The trace a delivery belongs to (JSON propagation headers), so that every attempt joins it.

ALTER TABLE deliveries ADD COLUMN trace_context TEXT;
