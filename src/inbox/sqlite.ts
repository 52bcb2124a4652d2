import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Violation } from '../contract.ts';
import { deliveryStates, type DeliveryFilter, type DeliveryState, type Inbox, type NewDelivery, type StoreOutcome, type StoredDelivery } from './inbox.ts';

/** Schema versions, applied in order; `PRAGMA user_version` records how many have run. */
const migrations = [
  `CREATE TABLE deliveries (
     id          TEXT PRIMARY KEY,
     state       TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'done', 'dead')),
     event_type  TEXT,
     received_at TEXT NOT NULL,
     headers     TEXT NOT NULL,
     body        TEXT NOT NULL,
     violations  TEXT
   ) STRICT;
   CREATE INDEX deliveries_by_state ON deliveries (state, received_at);`,
];

interface DeliveryRow {
  id: string;
  state: DeliveryState;
  event_type: string | null;
  received_at: string;
  headers: string;
  body: string;
  violations: string | null;
}

export interface SqliteInboxOptions {
  /** How long a write waits for another connection's lock before it fails. */
  busyTimeoutMs?: number;
}

export class SqliteInbox implements Inbox {
  readonly #db: DatabaseSync;
  readonly #insert;
  readonly #insertQuarantined;
  readonly #select;

  constructor(path: string, { busyTimeoutMs = 1000 }: SqliteInboxOptions = {}) {
    mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path, { timeout: busyTimeoutMs });
    // WAL lets readers (the inbox command, readiness) work beside the writer. synchronous=FULL
    // makes every commit fsync the WAL before it returns, so an acknowledged delivery survives a
    // power loss, not only a crash of this process.
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    this.#migrate();

    this.#insert = this.#db.prepare(
      `INSERT INTO deliveries (id, state, event_type, received_at, headers, body, violations)
       VALUES (:id, 'pending', :eventType, :receivedAt, :headers, :body, NULL)
       ON CONFLICT (id) DO UPDATE SET
         state = 'pending', event_type = excluded.event_type, received_at = excluded.received_at,
         headers = excluded.headers, body = excluded.body, violations = NULL
       WHERE deliveries.state = 'quarantined'`,
    );
    this.#insertQuarantined = this.#db.prepare(
      `INSERT INTO deliveries (id, state, event_type, received_at, headers, body, violations)
       VALUES (:id, 'quarantined', :eventType, :receivedAt, :headers, :body, :violations)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.#select = this.#db.prepare('SELECT * FROM deliveries WHERE id = ?');
  }

  async accept(delivery: NewDelivery): Promise<StoreOutcome> {
    return this.#insert.run(toParameters(delivery)).changes === 1 ? 'stored' : 'duplicate';
  }

  async quarantine(delivery: NewDelivery, violations: Violation[]): Promise<StoreOutcome> {
    const parameters = { ...toParameters(delivery), violations: JSON.stringify(violations) };
    return this.#insertQuarantined.run(parameters).changes === 1 ? 'stored' : 'duplicate';
  }

  async get(id: string): Promise<StoredDelivery | undefined> {
    const row = this.#select.get(id) as DeliveryRow | undefined;
    return row && fromRow(row);
  }

  async list({ state, limit }: DeliveryFilter): Promise<StoredDelivery[]> {
    const rows = state
      ? this.#db.prepare('SELECT * FROM deliveries WHERE state = ? ORDER BY received_at DESC LIMIT ?').all(state, limit)
      : this.#db.prepare('SELECT * FROM deliveries ORDER BY received_at DESC LIMIT ?').all(limit);
    return (rows as unknown as DeliveryRow[]).map(fromRow);
  }

  async countByState(): Promise<Record<DeliveryState, number>> {
    const counts = Object.fromEntries(deliveryStates.map((state) => [state, 0])) as Record<DeliveryState, number>;
    const rows = this.#db.prepare('SELECT state, count(*) AS count FROM deliveries GROUP BY state').all();
    for (const { state, count } of rows as { state: DeliveryState; count: number }[]) counts[state] = count;
    return counts;
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  #migrate(): void {
    // Each step reads the version inside its own write transaction, so that two processes
    // opening the same file at once (receiver and inbox command) never apply a step twice.
    for (;;) {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const { user_version: applied } = this.#db.prepare('PRAGMA user_version').get() as { user_version: number };
        if (applied > migrations.length) {
          throw new Error(`The inbox has schema version ${applied}; this version of ada-webhooks knows ${migrations.length}.`);
        }
        const next = migrations[applied];
        if (next !== undefined) {
          this.#db.exec(next);
          this.#db.exec(`PRAGMA user_version = ${applied + 1}`);
        }
        this.#db.exec('COMMIT');
        if (next === undefined) return;
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    }
  }
}

function toParameters(delivery: NewDelivery) {
  return {
    id: delivery.id,
    eventType: delivery.eventType,
    receivedAt: delivery.receivedAt.toISOString(),
    headers: JSON.stringify(delivery.headers),
    body: delivery.body,
  };
}

function fromRow(row: DeliveryRow): StoredDelivery {
  return {
    id: row.id,
    state: row.state,
    eventType: row.event_type,
    receivedAt: new Date(row.received_at),
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    violations: row.violations ? (JSON.parse(row.violations) as Violation[]) : [],
  };
}
