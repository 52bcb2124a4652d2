// What an app may do with a receiver's inbox (receiver.inbox): read deliveries, their lanes,
// counts and contract drift, replay them, purge them, set them aside, erase an end user's. The
// intake's side and the dispatcher's (claims, settlements, leases at intake) stay the receiver's
// own: a lease taken from outside would steal a delivery from the dispatcher that handles it.
import { isTime } from '../support/typed-time.ts';
import {
  purgeableStates,
  type DeliveryOperations,
  type DeliveryReads,
  type DriftRecords,
  type EndUserErasure,
  type Inbox,
  type PurgeBatch,
} from './inbox.ts';

export interface InboxView extends DeliveryReads, DeliveryOperations, Omit<EndUserErasure, 'erase'>, Pick<DriftRecords, 'drift'> {
  /** As EndUserErasure's, erased now unless told when. */
  erase(endUserId: string, at?: Date): Promise<number>;
}

/** The view of `inbox`: an object of its own, so that the rest of the store cannot be reached through it. */
export function inboxView(inbox: Inbox): InboxView {
  return {
    get: (id) => inbox.get(id),
    list: (filter) => inbox.list(filter),
    count: (query) => inbox.count(query),
    failedAttempts: (id) => inbox.failedAttempts(id),
    lane: (key) => inbox.lane(key),
    laneQueue: (key, limit) => inbox.laneQueue(key, limit),
    countByState: () => inbox.countByState(),
    oldestPending: () => inbox.oldestPending(),
    oldestUnforwarded: (types) => inbox.oldestUnforwarded(types),
    requeue: (deliveries) => inbox.requeue(deliveries),
    purge: async (batch) => inbox.purge(checkedPurge(batch)),
    updateViolations: (id, violations) => inbox.updateViolations(id, violations),
    discard: (id, discard) => inbox.discard(id, discard),
    erase: async (endUserId, at = new Date()) => inbox.erase(checkedEndUserId(endUserId), checkedTime(at)),
    countErased: (endUserId) => inbox.countErased(endUserId),
    drift: (filter) => inbox.drift(filter),
  };
}

/**
 * A purge batch as asked from outside, checked as the types say, for callers in JavaScript too:
 * a purge of pending deliveries would delete work still to do and leave its lane pointing at a
 * delivery that is gone.
 */
function checkedPurge(batch: PurgeBatch): PurgeBatch {
  const { state, receivedBefore, limit } = batch;
  const problems: string[] = [];
  if (!purgeableStates.includes(state)) problems.push(`state must be one of ${purgeableStates.join(', ')}, got ${JSON.stringify(state)}`);
  if (!isTime(receivedBefore)) problems.push(`receivedBefore must be a Date, got ${String(receivedBefore)}`);
  if (!(Number.isSafeInteger(limit) && limit > 0)) problems.push(`limit must be a positive integer, got ${String(limit)}`);
  if (problems.length > 0) throw new TypeError(`inbox.purge: ${problems.join('; ')}.`);
  return batch;
}

/** An end user's id as asked from outside: an erasure of "" or of a value that is no id would erase nothing, and say so by returning 0. */
function checkedEndUserId(endUserId: string): string {
  if (typeof endUserId !== 'string' || endUserId === '') {
    throw new TypeError(`inbox.erase: endUserId must be a non-empty string, got ${JSON.stringify(endUserId) ?? String(endUserId)}.`);
  }
  return endUserId;
}

function checkedTime(at: Date): Date {
  if (!isTime(at)) throw new TypeError(`inbox.erase: at must be a Date, got ${String(at)}.`);
  return at;
}
