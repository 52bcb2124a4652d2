// The claim on PostgreSQL: the call that runs the function claim_lanes, which migration 0007
// creates (the lane algorithm: inbox.ts). Claims of several replicas skip the lanes another holds
// (SKIP LOCKED), so that no replica waits for another to claim.
// The function is one statement from Node: one round trip, one transaction, its row locks held
// for the database's own time, never while a Node process waits to be scheduled; each statement
// inside it takes a fresh snapshot.
import type { TraceContext } from '../../telemetry/tracing.ts';
import type { ClaimOptions, ClaimedDelivery } from '../inbox.ts';
import { erasedReason, timeOrNull } from '../rows.ts';
import type { Prepared } from './prepared.ts';

interface ClaimedRow {
  id: string;
  event_type: string | null;
  body: string;
  received_at: Date;
  lane: string;
  attempts: number;
  event_time: number;
  forwarded_at: number | null;
  trace_context: TraceContext | null;
  erased_at: number | null;
}

export const claimStatements = (schema: string) => ({
  claim: `SELECT * FROM ${schema}.claim_lanes($1, $2, $3, $4)`,
});

/** Leases the heads of up to `limit` ready lanes, oldest head event first. */
export async function claim(
  statements: Prepared<ReturnType<typeof claimStatements>>,
  { owner, limit, leaseMs, now }: Required<ClaimOptions>,
): Promise<ClaimedDelivery[]> {
  const { rows } = await statements.claim<ClaimedRow>((lateMs) => {
    const at = now.getTime() + lateMs;
    return [owner, at + leaseMs, limit, at];
  });
  rows.sort((a, b) => a.event_time - b.event_time || (a.id < b.id ? -1 : 1));
  return rows.map((row) => ({
    id: row.id,
    eventType: row.event_type,
    body: row.body,
    receivedAt: row.received_at,
    lane: row.lane,
    attempt: row.attempts,
    forwardedAt: timeOrNull(row.forwarded_at),
    traceContext: row.trace_context,
    unreadable: erasedReason(row.erased_at),
  }));
}
