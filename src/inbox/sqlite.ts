import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Violation } from '../contract.ts';
import {
  deliveryStates,
  type ClaimOptions,
  type ClaimedDelivery,
  type DeliveryFilter,
  type DeliveryState,
  type Inbox,
  type NewDelivery,
  type Settlement,
  type StoreOutcome,
  type StoredDelivery,
} from './inbox.ts';

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
];

interface DeliveryRow {
  id: string;
  state: DeliveryState;
  event_type: string | null;
  received_at: string;
  headers: string;
  body: string;
  violations: string | null;
  ordering_key: string | null;
  event_time: number;
  attempts: number;
  last_error: string | null;
}

interface PendingWrite {
  write: () => unknown;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

const insertColumns = `(id, state, event_type, received_at, headers, body, violations, ordering_key, event_time)`;

export interface SqliteInboxOptions {
  /** How long a write waits for another connection's lock before it fails. */
  busyTimeoutMs?: number;
}

export class SqliteInbox implements Inbox {
  readonly #db: DatabaseSync;
  readonly #statements;
  #pendingWrites: PendingWrite[] = [];

  constructor(path: string, { busyTimeoutMs = 1000 }: SqliteInboxOptions = {}) {
    mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path, { timeout: busyTimeoutMs });
    // WAL lets readers (the inbox command, readiness) work beside the writer. synchronous=FULL
    // makes every commit fsync the WAL before it returns, so an acknowledged delivery survives a
    // power loss, not only a crash of this process.
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    this.#migrate();

