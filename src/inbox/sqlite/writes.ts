// The SQLite inbox's rules: every write it makes, as plain data (so that it can cross to the
// writer thread) and as the statements that carry it out. Dedupe by delivery id, lanes and their
// leases, retries, states; the counters by state follow from the triggers of schema.ts.
import type { DatabaseSync } from 'node:sqlite';
import type { Violation } from '../../contract/validation.ts';
import type { ClaimOptions, ClaimedDelivery, DriftSummary, NewDelivery, PurgeableState, Settlement, StoreOutcome } from '../inbox.ts';
import { derivedFields } from '../ordering.ts';
import { timeOrNull, traceContextColumn, traceContextOf } from '../rows.ts';

/** A new delivery as the columns of its row. */
interface NewRow {
  id: string;
  eventType: string | null;
  receivedAt: string;
  headers: string;
  body: string;
  lane: string;
  eventTime: number;
  traceContext: string | null;
}

export function newRow(delivery: NewDelivery): NewRow {
  const { eventType, lane, eventTime } = derivedFields(delivery);
  const { id, receivedAt, headers, body } = delivery;
  const traceContext = traceContextColumn(delivery.traceContext);
  return { id, eventType, receivedAt: receivedAt.toISOString(), headers: JSON.stringify(headers), body, lane, eventTime, traceContext };
}

/** A delivery to requeue, and the trace context column it takes (none: it keeps its own). */
interface RequeueRow {
  id: string;
  traceContext: string | null;
}

export type WriteOperation =
  | { kind: 'accept'; row: NewRow }
  | { kind: 'quarantine'; row: NewRow; violations: Violation[] }
  | { kind: 'claim'; options: Required<ClaimOptions> }
  | { kind: 'settle'; owner: string; settlements: Settlement[]; now: Date }
  | { kind: 'requeue'; deliveries: RequeueRow[] }
  | { kind: 'updateViolations'; id: string; violations: Violation[] }
  | { kind: 'purge'; state: PurgeableState; receivedBefore: string; limit: number }
  | { kind: 'recordDrift'; summaries: readonly DriftSummary[] }
  | { kind: 'probe' };

/** What each kind of write returns. */
export interface WriteResults {
  accept: StoreOutcome;
  quarantine: StoreOutcome;
  claim: ClaimedDelivery[];
  settle: void;
  requeue: number;
  updateViolations: void;
  purge: number;
  recordDrift: void;
  probe: void;
}

const insertColumns = `(id, state, event_type, received_at, violations, lane, event_time, trace_context)`;

