// The SQLite inbox's writes, as plain data (so that they can cross to the writer thread), and
// the one place that carries each out: intake, claim, settle and requeue have a module each
// (the lane algorithm: inbox.ts); the small writes are here. The counters by state follow from
// the triggers of schema.ts.
import type { DatabaseSync } from 'node:sqlite';
import type { Violation } from '../../contract/validation.ts';
import type { ClaimOptions, ClaimedDelivery, DriftSummary, PurgeableState, Settlement, StoreOutcome } from '../inbox.ts';
import type { IntakeLease, IntakeResult } from '../intake-leases.ts';
import { claim, claimStatements } from './claim.ts';
import { accept, intakeStatements, leaseIfHead, quarantine, type NewRow } from './intake.ts';
import { prepareAll } from './prepared.ts';
import { requeue, requeueStatements, type RequeueRow } from './requeue.ts';
import { settle, settleStatements } from './settle.ts';

export type WriteOperation =
  | { kind: 'accept'; row: NewRow; lease?: IntakeLease | undefined }
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
  accept: IntakeResult;
  quarantine: StoreOutcome;
  claim: ClaimedDelivery[];
  settle: void;
  requeue: number;
  updateViolations: void;
  purge: number;
  recordDrift: void;
  probe: void;
}

const smallWrites = {
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

const allStatements = { ...intakeStatements, ...claimStatements, ...settleStatements, ...requeueStatements, ...smallWrites };

export class SqliteWrites {
  readonly #statements;

  constructor(db: DatabaseSync) {
    this.#statements = prepareAll(db, allStatements);
  }

  /**
   * Carries out one commit's writes, batch by batch, and then the leases that its intake was
   * offered (see leaseIfHead); the caller wraps them in one transaction. Results by batch.
   */
  applyAll(batches: readonly WriteOperation[][]): unknown[][] {
    const results = batches.map((operations) => operations.map((operation) => this.#apply(operation)));
    batches.forEach((operations, batch) =>
      operations.forEach((operation, index) => {
        if (operation.kind !== 'accept' || !operation.lease) return;
        const result = results[batch]![index] as IntakeResult;
        if (result.outcome === 'stored') result.started = leaseIfHead(this.#statements, operation.row, operation.lease);
      }),
    );
    return results;
  }

  #apply(operation: WriteOperation): WriteResults[WriteOperation['kind']] {
    const statements = this.#statements;
    switch (operation.kind) {
      case 'accept':
        return { outcome: accept(statements, operation.row) };
      case 'quarantine':
        return quarantine(statements, operation.row, operation.violations);
      case 'claim':
        return claim(statements, operation.options);
      case 'settle':
        for (const settlement of operation.settlements) settle(statements, operation.owner, settlement, operation.now);
        return;
      case 'requeue':
        return operation.deliveries.reduce((count, delivery) => count + requeue(statements, delivery), 0);
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
}
