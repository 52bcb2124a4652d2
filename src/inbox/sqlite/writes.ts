// The SQLite inbox's writes, as plain data (so that they can cross to the writer thread), and
// the one place that carries each out, and commits them: intake, claim, settle and requeue have a
// module each (the lane algorithm: inbox.ts); the small writes are here. The counters by state
// follow from the triggers of schema.ts.
import type { DatabaseSync } from 'node:sqlite';
import type { Violation } from '../../contract/validation.ts';
import type {
  ClaimOptions,
  ClaimedDelivery,
  Discard,
  DriftSummary,
  EndedSession,
  PurgeableState,
  Settlement,
  StoreOutcome,
  StoredDataKey,
} from '../inbox.ts';
import type { IntakeLease, IntakeResult } from '../intake-leases.ts';
import { claim, claimStatements } from './claim.ts';
import { transaction } from './database.ts';
import { addDataKey, dataKeyStatements, rewrapDataKey } from './data-keys.ts';
import { discard, discardStatements } from './discard.ts';
import { erase, eraseStatements } from './erase.ts';
import { accept, intakeStatements, leaseIfHead, quarantine, type NewRow } from './intake.ts';
import { prepareAll } from './prepared.ts';
import { requeue, requeueStatements, type RequeueRow } from './requeue.ts';
import { endSession, sessionStatements } from './sessions.ts';
import { settle, settleStatements } from './settle.ts';

export type WriteOperation =
  | { kind: 'accept'; row: NewRow; lease?: IntakeLease | undefined }
  | { kind: 'quarantine'; row: NewRow; violations: Violation[] }
  | { kind: 'claim'; options: Required<ClaimOptions> }
  | { kind: 'settle'; owner: string; settlements: Settlement[]; now: Date }
  | { kind: 'requeue'; deliveries: RequeueRow[] }
  | { kind: 'updateViolations'; id: string; violations: Violation[] }
  | { kind: 'discard'; id: string; discard: Discard }
  | { kind: 'erase'; endUserId: string; owner: string; at: Date }
  | { kind: 'addDataKey'; key: StoredDataKey }
  | { kind: 'rewrapDataKey'; id: string; previous: string; wrapped: string }
  | { kind: 'purge'; state: PurgeableState; receivedBefore: string; limit: number }
  | { kind: 'recordDrift'; summaries: readonly DriftSummary[] }
  | { kind: 'endSession'; session: EndedSession; now: Date }
  | { kind: 'probe' }
  | { kind: 'durability' };

/** What each kind of write returns. */
export interface WriteResults {
  accept: IntakeResult;
  quarantine: StoreOutcome;
  claim: ClaimedDelivery[];
  settle: void;
  requeue: number;
  updateViolations: void;
  discard: boolean;
  erase: number;
  addDataKey: StoredDataKey;
  rewrapDataKey: boolean;
  purge: number;
  recordDrift: void;
  endSession: void;
  probe: void;
  durability: Durability;
}

/** How the connection that commits makes a commit durable. */
export interface Durability {
  journalMode: string;
  synchronous: 'off' | 'normal' | 'full' | 'extra';
}
const synchronousLevels = ['off', 'normal', 'full', 'extra'] as const;

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

const savepoints = {
  savepoint: 'SAVEPOINT operation',
  rollbackToSavepoint: 'ROLLBACK TO operation',
  releaseSavepoint: 'RELEASE operation',
};

const durabilitySettings = {
  journalMode: 'PRAGMA journal_mode',
  synchronous: 'PRAGMA synchronous',
};

const allStatements = {
  ...intakeStatements,
  ...claimStatements,
  ...settleStatements,
  ...requeueStatements,
  ...discardStatements,
  ...eraseStatements,
  ...dataKeyStatements,
  ...sessionStatements,
  ...smallWrites,
  ...savepoints,
  ...durabilitySettings,
};

/** How one step of a commit went: its result, or the error that failed it alone. */
type Step<Result> = PromiseSettledResult<Result>;

