// Intake on SQLite: a valid delivery stored as pending in its lane, or one that violates the
// contract stored in quarantine; dedupe by delivery id. A delivery that heads a ready lane is
// leased at the end of its commit when intake was offered a lease (see LeaseAtIntake in inbox.ts).
import type { Violation } from '../../contract/validation.ts';
import type { NewDelivery, StoreOutcome } from '../inbox.ts';
import { derivedFields } from '../ordering.ts';
import { traceContextColumn } from '../rows.ts';
import type { IntakeLease, StartedAttempt } from '../intake-leases.ts';
import { claimStatements } from './claim.ts';
import { checkDataKeyHeld, dataKeyStatements } from './data-keys.ts';
import { joinLane, laneStatements } from './lanes.ts';
import type { Prepared } from './prepared.ts';

/** A new delivery as the columns of its row. */
export interface NewRow {
  id: string;
  eventType: string | null;
  receivedAt: string;
  headers: string;
  body: string;
  lane: string;
  eventTime: number;
  traceContext: string | null;
  endUserId: string | null;
  dataKeyId: string | null;
}

export function newRow(delivery: NewDelivery): NewRow {
  const { eventType, lane, eventTime, endUserId } = derivedFields(delivery);
  const { id, receivedAt, headers, body } = delivery;
  const traceContext = traceContextColumn(delivery.traceContext);
  const dataKeyId = delivery.dataKeyId ?? null;
  return {
    id,
    eventType,
    receivedAt: receivedAt.toISOString(),
    headers: JSON.stringify(headers),
    body,
    lane,
    eventTime,
    traceContext,
    endUserId,
    dataKeyId,
  };
}

const insertColumns = `(id, state, event_type, received_at, violations, lane, event_time, trace_context, end_user_id, data_key_id)`;

export const intakeStatements = {
  ...laneStatements,
  ...dataKeyStatements,
  leaseHead: `UPDATE lanes SET status = 'leased', leased_id = head_id, lease_owner = :owner, lease_until = :until
              WHERE key = :lane AND head_id = :id AND status = 'ready'`,
  startAttempt: claimStatements.startAttempt,
  accept: `INSERT INTO deliveries ${insertColumns}
           VALUES (:id, 'pending', :eventType, :receivedAt, NULL, :lane, :eventTime, :traceContext, :endUserId, :dataKeyId)
           ON CONFLICT (id) DO UPDATE SET
             state = 'pending', event_type = excluded.event_type, received_at = excluded.received_at,
             violations = NULL, lane = excluded.lane, event_time = excluded.event_time, trace_context = excluded.trace_context,
             end_user_id = excluded.end_user_id, data_key_id = excluded.data_key_id, erased_at = NULL
           WHERE deliveries.state = 'quarantined'`,
  quarantine: `INSERT INTO deliveries ${insertColumns}
               VALUES (:id, 'quarantined', :eventType, :receivedAt, :violations, :lane, :eventTime, :traceContext, :endUserId, :dataKeyId)
               ON CONFLICT (id) DO NOTHING`,
  // The payload of a delivery just stored, or of the valid copy that replaces a quarantined one.
  storePayload: `INSERT INTO delivery_payloads (id, headers, body) VALUES (:id, :headers, :body)
                 ON CONFLICT (id) DO UPDATE SET headers = excluded.headers, body = excluded.body`,
};

type IntakeStatements = Prepared<typeof intakeStatements>;

/** Stores a valid delivery as pending and joins its lane; a quarantined one with its id is replaced. */
export function accept(statements: IntakeStatements, row: NewRow): StoreOutcome {
  const { id, eventType, receivedAt, headers, body, lane, eventTime, traceContext, endUserId, dataKeyId } = row;
  checkDataKeyHeld(statements, dataKeyId);
  if (statements.accept.run({ id, eventType, receivedAt, lane, eventTime, traceContext, endUserId, dataKeyId }).changes === 0)
    return 'duplicate';
  statements.storePayload.run({ id, headers, body });
  joinLane(statements, lane, id, eventTime);
  return 'stored';
}

/**
 * Once a commit's writes are carried out: a delivery stored with a lease that heads a ready
 * lane (one that it created, or whose older events are done) is leased, and its attempt started,
 * as the claim would have done. Waiting for the end of the commit gives the lease to the oldest
 * event of a lane that several deliveries of the commit joined.
 */
export function leaseIfHead(statements: IntakeStatements, { id, lane }: NewRow, lease: IntakeLease): StartedAttempt | undefined {
  if (statements.leaseHead.run({ id, lane, owner: lease.owner, until: lease.until }).changes === 0) return undefined;
  const { attempts, forwarded_at } = statements.startAttempt.get(id) as { attempts: number; forwarded_at: number | null };
  return { attempts, forwardedAt: forwarded_at };
}

/** Stores a delivery that violates the contract, in no lane. */
export function quarantine(statements: IntakeStatements, row: NewRow, violations: Violation[]): StoreOutcome {
  const { id, eventType, receivedAt, headers, body, lane, eventTime, traceContext, endUserId, dataKeyId } = row;
  checkDataKeyHeld(statements, dataKeyId);
  const stored = statements.quarantine.run({
    id,
    eventType,
    receivedAt,
    violations: JSON.stringify(violations),
    lane,
    eventTime,
    traceContext,
    endUserId,
    dataKeyId,
  });
  if (stored.changes === 0) return 'duplicate';
  statements.storePayload.run({ id, headers, body });
  return 'stored';
}
