-- The indexes that keep a page of the list fast however large the inbox, at a small cost to
-- intake (list-query.ts reads through them). The state index gains the id, so that it is in list
-- order; a lane's and an event type's deliveries have an index each (a lane's are few, and sorted
-- when read). A page without a state, lane or type reads each state's newest and keeps the newest
-- of those: an index in time order alone would cost every intake another B-tree.

  DROP INDEX {schema}.deliveries_by_state;
  CREATE INDEX deliveries_by_state ON {schema}.deliveries (state, received_at, id);
  CREATE INDEX deliveries_by_lane ON {schema}.deliveries (lane);
  CREATE INDEX deliveries_by_type ON {schema}.deliveries (event_type, received_at, id);