const statements = {
  accept: `INSERT INTO deliveries ${insertColumns}
           VALUES (:id, 'pending', :eventType, :receivedAt, NULL, :lane, :eventTime, :traceContext)
           ON CONFLICT (id) DO UPDATE SET
             state = 'pending', event_type = excluded.event_type, received_at = excluded.received_at,
             violations = NULL, lane = excluded.lane, event_time = excluded.event_time, trace_context = excluded.trace_context
           WHERE deliveries.state = 'quarantined'`,
  quarantine: `INSERT INTO deliveries ${insertColumns}
               VALUES (:id, 'quarantined', :eventType, :receivedAt, :violations, :lane, :eventTime, :traceContext)
               ON CONFLICT (id) DO NOTHING`,
  // The payload of a delivery just stored, or of the valid copy that replaces a quarantined one.
  storePayload: `INSERT INTO delivery_payloads (id, headers, body) VALUES (:id, :headers, :body)
                 ON CONFLICT (id) DO UPDATE SET headers = excluded.headers, body = excluded.body`,
  // A delivery that becomes pending heads its lane when the lane is new or its event is older
  // than the head's (a late older event goes first). A leased lane stays leased: the head in
  // flight finishes before the new head runs.
  joinLane: `INSERT INTO lanes (key, head_id, head_event_time, head_due_at, status) VALUES (:lane, :id, :eventTime, 0, 'ready')
             ON CONFLICT (key) DO UPDATE SET
               head_id = excluded.head_id, head_event_time = excluded.head_event_time, head_due_at = 0,
               status = CASE WHEN status = 'leased' THEN 'leased' ELSE 'ready' END
             WHERE (excluded.head_event_time, excluded.head_id) < (head_event_time, head_id)`,
  // Before each claim: lanes whose head's retry is due, and lanes whose lease ran out (a crashed
  // or hung dispatcher), become ready. The lease stays recorded until the lane is claimed again,
  // so that a late owner can still settle the attempt it finished.
  readyWhenDue: `UPDATE lanes SET status = 'ready' WHERE status = 'waiting' AND head_due_at <= :now`,
  readyWhenLeaseRanOut: `UPDATE lanes SET status = 'ready' WHERE status = 'leased' AND lease_until <= :now`,
  // Then the oldest heads of ready lanes are leased, one lane at a time (by key, about half the
  // cost of one UPDATE ... WHERE key IN (SELECT ...) RETURNING for all of them).
  readyLanes: `SELECT key, head_id FROM lanes WHERE status = 'ready' ORDER BY head_event_time, head_id LIMIT :limit`,
  leaseLane: `UPDATE lanes SET status = 'leased', leased_id = head_id, lease_owner = :owner, lease_until = :until WHERE key = :key`,
  startAttempt: `UPDATE deliveries SET attempts = attempts + 1 WHERE id = ? RETURNING id, event_type, received_at, attempts, forwarded_at, trace_context`,
  body: `SELECT body FROM delivery_payloads WHERE id = ?`,
  leasedLane: `SELECT lanes.key FROM deliveries JOIN lanes ON lanes.key = deliveries.lane
               WHERE deliveries.id = :id AND lanes.leased_id = :id AND lanes.lease_owner = :owner`,
  done: `UPDATE deliveries SET state = 'done', last_error = NULL, forwarded_at = coalesce(forwarded_at, :forwardedAt) WHERE id = :id`,
  retry: `UPDATE deliveries SET last_error = :error, next_attempt_at = :retryAt, forwarded_at = coalesce(forwarded_at, :forwardedAt)
          WHERE id = :id`,
  dead: `UPDATE deliveries SET state = 'dead', last_error = :error, forwarded_at = coalesce(forwarded_at, :forwardedAt) WHERE id = :id`,
  // After a retry or a dead end: the attempt that failed, numbered as it was claimed.
  recordFailure: `INSERT INTO failed_attempts (delivery_id, attempt, failed_at, error)
                  SELECT id, attempts, :failedAt, :error FROM deliveries WHERE id = :id`,
  released: `UPDATE deliveries SET attempts = attempts - 1, forwarded_at = coalesce(forwarded_at, :forwardedAt) WHERE id = :id`,
  // After its lease is settled, a lane's head is its oldest pending delivery, or the lane is gone.
  nextHead: `SELECT id, event_time, next_attempt_at FROM deliveries WHERE lane = ? AND state = 'pending' ORDER BY event_time, id LIMIT 1`,
  moveLane: `UPDATE lanes SET head_id = :id, head_event_time = :eventTime, head_due_at = :dueAt,
               status = CASE WHEN :dueAt <= :now THEN 'ready' ELSE 'waiting' END,
               leased_id = NULL, lease_owner = NULL, lease_until = NULL
             WHERE key = :lane`,
  removeLane: `DELETE FROM lanes WHERE key = ?`,
  requeue: `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, violations = NULL, forwarded_at = NULL,
              trace_context = coalesce(:traceContext, trace_context)
            WHERE id = :id AND state IN ('dead', 'quarantined', 'done')
            RETURNING lane, event_time`,
  updateViolations: `UPDATE deliveries SET violations = ? WHERE id = ? AND state = 'quarantined'`,
  // A purge's batch, oldest first through the state index; then the rows that belong to each.
  purged: `DELETE FROM deliveries WHERE id IN (
             SELECT id FROM deliveries WHERE state = :state AND received_at < :receivedBefore ORDER BY received_at LIMIT :limit
           ) RETURNING id`,
  purgePayloads: `DELETE FROM delivery_payloads WHERE id IN (SELECT value FROM json_each(?))`,
  purgeFailedAttempts: `DELETE FROM failed_attempts WHERE delivery_id IN (SELECT value FROM json_each(?))`,
  recordDrift: `INSERT INTO contract_drift (event_type, kind, path, detail, deliveries, first_seen_at, last_seen_at, example_id, example_value)
                VALUES (:eventType, :kind, :path, :detail, :deliveries, :firstSeenAt, :lastSeenAt, :exampleId, :exampleValue)
                ON CONFLICT (event_type, kind, path, detail) DO UPDATE SET
                  deliveries = deliveries + excluded.deliveries,
                  first_seen_at = min(first_seen_at, excluded.first_seen_at),
                  last_seen_at = max(last_seen_at, excluded.last_seen_at)`,
  // As much as a large delivery needs: a write that fits in pages already allocated would succeed
  // on a full disk.
  probe: `INSERT INTO write_probes (filler) VALUES (zeroblob(65536))`,
  clearProbes: `DELETE FROM write_probes`,
};

type StatementName = keyof typeof statements;

interface ClaimedRow {
  id: string;
  event_type: string | null;
  received_at: string;
  attempts: number;
  forwarded_at: number | null;
  trace_context: string | null;
}

export class SqliteWrites {
  readonly #statements;

  constructor(db: DatabaseSync) {
    const prepared = Object.entries(statements).map(([name, sql]) => [name, db.prepare(sql)]);
    this.#statements = Object.fromEntries(prepared) as Record<StatementName, ReturnType<DatabaseSync['prepare']>>;
  }

