// The claim on SQLite (the lane algorithm: inbox.ts): due lanes become ready, then the oldest
// heads of ready lanes are leased.
import type { ClaimOptions, ClaimedDelivery } from '../inbox.ts';
import { erasedReason, timeOrNull, traceContextFromColumn } from '../rows.ts';
import type { Prepared } from './prepared.ts';

export const claimStatements = {
  // Lanes whose head's retry is due, and lanes whose lease ran out (a crashed or hung
  // dispatcher), become ready. The lease stays recorded until the lane is claimed again, so that
  // a late owner can still settle the attempt it finished.
  readyWhenDue: `UPDATE lanes SET status = 'ready' WHERE status = 'waiting' AND head_due_at <= :now`,
  readyWhenLeaseRanOut: `UPDATE lanes SET status = 'ready' WHERE status = 'leased' AND lease_until <= :now`,
  // Then the oldest heads of ready lanes are leased, one lane at a time (by key, cheaper than one
  // UPDATE ... WHERE key IN (SELECT ...) RETURNING for all of them).
  readyHeads: `SELECT key, head_id FROM lanes WHERE status = 'ready' ORDER BY head_event_time, head_id LIMIT :limit`,
  leaseLane: `UPDATE lanes SET status = 'leased', leased_id = head_id, lease_owner = :owner, lease_until = :until WHERE key = :key`,
  startAttempt: `UPDATE deliveries SET attempts = attempts + 1 WHERE id = ? RETURNING id, event_type, received_at, attempts, forwarded_at, trace_context, erased_at`,
  body: `SELECT body FROM delivery_payloads WHERE id = ?`,
};

interface ClaimedRow {
  id: string;
  event_type: string | null;
  received_at: string;
  attempts: number;
  forwarded_at: number | null;
  trace_context: string | null;
  erased_at: number | null;
}

export function claim(
  statements: Prepared<typeof claimStatements>,
  { owner, limit, leaseMs, now }: Required<ClaimOptions>,
): ClaimedDelivery[] {
  const at = now.getTime();
  statements.readyWhenDue.run({ now: at });
  statements.readyWhenLeaseRanOut.run({ now: at });
  const heads = statements.readyHeads.all({ limit }) as { key: string; head_id: string }[];
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
      traceContext: traceContextFromColumn(row.trace_context),
      unreadable: erasedReason(row.erased_at),
    };
  });
}
