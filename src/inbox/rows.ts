// Rows that every backend reads with the same columns, as the store's types.
import type { Violation } from '../contract/validation.ts';
import type { TraceContext } from '../telemetry/tracing.ts';
import { deliveryStates, type DeliveryState, type DriftSummary, type FailedAttempt, type LaneState, type StoredDelivery } from './inbox.ts';

/** A delivery's row, whatever the backend; `Json` and `Time` are how its driver hands those columns over. */
export interface DeliveryRow<Json, Time> {
  id: string;
  state: DeliveryState;
  event_type: string | null;
  received_at: Time;
  headers: Json;
  body: string;
  violations: Json | null;
  lane: string;
  event_time: number;
  attempts: number;
  last_error: string | null;
  forwarded_at: number | null;
  trace_context: Json | null;
  next_attempt_at: number;
  discarded_at: number | null;
  discarded_by: string | null;
  end_user_id: string | null;
  erased_at: number | null;
}

/** How a backend's columns become values: SQLite keeps JSON and times as text, PostgreSQL's driver parses jsonb and timestamptz. */
export interface RowCodec<Json, Time> {
  json(value: Json): unknown;
  time(value: Time): Date;
}

export function fromDeliveryRow<Json, Time>(row: DeliveryRow<Json, Time>, { json, time }: RowCodec<Json, Time>): StoredDelivery {
  const headers = parsedOrUndefined(row.headers, json) as Record<string, string> | undefined;
  return {
    id: row.id,
    state: row.state,
    eventType: row.event_type,
    receivedAt: time(row.received_at),
    headers: headers ?? {},
    body: row.body,
    lane: row.lane,
    eventTime: Number(row.event_time),
    violations: row.violations === null ? [] : ((parsedOrUndefined(row.violations, json) as Violation[] | undefined) ?? []),
    attempts: row.attempts,
    lastError: row.last_error,
    forwardedAt: timeOrNull(row.forwarded_at),
    traceContext: row.trace_context === null ? null : ((parsedOrUndefined(row.trace_context, json) as TraceContext | undefined) ?? null),
    nextAttemptAt: nextAttemptOf(row),
    discarded: row.discarded_at === null ? null : { at: new Date(Number(row.discarded_at)), by: row.discarded_by ?? '' },
    endUserId: row.end_user_id,
    erasedAt: timeOrNull(row.erased_at),
    unreadable:
      erasedReason(row.erased_at) ?? (headers === undefined ? 'its headers are not JSON: what the store holds of them was altered' : null),
  };
}

/**
 * A JSON column read, or undefined when what is stored of it is not JSON (SQLite keeps JSON as
 * text, which nothing checks once written: a damaged disk, a hand's edit), so that one such row
 * fails no read of the others.
 */
function parsedOrUndefined<Json>(value: Json, json: (value: Json) => unknown): unknown {
  try {
    return json(value);
  } catch {
    return undefined;
  }
}

/** Why an erased delivery's content cannot be read: null for one that was not erased. */
export const erasedReason = (erasedAt: number | null): string | null =>
  erasedAt === null ? null : `its end user's data was erased at ${new Date(Number(erasedAt)).toISOString()}`;

/** The counts by state from a backend's counter rows, every state present (zero when it has no row). */
export function countsByState(rows: readonly { state: DeliveryState; count: number }[]): Record<DeliveryState, number> {
  const counts = Object.fromEntries(deliveryStates.map((state) => [state, 0])) as Record<DeliveryState, number>;
  for (const { state, count } of rows) counts[state] = Number(count);
  return counts;
}

export interface LaneRow {
  key: string;
  head_id: string;
  status: LaneState['status'];
  head_due_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  pending: number;
}

export function fromLaneRow(row: LaneRow): LaneState {
  return {
    key: row.key,
    headId: row.head_id,
    status: row.status,
    dueAt: row.head_due_at > 0 ? new Date(row.head_due_at) : undefined,
    lease: row.lease_owner !== null && row.lease_until !== null ? { owner: row.lease_owner, until: new Date(row.lease_until) } : undefined,
    pending: Number(row.pending),
  };
}

export interface FailedAttemptRow {
  attempt: number;
  failed_at: number;
  error: string;
}

export const fromFailedAttemptRow = (row: FailedAttemptRow): FailedAttempt => ({
  attempt: row.attempt,
  failedAt: new Date(Number(row.failed_at)),
  error: row.error,
});

/** A time kept as milliseconds, or null. */
export const timeOrNull = (milliseconds: number | null): Date | null => (milliseconds === null ? null : new Date(Number(milliseconds)));

/** When a pending delivery's next attempt is due: its retry's time (0 until an attempt fails). */
export const nextAttemptOf = ({ state, next_attempt_at }: { state: string; next_attempt_at: number }): Date | null =>
  state === 'pending' && Number(next_attempt_at) > 0 ? new Date(Number(next_attempt_at)) : null;

/** A trace context as a column keeps it: JSON, or null when there is none. */
export const traceContextColumn = (traceContext: TraceContext | undefined): string | null =>
  traceContext && Object.keys(traceContext).length > 0 ? JSON.stringify(traceContext) : null;

/** A trace context as SQLite keeps it (PostgreSQL's jsonb comes parsed). */
export const traceContextFromColumn = (column: string | null): TraceContext | null =>
  column === null ? null : (JSON.parse(column) as TraceContext);

export interface DriftRow {
  event_type: string;
  kind: DriftSummary['kind'];
  path: string;
  detail: string;
  deliveries: number;
  first_seen_at: number;
  last_seen_at: number;
  example_id: string;
  example_value: string | null;
}

export const fromDriftRow = (row: DriftRow): DriftSummary => ({
  eventType: row.event_type,
  kind: row.kind,
  path: row.path,
  detail: row.detail,
  deliveries: Number(row.deliveries),
  firstSeenAt: new Date(Number(row.first_seen_at)),
  lastSeenAt: new Date(Number(row.last_seen_at)),
  exampleId: row.example_id,
  exampleValue: row.example_value,
});

/** The drift summaries last seen at or after `:since`, of one event type unless `:eventType` is null, newest first. */
export const driftQuery = (table = 'contract_drift', placeholder = (name: 'since' | 'eventType') => `:${name}`) => `
  SELECT * FROM ${table}
  WHERE last_seen_at >= ${placeholder('since')} AND (${placeholder('eventType')} IS NULL OR event_type = ${placeholder('eventType')})
  ORDER BY last_seen_at DESC, event_type, kind, path, detail`;
