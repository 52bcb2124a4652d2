// The SQLite inbox's schema: versions applied in order at start-up; `PRAGMA user_version` records
// how many have run.
import type { DatabaseSync } from 'node:sqlite';
import { listIndexes } from '../list-query.ts';
import { migrationsAfter } from '../migrations.ts';
import { transaction } from './database.ts';

const migrations = [
  `CREATE TABLE deliveries (
     id              TEXT PRIMARY KEY,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead')),
     event_type      TEXT,
     received_at     TEXT NOT NULL,
     headers         TEXT NOT NULL,
     body            TEXT NOT NULL,
     violations      TEXT,
     ordering_key    TEXT,
     event_time      INTEGER NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     lease_owner     TEXT,
     lease_until     INTEGER,
     last_error      TEXT
   ) STRICT;
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at);
   CREATE INDEX pending_by_due_time ON deliveries (next_attempt_at) WHERE state = 'pending';
   CREATE INDEX pending_by_ordering_key ON deliveries (ordering_key, event_time) WHERE state = 'pending';`,

  `CREATE INDEX pending_in_event_order ON deliveries (event_time, id) WHERE state = 'pending';
   CREATE INDEX pending_leased_by_ordering_key ON deliveries (ordering_key) WHERE state = 'pending' AND lease_until IS NOT NULL;
   DROP INDEX pending_by_due_time;`,

  // Lanes: a row per ordering key with pending deliveries, holding its head and its lease, so that
  // a claim reads the ready lanes instead of scanning the backlog. Every delivery has a lane (a
  // delivery without an ordering key is a lane of its own), and counters by state are kept by
  // triggers in the transaction of each write.
  `CREATE TABLE deliveries_v3 (
     id              TEXT PRIMARY KEY,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead')),
     event_type      TEXT,
     received_at     TEXT NOT NULL,
     headers         TEXT NOT NULL,
     body            TEXT NOT NULL,
     violations      TEXT,
     lane            TEXT NOT NULL,
     event_time      INTEGER NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     last_error      TEXT
   ) STRICT;
   INSERT INTO deliveries_v3 (id, state, event_type, received_at, headers, body, violations, lane, event_time, attempts, next_attempt_at, last_error)
     SELECT id, state, event_type, received_at, headers, body, violations, coalesce(ordering_key, 'delivery:' || id),
            event_time, attempts, next_attempt_at, last_error
     FROM deliveries;

   CREATE TABLE lanes (
     key             TEXT PRIMARY KEY,
     head_id         TEXT NOT NULL,
     head_event_time INTEGER NOT NULL,
     head_due_at     INTEGER NOT NULL,
     status          TEXT NOT NULL CHECK (status IN ('ready', 'waiting', 'leased')),
     leased_id       TEXT,
     lease_owner     TEXT,
     lease_until     INTEGER
   ) STRICT;
   -- Each lane's head is its oldest pending delivery; its lease, the latest one taken on it.
   INSERT INTO lanes (key, head_id, head_event_time, head_due_at, status, leased_id, lease_owner, lease_until)
     SELECT head.lane, head.id, head.event_time, head.next_attempt_at,
            CASE WHEN lease.id IS NOT NULL THEN 'leased' WHEN head.next_attempt_at > 0 THEN 'waiting' ELSE 'ready' END,
            lease.id, lease.lease_owner, lease.lease_until
     FROM (SELECT lane, id, event_time, next_attempt_at,
                  row_number() OVER (PARTITION BY lane ORDER BY event_time, id) AS position
           FROM deliveries_v3 WHERE state = 'pending') AS head
     LEFT JOIN (SELECT coalesce(ordering_key, 'delivery:' || id) AS lane, id, lease_owner, lease_until,
                       row_number() OVER (PARTITION BY coalesce(ordering_key, 'delivery:' || id) ORDER BY lease_until DESC) AS position
                FROM deliveries WHERE state = 'pending' AND lease_until IS NOT NULL) AS lease
       ON lease.lane = head.lane AND lease.position = 1
     WHERE head.position = 1;

   DROP TABLE deliveries;
   ALTER TABLE deliveries_v3 RENAME TO deliveries;
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at);
   CREATE INDEX pending_by_lane ON deliveries (lane, event_time, id) WHERE state = 'pending';
   CREATE INDEX ready_lanes ON lanes (head_event_time, head_id) WHERE status = 'ready';
   CREATE INDEX waiting_lanes ON lanes (head_due_at) WHERE status = 'waiting';
   CREATE INDEX leased_lanes ON lanes (lease_until) WHERE status = 'leased';

   CREATE TABLE state_counts (state TEXT PRIMARY KEY, count INTEGER NOT NULL) STRICT;
   INSERT INTO state_counts (state, count) VALUES ('pending', 0), ('quarantined', 0), ('done', 0), ('dead', 0);
   UPDATE state_counts SET count = (SELECT count(*) FROM deliveries WHERE deliveries.state = state_counts.state);
   CREATE TRIGGER count_inserted AFTER INSERT ON deliveries BEGIN
     UPDATE state_counts SET count = count + 1 WHERE state = NEW.state;
   END;
   CREATE TRIGGER count_state_change AFTER UPDATE OF state ON deliveries WHEN OLD.state <> NEW.state BEGIN
     UPDATE state_counts SET count = count - 1 WHERE state = OLD.state;
     UPDATE state_counts SET count = count + 1 WHERE state = NEW.state;
   END;
   CREATE TRIGGER count_deleted AFTER DELETE ON deliveries BEGIN
     UPDATE state_counts SET count = count - 1 WHERE state = OLD.state;
   END;`,

  // Headers and body in a table of their own, written once: SQLite rewrites a whole row, overflow
  // pages included, on every update, so a 64 KB body kept beside the state was written to the
  // WAL again by the claim and by the settlement. The rows that change are now a few dozen bytes.
  // Lanes, small rows looked up by key, live in their key's B-tree (WITHOUT ROWID) rather than in
  // a table and an index beside it: a claim leases a lane in 5 µs instead of 7.
  `CREATE TABLE lanes_v4 (
     key             TEXT PRIMARY KEY,
     head_id         TEXT NOT NULL,
     head_event_time INTEGER NOT NULL,
     head_due_at     INTEGER NOT NULL,
     status          TEXT NOT NULL CHECK (status IN ('ready', 'waiting', 'leased')),
     leased_id       TEXT,
     lease_owner     TEXT,
     lease_until     INTEGER
   ) STRICT, WITHOUT ROWID;
   INSERT INTO lanes_v4 SELECT key, head_id, head_event_time, head_due_at, status, leased_id, lease_owner, lease_until FROM lanes;
   DROP TABLE lanes;
   ALTER TABLE lanes_v4 RENAME TO lanes;
   CREATE INDEX ready_lanes ON lanes (head_event_time, head_id) WHERE status = 'ready';
   CREATE INDEX waiting_lanes ON lanes (head_due_at) WHERE status = 'waiting';
   CREATE INDEX leased_lanes ON lanes (lease_until) WHERE status = 'leased';

   -- Readiness writes here after a write failed, to learn whether writes work again (see ProbedAvailability).
   CREATE TABLE write_probes (id INTEGER PRIMARY KEY, filler BLOB NOT NULL) STRICT;

   CREATE TABLE delivery_payloads (
     id      TEXT PRIMARY KEY,
     headers TEXT NOT NULL,
     body    TEXT NOT NULL
   ) STRICT;
   INSERT INTO delivery_payloads (id, headers, body) SELECT id, headers, body FROM deliveries;

   CREATE TABLE deliveries_v4 (
     id              TEXT PRIMARY KEY,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead')),
     event_type      TEXT,
     received_at     TEXT NOT NULL,
     violations      TEXT,
     lane            TEXT NOT NULL,
     event_time      INTEGER NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     last_error      TEXT
   ) STRICT;
   INSERT INTO deliveries_v4 (id, state, event_type, received_at, violations, lane, event_time, attempts, next_attempt_at, last_error)
     SELECT id, state, event_type, received_at, violations, lane, event_time, attempts, next_attempt_at, last_error FROM deliveries;
   DROP TABLE deliveries;
   ALTER TABLE deliveries_v4 RENAME TO deliveries;
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at);
   CREATE INDEX pending_by_lane ON deliveries (lane, event_time, id) WHERE state = 'pending';
   CREATE TRIGGER count_inserted AFTER INSERT ON deliveries BEGIN
     UPDATE state_counts SET count = count + 1 WHERE state = NEW.state;
   END;
   CREATE TRIGGER count_state_change AFTER UPDATE OF state ON deliveries WHEN OLD.state <> NEW.state BEGIN
     UPDATE state_counts SET count = count - 1 WHERE state = OLD.state;
     UPDATE state_counts SET count = count + 1 WHERE state = NEW.state;
   END;
   CREATE TRIGGER count_deleted AFTER DELETE ON deliveries BEGIN
     UPDATE state_counts SET count = count - 1 WHERE state = OLD.state;
   END;`,

  listIndexes(),

  // Every failed attempt with its error, beside the last error that the delivery keeps.
  `CREATE TABLE failed_attempts (
     delivery_id TEXT NOT NULL,
     attempt     INTEGER NOT NULL,
     failed_at   INTEGER NOT NULL,
     error       TEXT NOT NULL
   ) STRICT;
   CREATE INDEX failed_attempts_by_delivery ON failed_attempts (delivery_id);`,

  // When the forwarder's broker confirmed a delivery (milliseconds), so that a retry of its
  // handler does not publish it again.
  `ALTER TABLE deliveries ADD COLUMN forwarded_at INTEGER;`,

  // The trace a delivery belongs to (JSON propagation headers), so that every attempt joins it.
  `ALTER TABLE deliveries ADD COLUMN trace_context TEXT;`,

  // How traffic differs from the contract: one row per event type, kind, path and detail.
  `CREATE TABLE contract_drift (
     event_type    TEXT NOT NULL,
     kind          TEXT NOT NULL,
     path          TEXT NOT NULL,
     detail        TEXT NOT NULL,
     deliveries    INTEGER NOT NULL,
     first_seen_at INTEGER NOT NULL,
     last_seen_at  INTEGER NOT NULL,
     example_id    TEXT NOT NULL,
     example_value TEXT,
     PRIMARY KEY (event_type, kind, path, detail)
   ) STRICT, WITHOUT ROWID;`,

  // Inspector sessions that were signed out, until they would have expired (milliseconds).
  `CREATE TABLE ended_sessions (
     id         TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   ) STRICT, WITHOUT ROWID;`,

  // A state for quarantined deliveries set aside for good, with who did it and when. SQLite cannot
  // change a CHECK constraint in place: the table is built again, with its indexes and counters.
  `CREATE TABLE deliveries_v11 (
     id              TEXT PRIMARY KEY,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead', 'discarded')),
     event_type      TEXT,
     received_at     TEXT NOT NULL,
     violations      TEXT,
     lane            TEXT NOT NULL,
     event_time      INTEGER NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     last_error      TEXT,
     forwarded_at    INTEGER,
     trace_context   TEXT,
     discarded_at    INTEGER,
     discarded_by    TEXT
   ) STRICT;
   INSERT INTO deliveries_v11 (id, state, event_type, received_at, violations, lane, event_time, attempts, next_attempt_at, last_error,
                               forwarded_at, trace_context)
     SELECT id, state, event_type, received_at, violations, lane, event_time, attempts, next_attempt_at, last_error,
            forwarded_at, trace_context
     FROM deliveries;
   DROP TABLE deliveries;
   ALTER TABLE deliveries_v11 RENAME TO deliveries;
   CREATE INDEX pending_by_lane ON deliveries (lane, event_time, id) WHERE state = 'pending';
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at, id);
   CREATE INDEX deliveries_by_lane ON deliveries (lane);
   CREATE INDEX deliveries_by_type ON deliveries (event_type, received_at, id);
   CREATE TRIGGER count_inserted AFTER INSERT ON deliveries BEGIN
     UPDATE state_counts SET count = count + 1 WHERE state = NEW.state;
   END;
   CREATE TRIGGER count_state_change AFTER UPDATE OF state ON deliveries WHEN OLD.state <> NEW.state BEGIN
     UPDATE state_counts SET count = count - 1 WHERE state = OLD.state;
     UPDATE state_counts SET count = count + 1 WHERE state = NEW.state;
   END;
   CREATE TRIGGER count_deleted AFTER DELETE ON deliveries BEGIN
     UPDATE state_counts SET count = count - 1 WHERE state = OLD.state;
   END;
   INSERT INTO state_counts (state, count) VALUES ('discarded', 0);`,
];

/** Brings the schema up to date. */
export function migrate(db: DatabaseSync): void {
  // Each step reads the version inside its own write transaction, so that two processes
  // opening the same file at once (receiver and inbox command) never apply a step twice.
  for (;;) {
    const applied = transaction(db, () => {
      const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
      const [next] = migrationsAfter(version, migrations);
      if (next === undefined) return false;
      db.exec(next);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      return true;
    });
    if (!applied) return;
  }
}