    const prepare = (sql: string) => this.#db.prepare(sql);
    const settledLease = `lease_owner = NULL, lease_until = NULL`;
    const ownedBy = `WHERE id = :id AND lease_owner = :owner AND state = 'pending'`;
    this.#statements = {
      accept: prepare(
        `INSERT INTO deliveries ${insertColumns}
         VALUES (:id, 'pending', :eventType, :receivedAt, :headers, :body, NULL, :orderingKey, :eventTime)
         ON CONFLICT (id) DO UPDATE SET
           state = 'pending', event_type = excluded.event_type, received_at = excluded.received_at,
           headers = excluded.headers, body = excluded.body, violations = NULL,
           ordering_key = excluded.ordering_key, event_time = excluded.event_time
         WHERE deliveries.state = 'quarantined'`,
      ),
      quarantine: prepare(
        `INSERT INTO deliveries ${insertColumns}
         VALUES (:id, 'quarantined', :eventType, :receivedAt, :headers, :body, :violations, :orderingKey, :eventTime)
         ON CONFLICT (id) DO NOTHING`,
      ),
      get: prepare('SELECT * FROM deliveries WHERE id = ?'),
      countByState: prepare('SELECT state, count(*) AS count FROM deliveries GROUP BY state'),
      oldestPending: prepare(`SELECT min(received_at) AS oldest FROM deliveries WHERE state = 'pending'`),
      // The oldest due, unleased pending deliveries whose ordering key has no delivery that is
      // leased, or older and still pending (so one that waits for a retry holds the rest back).
      claimable: prepare(
        `SELECT id, event_type, body, received_at, attempts FROM deliveries AS d
         WHERE d.state = 'pending' AND d.next_attempt_at <= :now AND (d.lease_until IS NULL OR d.lease_until <= :now)
           AND (d.ordering_key IS NULL OR NOT EXISTS (
             SELECT 1 FROM deliveries AS o
             WHERE o.state = 'pending' AND o.ordering_key = d.ordering_key AND o.id <> d.id
               AND (o.lease_until > :now OR o.event_time < d.event_time OR (o.event_time = d.event_time AND o.id < d.id))))
         ORDER BY d.event_time, d.id
         LIMIT :limit`,
      ),
      lease: prepare('UPDATE deliveries SET lease_owner = :owner, lease_until = :until, attempts = attempts + 1 WHERE id = :id'),
      done: prepare(`UPDATE deliveries SET state = 'done', ${settledLease}, last_error = NULL ${ownedBy}`),
      retry: prepare(`UPDATE deliveries SET ${settledLease}, last_error = :error, next_attempt_at = :retryAt ${ownedBy}`),
      dead: prepare(`UPDATE deliveries SET state = 'dead', ${settledLease}, last_error = :error ${ownedBy}`),
      released: prepare(`UPDATE deliveries SET ${settledLease}, attempts = attempts - 1 ${ownedBy}`),
      requeue: prepare(
        `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = 0, ${settledLease},
           last_error = NULL, violations = NULL
         WHERE id = ? AND state IN ('dead', 'quarantined', 'done')`,
      ),
      updateViolations: prepare(`UPDATE deliveries SET violations = ? WHERE id = ? AND state = 'quarantined'`),
      ping: prepare('SELECT 1'),
    };
  }

  accept(delivery: NewDelivery): Promise<StoreOutcome> {
    const parameters = toParameters(delivery);
    return this.#groupCommit(() => (this.#statements.accept.run(parameters).changes === 1 ? 'stored' : 'duplicate'));
  }

  quarantine(delivery: NewDelivery, violations: Violation[]): Promise<StoreOutcome> {
    const parameters = { ...toParameters(delivery), violations: JSON.stringify(violations) };
    return this.#groupCommit(() => (this.#statements.quarantine.run(parameters).changes === 1 ? 'stored' : 'duplicate'));
  }

  /**
   * Group commit: the writes requested while the event loop was busy (one per concurrent
   * request, the dispatcher's claims and settlements) share one transaction, so one fsync makes
   * all of them durable. Every promise resolves only after that commit, and all of them reject
   * if it fails.
   */
  #groupCommit<T>(write: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#pendingWrites.push({ write, resolve: resolve as (result: unknown) => void, reject });
      if (this.#pendingWrites.length === 1) setImmediate(() => this.#commitPendingWrites());
    });
  }

  #commitPendingWrites(): void {
    const writes = this.#pendingWrites;
    this.#pendingWrites = [];
    let results: unknown[];
    try {
      results = this.#transaction(() => writes.map(({ write }) => write()));
    } catch (error) {
      for (const { reject } of writes) reject(error);
      return;
    }
    writes.forEach(({ resolve }, index) => resolve(results[index]));
  }

  async get(id: string): Promise<StoredDelivery | undefined> {
    const row = this.#statements.get.get(id) as DeliveryRow | undefined;
    return row && fromRow(row);
  }

  async list({ state, eventType, since, limit }: DeliveryFilter): Promise<StoredDelivery[]> {
    const conditions: string[] = [];
    const parameters: Record<string, string | number> = { limit };
    if (state) (conditions.push('state = :state'), (parameters['state'] = state));
    if (eventType) (conditions.push('event_type = :eventType'), (parameters['eventType'] = eventType));
    if (since) (conditions.push('received_at >= :since'), (parameters['since'] = since.toISOString()));
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = this.#db.prepare(`SELECT * FROM deliveries ${where} ORDER BY received_at DESC LIMIT :limit`).all(parameters);
    return (rows as unknown as DeliveryRow[]).map(fromRow);
  }

  async countByState(): Promise<Record<DeliveryState, number>> {
    const counts = Object.fromEntries(deliveryStates.map((state) => [state, 0])) as Record<DeliveryState, number>;
    for (const { state, count } of this.#statements.countByState.all() as { state: DeliveryState; count: number }[]) {
      counts[state] = count;
    }
    return counts;
  }

  async oldestPending(): Promise<Date | undefined> {
    const { oldest } = this.#statements.oldestPending.get() as { oldest: string | null };
    return oldest === null ? undefined : new Date(oldest);
  }

  claim({ owner, limit, leaseMs, now = new Date() }: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.#groupCommit(() => {
      const rows = this.#statements.claimable.all({ now: now.getTime(), limit }) as {
        id: string;
        event_type: string | null;
        body: string;
        received_at: string;
        attempts: number;
      }[];
      const until = now.getTime() + leaseMs;
      for (const { id } of rows) this.#statements.lease.run({ id, owner, until });
      return rows.map((row) => ({
        id: row.id,
        eventType: row.event_type,
        body: row.body,
        receivedAt: new Date(row.received_at),
        attempt: row.attempts + 1,
      }));
    });
  }

  settle(owner: string, settlements: Settlement[]): Promise<void> {
    return this.#groupCommit(() => {
      for (const settlement of settlements) {
        const { id } = settlement;
        switch (settlement.outcome) {
          case 'done':
          case 'released':
            this.#statements[settlement.outcome].run({ id, owner });
            break;
          case 'retry':
            this.#statements.retry.run({ id, owner, error: settlement.error, retryAt: settlement.retryAt.getTime() });
            break;
          case 'dead':
            this.#statements.dead.run({ id, owner, error: settlement.error });
            break;
        }
      }
    });
  }

  requeue(ids: string[]): Promise<number> {
    return this.#groupCommit(() => ids.reduce((count, id) => count + Number(this.#statements.requeue.run(id).changes), 0));
  }

  updateViolations(id: string, violations: Violation[]): Promise<void> {
    return this.#groupCommit(() => {
      this.#statements.updateViolations.run(JSON.stringify(violations), id);
    });
  }

  async ping(): Promise<void> {
    this.#statements.ping.get();
  }

  async close(): Promise<void> {
    if (!this.#db.isOpen) return;
    if (this.#pendingWrites.length > 0) this.#commitPendingWrites();
    this.#db.close();
  }

  /** Runs `work` in one write transaction: one commit, one fsync. */
  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #migrate(): void {
    // Each step reads the version inside its own write transaction, so that two processes
    // opening the same file at once (receiver and inbox command) never apply a step twice.
    for (;;) {
      const applied = this.#transaction(() => {
        const { user_version: version } = this.#db.prepare('PRAGMA user_version').get() as { user_version: number };
        if (version > migrations.length) {
          throw new Error(`The inbox has schema version ${version}; this version of ada-webhooks knows ${migrations.length}.`);
        }
        const next = migrations[version];
        if (next === undefined) return false;
        this.#db.exec(next);
        this.#db.exec(`PRAGMA user_version = ${version + 1}`);
        return true;
      });
      if (!applied) return;
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
    orderingKey: delivery.orderingKey,
    eventTime: delivery.eventTime ?? delivery.receivedAt.getTime(),
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
    orderingKey: row.ordering_key,
    eventTime: row.event_time,
    violations: row.violations ? (JSON.parse(row.violations) as Violation[]) : [],
    attempts: row.attempts,
    lastError: row.last_error,
  };
}
