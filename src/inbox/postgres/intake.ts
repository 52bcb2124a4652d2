// Intake on PostgreSQL: the call that stores one turn's deliveries, valid and quarantined, with
// the function store_deliveries (migration 0008): one statement, one round trip, one commit. A
// delivery that heads a lane nobody holds is leased at once when intake was offered a lease
// (see LeaseAtIntake in inbox.ts).
import type { Violation } from '../../contract/validation.ts';
import type { NewDelivery } from '../inbox.ts';
import type { IntakeLease, IntakeResult } from '../intake-leases.ts';
import type { DerivedFields } from '../ordering.ts';
import { traceContextColumn } from '../rows.ts';
import type { Prepared } from './prepared.ts';

export interface IntakeWrite {
  delivery: NewDelivery;
  /** What was derived from it (ordering.ts). */
  fields: DerivedFields;
  /** The violations of a quarantined delivery; null for a valid one. */
  violations: Violation[] | null;
  /** The lease to give a valid delivery that heads a lane nobody holds. */
  lease: IntakeLease | undefined;
}

interface StoredRow {
  id: string;
  attempts: number | null;
  forwarded_at: number | null;
}

export const intakeStatements = (schema: string) => ({
  storeDeliveries: `SELECT * FROM ${schema}.store_deliveries($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
});

/** Stores one turn's deliveries; each write's result, and whether any became pending without a lease (to be announced). */
export async function storeDeliveries(
  statements: Prepared<ReturnType<typeof intakeStatements>>,
  writes: readonly IntakeWrite[],
): Promise<{ results: IntakeResult[]; pending: boolean }> {
  // One row per delivery id: within a batch, the first copy is the one stored.
  const firsts = new Map<string, IntakeWrite>();
  for (const write of writes) if (!firsts.has(write.delivery.id)) firsts.set(write.delivery.id, write);
  const columns: unknown[][] = Array.from({ length: 13 }, () => []);
  let lease: IntakeLease | undefined;
  for (const write of firsts.values()) {
    const { delivery, violations } = write;
    const { eventType, lane, eventTime, endUserId } = write.fields;
    const row = [
      delivery.id,
      violations ? 'quarantined' : 'pending',
      eventType,
      delivery.receivedAt.toISOString(),
      JSON.stringify(delivery.headers),
      delivery.body,
      violations && JSON.stringify(violations),
      lane,
      eventTime,
      traceContextColumn(delivery.traceContext),
      endUserId,
      delivery.dataKeyId ?? null,
      write.lease !== undefined,
    ];
    row.forEach((value, column) => columns[column]!.push(value));
    // One claimer per inbox, so one owner; the batch's leases run until the earliest asked for.
    if (write.lease && (!lease || write.lease.until < lease.until)) lease = write.lease;
  }
  const { rows } = await statements.storeDeliveries<StoredRow>((lateMs) => [
    ...columns,
    lease?.owner ?? null,
    lease ? lease.until + lateMs : null,
  ]);
  const stored = new Map(rows.map((row) => [row.id, row]));
  const results = writes.map((write): IntakeResult => {
    const row = firsts.get(write.delivery.id) === write ? stored.get(write.delivery.id) : undefined;
    if (!row) return { outcome: 'duplicate' };
    const started = row.attempts === null ? undefined : { attempts: row.attempts, forwardedAt: row.forwarded_at };
    return { outcome: 'stored', started };
  });
  const pending = writes.some(
    (write, index) => write.violations === null && results[index]!.outcome === 'stored' && !results[index]!.started,
  );
  return { results, pending };
}