function carriedOut<Result>(step: () => Result): Step<Result> {
  return { status: 'fulfilled', value: step() };
}

export class SqliteWrites {
  readonly #db: DatabaseSync;
  readonly #statements;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#statements = prepareAll(db, allStatements);
  }

  /**
   * Carries out one commit's writes, batch by batch, and then the leases that its intake was
   * offered (see leaseIfHead), in one transaction; how each write went, by batch. A write that
   * throws fails alone: the commit is rolled back and carried out again with each step in a
   * savepoint of its own, rolled back on its error, so that the others commit without it.
   * (Savepoints only then: one around every write would cost the writer's thread, the
   * receiver's bottleneck, a sizeable share of each write: BENCHMARKS.md, One failing write in a
   * shared commit.) A commit that fails as a whole (BEGIN or COMMIT, a full disk, an I/O error)
   * throws: every write fails.
   */
  commit(batches: readonly WriteOperation[][]): Step<unknown>[][] {
    let failedStep = false;
    const together = <Result>(step: () => Result): Step<Result> => {
      try {
        return carriedOut(step);
      } catch (error) {
        failedStep = true;
        throw error;
      }
    };
    try {
      return transaction(this.#db, () => this.#applyAll(batches, together));
    } catch (error) {
      if (!failedStep) throw error;
    }
    return transaction(this.#db, () => this.#applyAll(batches, (step) => this.#alone(step)));
  }

  /** Carries out writes in the caller's transaction (a seed's, a benchmark's): results by batch; a write that throws throws. */
  applyAll(batches: readonly WriteOperation[][]): unknown[][] {
    return this.#applyAll(batches, carriedOut).map((steps) => steps.map((step) => (step as PromiseFulfilledResult<unknown>).value));
  }

  #applyAll(batches: readonly WriteOperation[][], carryOut: <Result>(step: () => Result) => Step<Result>): Step<unknown>[][] {
    const results = batches.map((operations) => operations.map((operation) => carryOut(() => this.#apply(operation))));
    batches.forEach((operations, batch) =>
      operations.forEach((operation, index) => {
        const result = results[batch]![index]!;
        if (operation.kind !== 'accept' || !operation.lease || result.status !== 'fulfilled') return;
        const { lease, row } = operation;
        const stored = result.value as IntakeResult;
        if (stored.outcome !== 'stored') return;
        // A lease that fails leaves the delivery stored, its lane ready for the next claim.
        const leased = carryOut(() => leaseIfHead(this.#statements, row, lease));
        if (leased.status === 'fulfilled') stored.started = leased.value;
      }),
    );
    return results;
  }

  /**
   * One step in a savepoint: its error undoes its changes alone, unless SQLite rolled back the
   * whole transaction by itself (a full disk, an I/O error, a trigger's RAISE(ROLLBACK)), which
   * fails the commit.
   */
  #alone<Result>(step: () => Result): Step<Result> {
    const statements = this.#statements;
    statements.savepoint.run();
    try {
      const value = step();
      statements.releaseSavepoint.run();
      return { status: 'fulfilled', value };
    } catch (error) {
      if (!this.#db.isTransaction) throw error;
      statements.rollbackToSavepoint.run();
      statements.releaseSavepoint.run();
      return { status: 'rejected', reason: error };
    }
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
      case 'discard':
        return discard(statements, operation.id, operation.discard);
      case 'erase':
        return erase(statements, operation.endUserId, operation.owner, operation.at);
      case 'addDataKey':
        return addDataKey(statements, operation.key);
      case 'rewrapDataKey':
        return rewrapDataKey(statements, operation.id, operation.previous, operation.wrapped);
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
      case 'endSession':
        return endSession(statements, operation.session, operation.now);
      case 'probe':
        statements.probe.run();
        statements.clearProbes.run();
        return;
      case 'durability': {
        const { journal_mode } = statements.journalMode.get() as { journal_mode: string };
        const { synchronous } = statements.synchronous.get() as { synchronous: number };
        return { journalMode: journal_mode, synchronous: synchronousLevels[synchronous]! };
      }
    }
  }
}
