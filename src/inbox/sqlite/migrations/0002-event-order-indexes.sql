-- Claims read pending deliveries in event order, and the leased ones by ordering key.

CREATE INDEX pending_in_event_order ON deliveries (event_time, id) WHERE state = 'pending';
   CREATE INDEX pending_leased_by_ordering_key ON deliveries (ordering_key) WHERE state = 'pending' AND lease_until IS NOT NULL;
   DROP INDEX pending_by_due_time;
