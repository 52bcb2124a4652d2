// Intake on PostgreSQL: the function store_deliveries, and the call that stores one turn's
// deliveries, valid and quarantined, with it: one statement, one round trip, one commit. A
// delivery that heads a lane nobody holds is leased at once when intake was offered a lease
// (see LeaseAtIntake in inbox.ts).
// Schema migration 8 (schema.ts) creates the function from this text, which therefore never
// changes: a new version is a new constant, applied by a migration of its own. `{schema}` stands
// for the quoted schema name.
import type pg from 'pg';
import type { Violation } from '../../contract/validation.ts';
import type { NewDelivery } from '../inbox.ts';
import type { IntakeLease, IntakeResult } from '../intake-leases.ts';
import type { DerivedFields } from '../ordering.ts';
import { traceContextColumn } from '../rows.ts';

export const storeFunction = `
-- Stores a batch of new deliveries (pending or quarantined, one row per id): an id already
-- stored is left alone, except that a valid copy replaces a quarantined delivery. Then the
-- pending ones join their lanes (join_lanes), those whose _offered is true leased to _owner
-- until _lease_until when they head a lane nobody holds, and the attempts of those leased
-- start. Returns the ids stored, with the attempt and the forward of each one leased (null for
-- the others).
CREATE FUNCTION {schema}.store_deliveries(
  _ids text[], _states text[], _event_types text[], _received_at timestamptz[], _headers jsonb[], _bodies text[],
  _violations jsonb[], _lanes text[], _event_times bigint[], _trace_contexts jsonb[],
  _offered boolean[], _owner text, _lease_until bigint)
RETURNS TABLE (id text, attempts integer, forwarded_at bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  _stored text[];
  _leased text[];
BEGIN
  WITH incoming AS (
    SELECT * FROM unnest(_ids, _states, _event_types, _received_at, _headers, _bodies, _violations, _lanes, _event_times, _trace_contexts)
      AS incoming (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context)
  ),
  inserted AS (
    INSERT INTO {schema}.deliveries (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context)
    SELECT * FROM incoming ORDER BY id
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ),
  replaced AS (
    UPDATE {schema}.deliveries AS deliveries SET
      state = 'pending', event_type = incoming.event_type, received_at = incoming.received_at, headers = incoming.headers,
      body = incoming.body, violations = NULL, lane = incoming.lane, event_time = incoming.event_time,
      trace_context = incoming.trace_context
    FROM incoming
    WHERE deliveries.id = incoming.id AND deliveries.state = 'quarantined' AND incoming.state = 'pending'
    RETURNING deliveries.id
  )
  SELECT coalesce(array_agg(stored.id), '{}') INTO _stored FROM (SELECT id FROM inserted UNION ALL SELECT id FROM replaced) AS stored;

  SELECT {schema}.join_lanes(array_agg(id), array_agg(lane), array_agg(event_time), array_agg(offered), _owner, _lease_until) INTO _leased
  FROM unnest(_ids, _states, _lanes, _event_times, _offered) AS joining (id, state, lane, event_time, offered)
  WHERE state = 'pending' AND id = ANY(_stored);

  IF cardinality(_leased) = 0 THEN
    RETURN QUERY SELECT stored.id, NULL::integer, NULL::bigint FROM unnest(_stored) AS stored (id);
    RETURN;
  END IF;
  RETURN QUERY
  WITH started AS (
    UPDATE {schema}.deliveries AS deliveries SET attempts = deliveries.attempts + 1
    WHERE deliveries.id = ANY(_leased)
    RETURNING deliveries.id, deliveries.attempts, deliveries.forwarded_at
  )
  SELECT stored.id, started.attempts, started.forwarded_at FROM unnest(_stored) AS stored (id) LEFT JOIN started USING (id);
END $$;
`;

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

/** Stores one turn's deliveries; each write's result, and whether any became pending without a lease (to be announced). */
export function createIntake(pool: pg.Pool, schema: string) {
  const text = `SELECT * FROM ${schema}.store_deliveries($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`;
  return async (writes: readonly IntakeWrite[]): Promise<{ results: IntakeResult[]; pending: boolean }> => {
    // One row per delivery id: within a batch, the first copy is the one stored.
    const firsts = new Map<string, IntakeWrite>();
    for (const write of writes) if (!firsts.has(write.delivery.id)) firsts.set(write.delivery.id, write);
    const columns: unknown[][] = Array.from({ length: 11 }, () => []);
    let lease: IntakeLease | undefined;
    for (const write of firsts.values()) {
      const { delivery, violations } = write;
      const { eventType, lane, eventTime } = write.fields;
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
        write.lease !== undefined,
      ];
      row.forEach((value, column) => columns[column]!.push(value));
      // One claimer per inbox, so one owner; the batch's leases run until the earliest asked for.
      if (write.lease && (!lease || write.lease.until < lease.until)) lease = write.lease;
    }
    const values = [...columns, lease?.owner ?? null, lease?.until ?? null];
    const { rows } = await pool.query<StoredRow>({ name: `intake ${schema}`, text, values });
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
  };
}