  /** Carries out one write; the caller wraps a batch of them in one transaction. */
  apply(operation: WriteOperation): WriteResults[WriteOperation['kind']] {
    const statements = this.#statements;
    switch (operation.kind) {
      case 'accept': {
        const { id, eventType, receivedAt, headers, body, lane, eventTime, traceContext } = operation.row;
        if (statements.accept.run({ id, eventType, receivedAt, lane, eventTime, traceContext }).changes === 0) return 'duplicate';
        statements.storePayload.run({ id, headers, body });
        this.#joinLane(lane, id, eventTime);
        return 'stored';
      }
      case 'quarantine': {
        const { id, eventType, receivedAt, headers, body, lane, eventTime, traceContext } = operation.row;
        const violations = JSON.stringify(operation.violations);
        if (statements.quarantine.run({ id, eventType, receivedAt, violations, lane, eventTime, traceContext }).changes === 0) {
          return 'duplicate';
        }
        statements.storePayload.run({ id, headers, body });
        return 'stored';
      }
      case 'claim':
        return this.#claim(operation.options);
      case 'settle':
        for (const settlement of operation.settlements) this.#settle(operation.owner, settlement, operation.now);
        return;
      case 'requeue':
        return operation.deliveries.reduce((count, delivery) => count + this.#requeue(delivery), 0);
      case 'updateViolations':
        statements.updateViolations.run(JSON.stringify(operation.violations), operation.id);
        return;
      case 'purge': {
        const { state, receivedBefore, limit } = operation;
        const purged = (statements.purged.all({ state, receivedBefore, limit }) as { id: string }[]).map(({ id }) => id);
        statements.purgePayloads.run(JSON.stringify(purged));
        statements.purgeFailedAttempts.run(JSON.stringify(purged));
        return purged.length;
      }
      case 'recordDrift':
        for (const { eventType, kind, path, detail, deliveries, firstSeenAt, lastSeenAt, exampleId, exampleValue } of operation.summaries) {
          const seen = { firstSeenAt: firstSeenAt.getTime(), lastSeenAt: lastSeenAt.getTime() };
          statements.recordDrift.run({ eventType, kind, path, detail, deliveries, exampleId, exampleValue, ...seen });
        }
        return;
      case 'probe':
        statements.probe.run();
        statements.clearProbes.run();
        return;
    }
  }

  #joinLane(lane: string, id: string, eventTime: number): void {
    this.#statements.joinLane.run({ lane, id, eventTime });
  }

  #claim({ owner, limit, leaseMs, now }: Required<ClaimOptions>): ClaimedDelivery[] {
    const statements = this.#statements;
    const at = now.getTime();
    statements.readyWhenDue.run({ now: at });
    statements.readyWhenLeaseRanOut.run({ now: at });
    const heads = statements.readyLanes.all({ limit }) as { key: string; head_id: string }[];
    return heads.map(({ key, head_id }) => {
      statements.leaseLane.run({ owner, until: at + leaseMs, key });
      const row = statements.startAttempt.get(head_id) as unknown as ClaimedRow;
      const { body } = statements.body.get(head_id) as { body: string };
      return {
        id: row.id,
        eventType: row.event_type,
        body,
        receivedAt: new Date(row.received_at),
        lane: key,
        attempt: row.attempts,
        forwardedAt: timeOrNull(row.forwarded_at),
        traceContext: traceContextOf(row.trace_context),
      };
    });
  }

  #settle(owner: string, settlement: Settlement, now: Date): void {
    const statements = this.#statements;
    const { id } = settlement;
    const lane = statements.leasedLane.get({ id, owner }) as { key: string } | undefined;
    if (!lane) return;
    const forwardedAt = settlement.forwardedAt?.getTime() ?? null;
    switch (settlement.outcome) {
      case 'done':
      case 'released':
        statements[settlement.outcome].run({ id, forwardedAt });
        break;
      case 'retry':
        statements.retry.run({ id, error: settlement.error, retryAt: settlement.retryAt.getTime(), forwardedAt });
        statements.recordFailure.run({ id, error: settlement.error, failedAt: now.getTime() });
        break;
      case 'dead':
        statements.dead.run({ id, error: settlement.error, forwardedAt });
        statements.recordFailure.run({ id, error: settlement.error, failedAt: now.getTime() });
        break;
    }
    this.#moveLane(lane.key, now.getTime());
  }

  #moveLane(lane: string, now: number): void {
    const head = this.#statements.nextHead.get(lane) as { id: string; event_time: number; next_attempt_at: number } | undefined;
    if (!head) {
      this.#statements.removeLane.run(lane);
      return;
    }
    this.#statements.moveLane.run({ lane, id: head.id, eventTime: head.event_time, dueAt: head.next_attempt_at, now });
  }

  #requeue({ id, traceContext }: RequeueRow): number {
    const requeued = this.#statements.requeue.get({ id, traceContext }) as { lane: string; event_time: number } | undefined;
    if (!requeued) return 0;
    this.#joinLane(requeued.lane, id, requeued.event_time);
    return 1;
  }
}
