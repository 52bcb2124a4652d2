// Opening the SQLite file, its schema and its transactions: shared by the inbox's reading
// connection and its writer thread.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Schema versions, applied in order; `PRAGMA user_version` records how many have run. */
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
  // Claims walk pending deliveries in event order and stop at the limit, instead of sorting the
  // whole backlog on every claim (100 ms per claim with 100,000 pending); the leased ones are
  // indexed apart, so that checking a conversation for a delivery in flight is one lookup.
  `CREATE INDEX pending_in_event_order ON deliveries (event_time, id) WHERE state = 'pending';
   CREATE INDEX pending_leased_by_ordering_key ON deliveries (ordering_key) WHERE state = 'pending' AND lease_until IS NOT NULL;
   DROP INDEX pending_by_due_time;`,
];

export function openDatabase(path: string, busyTimeoutMs: number): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: busyTimeoutMs });
  // WAL lets readers (the inbox command, readiness) work beside the writer. synchronous=FULL
  // makes every commit fsync the WAL before it returns, so an acknowledged delivery survives a
  // power loss, not only a crash of this process.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
  return db;
}

/** Runs `work` in one write transaction: one commit, one fsync. */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Brings the schema up to date. */
export function migrate(db: DatabaseSync): void {
  // Each step reads the version inside its own write transaction, so that two processes
  // opening the same file at once (receiver and inbox command) never apply a step twice.
  for (;;) {
    const applied = transaction(db, () => {
      const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
      if (version > migrations.length) {
        throw new Error(`The inbox has schema version ${version}; this version of ada-webhooks knows ${migrations.length}.`);
      }
      const next = migrations[version];
      if (next === undefined) return false;
      db.exec(next);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      return true;
    });
    if (!applied) return;
  }
}
