// What the receiver, the dispatcher and the commands need from a store, and the store's
// vocabulary. Every backend implements the same rules (test/inbox/conformance.test.ts), and every
// write is durable when its promise resolves.
//
// Lanes: deliveries that share an ordering key (see ordering.ts) form a lane and are handled one
// at a time, oldest event first. Each lane with pending deliveries is a row that knows its head
// (the oldest pending delivery), when the head is due, and who holds the lane's lease. So a claim
// never looks at the deliveries waiting behind a head, however many there are. The steps, which
// each backend carries out in its own terms, in a module per step (intake.ts, claim.ts,
// settle.ts, requeue.ts in sqlite/ and in postgres/; the join of lanes is sqlite/lanes.ts, and on
// PostgreSQL the function join_lanes of migration 0008):
// - Joining (intake of a pending delivery, requeue): a new lane is ready at once, its head the
//   delivery. In an existing lane the delivery becomes the head when its event is older than the
//   head's, and the lane is then ready, unless it is leased: the head in flight finishes first.
// - Leasing at intake: when a claimer with room offered intake a lease (see LeaseAtIntake), a
//   delivery that heads a ready lane once its write is carried out is leased to it in the same
//   transaction, as its next claim would have done, and handed to it after the commit.
// - Claiming: lanes whose head's retry is due, or whose lease ran out, become ready; then the
//   heads of the ready lanes, oldest head event first, are leased to the claimer until a time,
//   and their attempts counted. A lease that ran out stays recorded until the lane is claimed
//   again, so that a late owner can still settle the attempt it finished.
// - Settling (only by the lease's owner): the outcome is recorded on the head (done, dead, a retry
//   at a time, or released, which does not count the attempt); then the lane moves on to its
//   oldest pending delivery, ready or waiting until that delivery's retry is due, or is removed
//   when none is left.
// Deliveries in any other state than pending are in no lane: a purge never touches one.
import type { DriftKind } from '../contract/drift.ts';
import type { Violation } from '../contract/validation.ts';
import type { Availability } from '../support/availability.ts';
import type { TraceContext } from '../telemetry/tracing.ts';

/**
 * `discarded`: a quarantined delivery that a person set aside for good (it will never pass), kept
 * with who did it and when. It counts apart from the quarantined ones, joins no lane, is never
 * replayed, and goes only by a purge.
 */
export const deliveryStates = ['pending', 'quarantined', 'done', 'dead', 'discarded'] as const;

/** Thrown when an inbox that must already exist (for the operator's commands) does not. */
export class InboxNotFound extends Error {
  override name = 'InboxNotFound';
}
export type DeliveryState = (typeof deliveryStates)[number];

/**
 * Thrown by `accept` and `quarantine` for a delivery that no store can keep on its own merit (its
 * id: see storable.ts), or that the store refused for what it holds: nothing was stored, and the
 * store is not unavailable for it. The message says why, for the sender.
 */
export class DeliveryRefused extends Error {
  override name = 'DeliveryRefused';
}

/** A delivery as the receiver takes it in. */
export interface NewDelivery {
  /** The delivery id (`svix-id`), the same on every retry: the inbox's key. */
  id: string;
  receivedAt: Date;
  /** The signature headers and a few others, kept for audit. */
  headers: Record<string, string>;
  /** The body exactly as received. */
  body: string;
  /** The body parsed; the inbox reads the event type, ordering key and event time from it. */
  event: unknown;
  /** The trace of its receipt; absent when nothing traces. */
  traceContext?: TraceContext;
  /**
   * The data key that sealed its headers and body (an encrypted inbox: see encryption/); the
   * write fails with DataKeyGone when the store no longer holds that key.
   */
  dataKeyId?: string;
}

/**
 * Thrown by `accept` and `quarantine` for a delivery sealed under a data key that the store no
 * longer holds (its end user was erased after the key was read): nothing was stored.
 */
