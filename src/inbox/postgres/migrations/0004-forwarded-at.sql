-- When the forwarder's broker confirmed a delivery (milliseconds), so that a retry of its
-- handler does not publish it again.

ALTER TABLE {schema}.deliveries ADD COLUMN forwarded_at bigint;
