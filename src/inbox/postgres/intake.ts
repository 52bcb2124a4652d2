// Intake on PostgreSQL: one turn's deliveries, valid and quarantined, in one statement.
import type pg from 'pg';
import type { Violation } from '../../contract/validation.ts';
import type { NewDelivery, StoreOutcome } from '../inbox.ts';
import { derivedFields } from '../ordering.ts';
import { traceContextColumn } from '../rows.ts';
import { joinLanes } from './lanes.ts';

/**
 * Stores a batch of new deliveries (pending or quarantined) in one statement: one round
 * trip and one commit. A delivery id already stored is left alone, except that a valid copy
 * replaces a quarantined delivery. Pending deliveries join their lanes. Returns the ids
 * and states stored.
 */
const intakeStatement = (schema: string) => `
      WITH incoming AS (
        SELECT * FROM unnest(
          $1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[], $7::jsonb[], $8::text[], $9::bigint[], $10::jsonb[]
        ) AS incoming (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context)
      ),
      inserted AS (
        INSERT INTO ${schema}.deliveries (id, state, event_type, received_at, headers, body, violations, lane, event_time, trace_context)
        SELECT * FROM incoming ORDER BY id
        ON CONFLICT (id) DO NOTHING
        RETURNING id, state, lane, event_time
      ),
      replaced AS (
        UPDATE ${schema}.deliveries AS deliveries SET
          state = 'pending', event_type = incoming.event_type, received_at = incoming.received_at, headers = incoming.headers,
          body = incoming.body, violations = NULL, lane = incoming.lane, event_time = incoming.event_time,
          trace_context = incoming.trace_context
        FROM incoming
        WHERE deliveries.id = incoming.id AND deliveries.state = 'quarantined' AND incoming.state = 'pending'
        RETURNING deliveries.id, deliveries.state, deliveries.lane, deliveries.event_time
      ),
      stored AS (SELECT * FROM inserted UNION ALL SELECT * FROM replaced),
      joined AS (${joinLanes(schema, `(SELECT * FROM stored WHERE state = 'pending') AS pending`)})
      SELECT id, state FROM stored`;

export interface IntakeWrite {
  delivery: NewDelivery;
  /** The violations of a quarantined delivery; null for a valid one. */
  violations: Violation[] | null;
}

/** Stores one turn's deliveries; each write's outcome, and whether any became pending (to be announced). */
export function createIntake(pool: pg.Pool, schema: string) {
  const text = intakeStatement(schema);
  return async (writes: readonly IntakeWrite[]): Promise<{ outcomes: StoreOutcome[]; pending: boolean }> => {
    // One row per delivery id: within a batch, the first copy is the one stored.
    const firsts = new Map<string, IntakeWrite>();
    for (const write of writes) if (!firsts.has(write.delivery.id)) firsts.set(write.delivery.id, write);
    const columns: unknown[][] = Array.from({ length: 10 }, () => []);
    for (const { delivery, violations } of firsts.values()) {
      const { eventType, lane, eventTime } = derivedFields(delivery);
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
      ];
      row.forEach((value, column) => columns[column]!.push(value));
    }
    const { rows } = await pool.query<{ id: string; state: string }>({ name: `intake ${schema}`, text, values: columns });
    const stored = new Set(rows.map(({ id }) => id));
    return {
      outcomes: writes.map((write) => (firsts.get(write.delivery.id) === write && stored.has(write.delivery.id) ? 'stored' : 'duplicate')),
      pending: rows.some(({ state }) => state === 'pending'),
    };
  };
}
