// The claim on PostgreSQL: the function claim_lanes, and the call that runs it (the lane
// algorithm: inbox.ts). Claims of several replicas skip the lanes another holds (SKIP LOCKED),
// so that no replica waits for another to claim.
// The function is one statement from Node: one round trip, one transaction, its row locks held
// for the database's own time, never while a Node process waits to be scheduled; each statement
// inside it takes a fresh snapshot. Schema migration 7 (schema.ts) creates it from this text,
// which therefore never changes: a new version of the function is a new constant, applied by a
// migration of its own. `{schema}` stands for the quoted schema name.
import type pg from 'pg';
import type { TraceContext } from '../../telemetry/tracing.ts';
import type { ClaimOptions, ClaimedDelivery } from '../inbox.ts';
import { timeOrNull } from '../rows.ts';

export const claimFunction = `
-- Before leasing: lanes whose head is due again, or whose lease ran out, become ready (those
-- another transaction holds are left to it). Then the heads of up to _limit ready lanes, oldest
-- head event first, are leased to _owner until _lease_until, and their attempts counted.
CREATE FUNCTION {schema}.claim_lanes(_owner text, _lease_until bigint, _limit integer, _now bigint)
RETURNS TABLE (id text, event_type text, body text, received_at timestamptz, lane text, attempts integer,
               event_time bigint, forwarded_at bigint, trace_context jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  UPDATE {schema}.lanes SET status = 'ready'
  WHERE key IN (
    SELECT key FROM {schema}.lanes
    WHERE (status = 'waiting' AND head_due_at <= _now) OR (status = 'leased' AND lease_until <= _now)
    FOR UPDATE SKIP LOCKED
  )
  AND ((status = 'waiting' AND head_due_at <= _now) OR (status = 'leased' AND lease_until <= _now));

  RETURN QUERY
  WITH picked AS (
    SELECT key FROM {schema}.lanes WHERE status = 'ready' ORDER BY head_event_time, head_id LIMIT _limit FOR UPDATE SKIP LOCKED
  ),
  leased AS (
    UPDATE {schema}.lanes AS lanes SET status = 'leased', leased_id = head_id, lease_owner = _owner, lease_until = _lease_until
    FROM picked WHERE lanes.key = picked.key
    RETURNING lanes.head_id
  )
  UPDATE {schema}.deliveries AS deliveries SET attempts = deliveries.attempts + 1
  FROM leased WHERE deliveries.id = leased.head_id
  RETURNING deliveries.id, deliveries.event_type, deliveries.body, deliveries.received_at, deliveries.lane, deliveries.attempts,
            deliveries.event_time, deliveries.forwarded_at, deliveries.trace_context;
END $$;
`;

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
}

/** Leases the heads of up to `limit` ready lanes, oldest head event first. */
export function createClaim(pool: pg.Pool, schema: string) {
  const text = `SELECT * FROM ${schema}.claim_lanes($1, $2, $3, $4)`;
  return async ({ owner, limit, leaseMs, now }: Required<ClaimOptions>): Promise<ClaimedDelivery[]> => {
    const at = now.getTime();
    const { rows } = await pool.query<ClaimedRow>({ name: `claim ${schema}`, text, values: [owner, at + leaseMs, limit, at] });
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
    }));
  };
}
