// Every write the inbox makes, as plain data (so that it can cross to the writer thread) and as
// the statements that carry it out.
import type { DatabaseSync } from 'node:sqlite';
import type { Violation } from '../contract.ts';
import type { ClaimOptions, ClaimedDelivery, NewDelivery, Settlement, StoreOutcome } from './inbox.ts';

export type WriteOperation =
  | { kind: 'accept'; delivery: NewDelivery }
  | { kind: 'quarantine'; delivery: NewDelivery; violations: Violation[] }
  | { kind: 'claim'; options: Required<ClaimOptions> }
  | { kind: 'settle'; owner: string; settlements: Settlement[] }
  | { kind: 'requeue'; ids: string[] }
  | { kind: 'updateViolations'; id: string; violations: Violation[] };

/** What each kind of write returns. */
export interface WriteResults {
  accept: StoreOutcome;
  quarantine: StoreOutcome;
  claim: ClaimedDelivery[];
  settle: void;
  requeue: number;
  updateViolations: void;
}

const insertColumns = `(id, state, event_type, received_at, headers, body, violations, ordering_key, event_time)`;
const settledLease = `lease_owner = NULL, lease_until = NULL`;
const ownedBy = `WHERE id = :id AND lease_owner = :owner AND state = 'pending'`;

export class SqliteWrites {
  readonly #statements;

  constructor(db: DatabaseSync) {
    const prepare = (sql: string) => db.prepare(sql);
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
      // The oldest due, unleased pending deliveries whose ordering key has no delivery that is
      // older and still pending (so one that waits for a retry holds the rest back) or leased.
      // INDEXED BY: without statistics the planner would sort every pending row on each claim.
      claimable: prepare(
        `SELECT id, event_type, body, received_at, attempts FROM deliveries AS d INDEXED BY pending_in_event_order
         WHERE d.state = 'pending' AND d.next_attempt_at <= :now AND (d.lease_until IS NULL OR d.lease_until <= :now)
           AND (d.ordering_key IS NULL OR (
             NOT EXISTS (
               SELECT 1 FROM deliveries AS o
               WHERE o.state = 'pending' AND o.ordering_key = d.ordering_key
                 AND o.event_time <= d.event_time AND (o.event_time < d.event_time OR o.id < d.id))
             AND NOT EXISTS (
               SELECT 1 FROM deliveries AS o
               WHERE o.state = 'pending' AND o.lease_until IS NOT NULL AND o.ordering_key = d.ordering_key
                 AND o.lease_until > :now AND o.id <> d.id)))
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
    };
  }

  /** Carries out one write; the caller wraps a batch of them in one transaction. */
  apply(operation: WriteOperation): WriteResults[WriteOperation['kind']] {
    const statements = this.#statements;
    switch (operation.kind) {
      case 'accept':
        return statements.accept.run(toParameters(operation.delivery)).changes === 1 ? 'stored' : 'duplicate';
      case 'quarantine': {
        const parameters = { ...toParameters(operation.delivery), violations: JSON.stringify(operation.violations) };
        return statements.quarantine.run(parameters).changes === 1 ? 'stored' : 'duplicate';
      }
      case 'claim':
        return this.#claim(operation.options);
      case 'settle':
        for (const settlement of operation.settlements) this.#settle(operation.owner, settlement);
        return;
      case 'requeue':
        return operation.ids.reduce((count, id) => count + Number(statements.requeue.run(id).changes), 0);
      case 'updateViolations':
        statements.updateViolations.run(JSON.stringify(operation.violations), operation.id);
        return;
    }
  }

  #claim({ owner, limit, leaseMs, now }: Required<ClaimOptions>): ClaimedDelivery[] {
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
  }

  #settle(owner: string, settlement: Settlement): void {
    const { id } = settlement;
    switch (settlement.outcome) {
      case 'done':
      case 'released':
        this.#statements[settlement.outcome].run({ id, owner });
        return;
      case 'retry':
        this.#statements.retry.run({ id, owner, error: settlement.error, retryAt: settlement.retryAt.getTime() });
        return;
      case 'dead':
        this.#statements.dead.run({ id, owner, error: settlement.error });
        return;
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
