// Requeue on SQLite: a dead, quarantined or done delivery put back to pending, into its lane.
import { joinLane, laneStatements } from './lanes.ts';
import type { Prepared } from './prepared.ts';

/** A delivery to requeue, and the trace context column it takes (none: it keeps its own). */
export interface RequeueRow {
  id: string;
  traceContext: string | null;
}

export const requeueStatements = {
  ...laneStatements,
  requeue: `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, violations = NULL, forwarded_at = NULL,
              trace_context = coalesce(:traceContext, trace_context)
            WHERE id = :id AND state IN ('dead', 'quarantined', 'done') AND erased_at IS NULL
            RETURNING lane, event_time`,
};

/** 1 when the delivery was put back, 0 when it was pending already, is erased or is not there. */
export function requeue(statements: Prepared<typeof requeueStatements>, { id, traceContext }: RequeueRow): number {
  const requeued = statements.requeue.get({ id, traceContext }) as { lane: string; event_time: number } | undefined;
  if (!requeued) return 0;
  joinLane(statements, requeued.lane, id, requeued.event_time);
  return 1;
}