export class DataKeyGone extends Error {
  override name = 'DataKeyGone';
}

export interface StoredDelivery {
  id: string;
  state: DeliveryState;
  /** The body's `type` when it is a string; null when the body has none. */
  eventType: string | null;
  receivedAt: Date;
  headers: Record<string, string>;
  body: string;
  /** The lane that orders this delivery: `conversation:<id>`, `end_user:<id>` or `delivery:<id>`. */
  lane: string;
  /** The event's own time in milliseconds (the time received when the event has none). */
  eventTime: number;
  /** Why a quarantined delivery violates the contract; empty otherwise. */
  violations: Violation[];
  /** Handler attempts so far. */
  attempts: number;
  /** The error of the last failed attempt. */
  lastError: string | null;
  /** When the forwarder's broker confirmed it; null when it was not forwarded (yet). */
  forwardedAt: Date | null;
  /** The trace its attempts join: its receipt's, or its last replay's; null when nothing traced it. */
  traceContext: TraceContext | null;
  /** When a pending delivery's next attempt is due after a failed one; null when none failed, or it is not pending. */
  nextAttemptAt: Date | null;
  /** Who discarded it and when; null unless it is discarded. */
  discarded: Discard | null;
  /** The end user it names (`data.end_user_id`, in the form a lane keeps it); null when it names none. */
  endUserId: string | null;
  /** When its end user's data was erased; its headers, body and errors are then empty. */
  erasedAt: Date | null;
  /** Why its content cannot be read (erased, or it failed to decrypt); null when it can. */
  unreadable: string | null;
}

/** A discard as recorded: when, and who (as the inspector could tell: how they signed in, from where). */
export interface Discard {
  at: Date;
  by: string;
}

/** A handler attempt that failed: which, when, and its error. */
export interface FailedAttempt {
  /** 1 for the first attempt; a replay counts from 1 again. */
  attempt: number;
  failedAt: Date;
  error: string;
}

/** A lane's head, leased to one dispatcher until it settles it or the lease runs out. */
export interface ClaimedDelivery {
  id: string;
  eventType: string | null;
  body: string;
  receivedAt: Date;
  /** The lane it heads. */
  lane: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** When an earlier attempt had it forwarded: this one does not publish it again. */
  forwardedAt: Date | null;
  /** The trace this attempt joins. */
  traceContext: TraceContext | null;
  /** Why its content cannot be read (erased, or it failed to decrypt): the attempt must not run. Null when it can. */
  unreadable: string | null;
}

export type Settlement = (
  | { id: string; outcome: 'done' }
  /** The delivery stays at the head of its lane, which waits until `retryAt`. */
  | { id: string; outcome: 'retry'; error: string; retryAt: Date }
  | { id: string; outcome: 'dead'; error: string }
  /** Given back unfinished (the dispatcher is stopping, the broker is unreachable): the attempt does not count. */
  | { id: string; outcome: 'released' }
) & {
  /** When this attempt's forward was confirmed by the broker, whatever became of the handler: kept by every outcome. */
  forwardedAt?: Date;
};

/**
 * A claimer that takes deliveries as they are stored: while it has room, intake leases it each
 * delivery that heads a ready lane (a new lane, most often) in the same transaction, so that a
 * delivery to an idle lane needs no claim of its own.
 */
export interface LeaseAtIntake {
  owner: string;
  leaseMs: number;
  /** Sets aside room for one delivery; false when there is none. */
  reserve(): boolean;
  /**
   * After the intake of a delivery it had room for: the delivery, when intake leased it (else
   * undefined: it waits behind its lane's head, it was a duplicate, or the write failed). The
   * room set aside is the claimer's again either way.
   */
  leased(delivery: ClaimedDelivery | undefined): void;
}

/** Told that deliveries may be claimable; returns whether it has room to claim them itself. */
export type NewDeliveriesListener = () => boolean;

