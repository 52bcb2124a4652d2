// Requeue on PostgreSQL: deliveries put back to pending, into their lanes, in one statement.
import type { Requeue } from '../inbox.ts';
import { traceContextColumn } from '../rows.ts';
import type { Prepared } from './prepared.ts';

export const requeueStatements = (schema: string) => ({
  /**
   * Puts dead, quarantined and done deliveries ($1), never erased ones, back to pending, each in the trace of $2 (or
   * its own, where that is null), and joins them to their lanes (join_lanes reads only its
   * arguments, so it needs no sight of this statement's update); returns how many. It locks as
   * claims and settlements do, lanes first in key order, then its deliveries in id order, so
   * that it never holds a delivery while it waits for a lane that one of them holds.
   */
  requeue: `
      WITH requeue AS (
        SELECT * FROM unnest($1::text[], $2::jsonb[]) AS requeue (id, trace_context)
      ),
      lanes_held AS (
        SELECT key FROM ${schema}.lanes
        WHERE key IN (SELECT lane FROM ${schema}.deliveries WHERE id IN (SELECT id FROM requeue))
        ORDER BY key FOR UPDATE
      ),
      held AS (
        SELECT id FROM ${schema}.deliveries
        WHERE id IN (SELECT id FROM requeue) AND state IN ('dead', 'quarantined', 'done') AND erased_at IS NULL
          -- Always true: it makes PostgreSQL lock lanes_held before these rows.
          AND (SELECT count(*) FROM lanes_held) >= 0
        ORDER BY id FOR UPDATE
      ),
      requeued AS (
        UPDATE ${schema}.deliveries AS deliveries
        SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, violations = NULL, forwarded_at = NULL,
          trace_context = coalesce(requeue.trace_context, deliveries.trace_context)
        FROM requeue JOIN held USING (id)
        WHERE deliveries.id = requeue.id
        RETURNING deliveries.id, deliveries.lane, deliveries.event_time
      )
      SELECT count(*)::integer AS requeued, ${schema}.join_lanes(array_agg(id), array_agg(lane), array_agg(event_time), NULL, NULL, NULL)
      FROM requeued`,
});

/** Requeues each delivery once (the first given of an id); returns how many were put back. */
export async function requeue(statements: Prepared<ReturnType<typeof requeueStatements>>, deliveries: readonly Requeue[]): Promise<number> {
  const unique = new Map<string, Requeue>();
  for (const delivery of deliveries) if (!unique.has(delivery.id)) unique.set(delivery.id, delivery);
  const values = [[...unique.keys()], [...unique.values()].map(({ traceContext }) => traceContextColumn(traceContext))];
  const { rows } = await statements.requeue<{ requeued: number }>(values);
  return rows[0]!.requeued;
}
