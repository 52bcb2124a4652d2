// The settlement on SQLite (the lane algorithm: inbox.ts): the outcome recorded on the lane's
// head, for the lease's owner only, then the lane moved on. The error of an attempt that ends
// after its end user was erased is not kept: it may quote what the erasure removed.
import type { Settlement } from '../inbox.ts';
import { storableError } from '../storable.ts';
import type { Prepared } from './prepared.ts';

const keptError = `CASE WHEN erased_at IS NULL THEN :error END`;

export const settleStatements = {
  leasedLane: `SELECT lanes.key FROM deliveries JOIN lanes ON lanes.key = deliveries.lane
               WHERE deliveries.id = :id AND lanes.leased_id = :id AND lanes.lease_owner = :owner`,
  done: `UPDATE deliveries SET state = 'done', last_error = NULL, forwarded_at = coalesce(forwarded_at, :forwardedAt) WHERE id = :id`,
  retry: `UPDATE deliveries SET last_error = ${keptError}, next_attempt_at = :retryAt, forwarded_at = coalesce(forwarded_at, :forwardedAt)
          WHERE id = :id`,
  dead: `UPDATE deliveries SET state = 'dead', last_error = ${keptError}, forwarded_at = coalesce(forwarded_at, :forwardedAt) WHERE id = :id`,
  // After a retry or a dead end: the attempt that failed, numbered as it was claimed.
  recordFailure: `INSERT INTO failed_attempts (delivery_id, attempt, failed_at, error)
                  SELECT id, attempts, :failedAt, coalesce(${keptError}, '') FROM deliveries WHERE id = :id`,
  released: `UPDATE deliveries SET attempts = attempts - 1, forwarded_at = coalesce(forwarded_at, :forwardedAt) WHERE id = :id`,
  // After its lease is settled, a lane's head is its oldest pending delivery, or the lane is gone.
  nextHead: `SELECT id, event_time, next_attempt_at FROM deliveries WHERE lane = ? AND state = 'pending' ORDER BY event_time, id LIMIT 1`,
  moveLane: `UPDATE lanes SET head_id = :id, head_event_time = :eventTime, head_due_at = :dueAt,
               status = CASE WHEN :dueAt <= :now THEN 'ready' ELSE 'waiting' END,
               leased_id = NULL, lease_owner = NULL, lease_until = NULL
             WHERE key = :lane`,
  removeLane: `DELETE FROM lanes WHERE key = ?`,
};

type SettleStatements = Prepared<typeof settleStatements>;

/** Records one attempt's outcome and moves its lane on; nothing when `owner` does not hold the lease. */
export function settle(statements: SettleStatements, owner: string, settlement: Settlement, now: Date): void {
  const { id } = settlement;
  const lane = statements.leasedLane.get({ id, owner }) as { key: string } | undefined;
  if (!lane) return;
  const forwardedAt = settlement.forwardedAt?.getTime() ?? null;
  switch (settlement.outcome) {
    case 'done':
    case 'released':
      statements[settlement.outcome].run({ id, forwardedAt });
      break;
    case 'retry': {
      const error = storableError(settlement.error);
      statements.retry.run({ id, error, retryAt: settlement.retryAt.getTime(), forwardedAt });
      statements.recordFailure.run({ id, error, failedAt: now.getTime() });
      break;
    }
    case 'dead': {
      const error = storableError(settlement.error);
      statements.dead.run({ id, error, forwardedAt });
      statements.recordFailure.run({ id, error, failedAt: now.getTime() });
      break;
    }
  }
  moveLane(statements, lane.key, now.getTime());
}

function moveLane(statements: SettleStatements, lane: string, now: number): void {
  const head = statements.nextHead.get(lane) as { id: string; event_time: number; next_attempt_at: number } | undefined;
  if (!head) {
    statements.removeLane.run(lane);
    return;
  }
  statements.moveLane.run({ lane, id: head.id, eventTime: head.event_time, dueAt: head.next_attempt_at, now });
}