/** A delivery to put back to pending. */
export interface Requeue {
  id: string;
  /** The trace its next attempts join (the replay's own); without one it keeps the trace it had. */
  traceContext?: TraceContext | undefined;
}

/** How often one difference between traffic and the contract was seen (see contract/drift.ts). */
export interface DriftSummary {
  eventType: string;
  kind: DriftKind;
  path: string;
  detail: string;
  /** Deliveries that showed it. */
  deliveries: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** The first delivery that showed it. */
  exampleId: string;
  /** An unknown field's value in that delivery, as JSON: kept only when the receiver was asked to (DRIFT_EXAMPLE_VALUES). */
  exampleValue: string | null;
}

/** Two counts of one difference as one: their deliveries added, their sightings widened, the earlier example kept. */
export function addSightings(earlier: DriftSummary, later: DriftSummary): DriftSummary {
  return {
    ...earlier,
    deliveries: earlier.deliveries + later.deliveries,
    firstSeenAt: earlier.firstSeenAt <= later.firstSeenAt ? earlier.firstSeenAt : later.firstSeenAt,
    lastSeenAt: earlier.lastSeenAt >= later.lastSeenAt ? earlier.lastSeenAt : later.lastSeenAt,
  };
}

export interface DriftFilter {
  /** Last seen at or after. */
  since?: Date;
  eventType?: string;
}

/** Event types by name: `only` these, or every type `except` these. */
export type EventTypeSelection = { only: readonly string[] } | { except: readonly string[] };

export function isSelected(selection: EventTypeSelection, type: string): boolean {
  return 'only' in selection ? selection.only.includes(type) : !selection.except.includes(type);
}

/** `duplicate`: the inbox already held this delivery id, and nothing was written. */
export type StoreOutcome = 'stored' | 'duplicate';

/** Which deliveries a list or a count selects. */
export interface DeliveryQuery {
  state?: DeliveryState;
  eventType?: string;
  /** One lane's deliveries: `conversation:<id>`, `end_user:<id>` or `delivery:<id>`. */
  lane?: string;
  /** Received at or after (a listable time: see list-query.ts). */
  since?: Date;
  /** Received before (a listable time). */
  until?: Date;
  /** Ids that start with this text. */
  idPrefix?: string;
  /** The deliveries that name this end user. */
  endUserId?: string;
}

export interface DeliveryFilter extends DeliveryQuery {
  /** The next page: only deliveries that come after this one, newest first. */
  after?: ListPosition;
  limit: number;
}

/** The states a purge may remove: never pending, which is work still to do. */
export const purgeableStates = ['done', 'dead', 'quarantined', 'discarded'] as const satisfies readonly DeliveryState[];
export type PurgeableState = (typeof purgeableStates)[number];

/** One batch of a purge: at most `limit` deliveries in `state` received before `receivedBefore`, the oldest first. */
export interface PurgeBatch {
  state: PurgeableState;
  receivedBefore: Date;
  limit: number;
}

/** A delivery's place in a list, newest first: by time received, then by id. */
export interface ListPosition {
  receivedAt: Date;
  id: string;
}

/** An inspector session that was signed out: refused by every process on the store until it would have expired anyway. */
export interface EndedSession {
  id: string;
  expiresAt: Date;
}

/** A lane that has pending deliveries, as the dispatcher sees it. */
export interface LaneState {
  key: string;
  /** The delivery that runs next (or runs now, while the lane is leased). */
  headId: string;
  /** `ready` to be claimed, `waiting` for the head's retry at `dueAt`, `leased` to a dispatcher until `lease.until`. */
  status: 'ready' | 'waiting' | 'leased';
  dueAt?: Date;
  lease?: { owner: string; until: Date };
  /** Its pending deliveries, head included. */
  pending: number;
}

export interface ClaimOptions {
  /** Who claims: only the holder of a lane's lease can settle its head. */
  owner: string;
  limit: number;
  leaseMs: number;
  now?: Date;
}

/** Taking deliveries in: the receiver's intake. */
export interface InboxIntake {
  /**
   * Stores a valid delivery as pending, in its lane: it becomes the lane's head when its event is
   * older than the head's. It replaces a quarantined delivery with the same id. What the inbox
   * derives from it is kept in a form every store takes (see ordering.ts and storable.ts); a
   * delivery it cannot keep is refused (DeliveryRefused).
   */
  accept(delivery: NewDelivery): Promise<StoreOutcome>;
  /** Stores a delivery that violates the contract, with its violations (kept as storable.ts says). It joins no lane. */
  quarantine(delivery: NewDelivery, violations: Violation[]): Promise<StoreOutcome>;
}

/** The lanes as a queue, the dispatcher's side: claims, settlements, leases at intake, and word of new deliveries. */
export interface LaneQueue {
  /**
   * Leases the heads of up to `limit` ready lanes, oldest head event first. A lane is ready when
   * it has a head that is due and nobody holds its lease, or the lease ran out.
   */
  claim(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Records how attempts ended and moves their lanes on; ignores a settlement from an owner that
   * no longer holds the lease (it ran out and another dispatcher claimed the lane).
   */
  settle(owner: string, settlements: Settlement[]): Promise<void>;
  /**
   * Has intake lease to `claimer`, while it has room, each delivery that heads a ready lane once
   * stored (one claimer per inbox). Returns a function that stops it.
   */
  leaseAtIntake(claimer: LeaseAtIntake): () => void;
  /**
   * Calls `listener` when deliveries may have become claimable: stored or requeued by this
   * process, or, where the backend can tell, by any other process on the same store. The
   * listener says whether it has room to claim them here; where the backend tells other
   * processes, it tells them only when no listener of this one has room, so that the replica that
   * stores a delivery handles it and the others are not woken for it. Polling still covers what a
   * notice misses. Returns a function that removes the listener.
   */
  onNewDeliveries(listener: NewDeliveriesListener): () => void;
}

/** Reading deliveries, their failed attempts, their lanes and their counts. */
export interface DeliveryReads {
  get(id: string): Promise<StoredDelivery | undefined>;
  /** Newest first (by time received, then id). */
  list(filter: DeliveryFilter): Promise<StoredDelivery[]>;
  /** How many deliveries the query selects (a scan of what it selects: for commands, not for every request). */
  count(query: DeliveryQuery): Promise<number>;
  /** A delivery's failed attempts, oldest first, those before a replay included. */
  failedAttempts(id: string): Promise<FailedAttempt[]>;
  /** A lane with pending deliveries; undefined when nothing in it is pending. */
  lane(key: string): Promise<LaneState | undefined>;
  /** A lane's pending deliveries in the order they will run, head first. */
  laneQueue(key: string, limit: number): Promise<StoredDelivery[]>;
  /** Read from counters kept in the same transactions as the writes: never a scan. */
  countByState(): Promise<Record<DeliveryState, number>>;
  /** When the oldest pending delivery was received, if any is pending. */
  oldestPending(): Promise<Date | undefined>;
  /** When the oldest pending delivery of these types that was not forwarded yet was received. */
  oldestUnforwarded(types: EventTypeSelection): Promise<Date | undefined>;
}

/** What an operator does to stored deliveries: replay them, purge them, set them aside. */
export interface DeliveryOperations {
  /** Puts deliveries that are dead, quarantined or done back to pending, into their lanes, as if new (to be forwarded again too); never an erased one. Returns how many. */
  requeue(deliveries: readonly Requeue[]): Promise<number>;
  /**
   * Deletes one batch of deliveries with their payloads and failed attempts; returns how many.
   * The counters by state follow. Keep batches small: a batch holds the store's write lock.
   */
  purge(batch: PurgeBatch): Promise<number>;
  /** Replaces the violations of a delivery that is still quarantined. */
  updateViolations(id: string, violations: Violation[]): Promise<void>;
  /**
   * Sets a quarantined delivery aside for good: it becomes discarded, with the discard recorded
   * and its violations kept. False, and nothing changed, when it is not quarantined (or not there).
   */
  discard(id: string, discard: Discard): Promise<boolean>;
}

/** A data key of an encrypted inbox, as stored: wrapped by one of the keys the operator holds (see encryption/). */
export interface StoredDataKey {
  /** Random, and named in every envelope sealed with it. */
  id: string;
  /** Whose data it seals: `end_user:<id>`, or `no_end_user` for deliveries that name none. */
  owner: string;
  /** The key, sealed by an operator's key (see encryption/keys.ts). */
  wrapped: string;
}

/** The data keys of an encrypted inbox (see encryption/): kept wrapped, never in clear. */
export interface DataKeys {
  dataKeyOf(owner: string): Promise<StoredDataKey | undefined>;
  dataKeyById(id: string): Promise<StoredDataKey | undefined>;
  /** Stores `key` unless its owner has one already; resolves with the owner's key as stored (another process's may have come first). */
  addDataKey(key: StoredDataKey): Promise<StoredDataKey>;
  /** Up to `limit` keys, by id, after `afterId`: for re-wrapping them all. */
  dataKeys(afterId: string | undefined, limit: number): Promise<StoredDataKey[]>;
  /** Replaces a key's wrapping if it is still `previous`; false when it changed or is gone. */
  rewrapDataKey(id: string, previous: string, wrapped: string): Promise<boolean>;
}

/** Erasing what is kept of an end user (a request under GDPR or CCPA, answered in Ada first). */
export interface EndUserErasure {
  /**
   * Empties the headers, body and errors of every delivery that names the end user, clears the
   * drift examples they gave, marks them erased at `at`, and destroys the end user's data key,
   * in one transaction. Returns how many deliveries it erased: 0 when done before.
   */
  erase(endUserId: string, at: Date): Promise<number>;
  /** How many deliveries are erased: of one end user (their id as sent, as `erase` takes it), or of all. */
  countErased(endUserId?: string): Promise<number>;
}

/** How traffic differs from the contract, summarised (see contract/drift.ts). */
export interface DriftRecords {
  /**
   * Adds to the drift summaries: the deliveries of each are added to those already counted, the
   * first and last sightings widen, and the example stays the first one recorded.
   */
  recordDrift(summaries: readonly DriftSummary[]): Promise<void>;
  /** The drift summaries, the most recently seen first. */
  drift(filter?: DriftFilter): Promise<DriftSummary[]>;
}

/** The inspector's sessions that were signed out, shared by every process on the store. */
export interface EndedSessions {
  /**
   * Records that an inspector session was signed out (a second time changes nothing); the records
   * of sessions that have expired since are deleted, so the store holds only sessions that could
   * still be presented.
   */
  endSession(session: EndedSession): Promise<void>;
  /** Which of these inspector sessions were signed out and have not expired yet. */
  endedSessions(ids: readonly string[]): Promise<string[]>;
}

/** Whether the store can be reached and written. */
export interface InboxAvailability {
  /**
   * Calls `listener` when the store becomes unavailable (a write failed, a connection was lost)
   * and when it takes writes again; while it is unavailable, a probe write runs every second.
   * Returns a function that removes the listener.
   */
  onAvailabilityChange(listener: (availability: Availability) => void): () => void;
  /**
   * Rejects when the store cannot be reached, or cannot be written: after a write that stores
   * something failed, it resolves only once a probe write succeeds (see support/availability.ts).
   */
  ping(): Promise<void>;
}

/** A store: every concern above, and its closing. */
export interface Inbox
  extends
    InboxIntake,
    LaneQueue,
    DeliveryReads,
    DeliveryOperations,
    EndUserErasure,
    DataKeys,
    DriftRecords,
    EndedSessions,
    InboxAvailability {
  close(): Promise<void>;
}
