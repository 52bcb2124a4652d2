// What the inbox reads from an event at intake: its type, the lane that orders it, and its time.
// Deliveries of one lane are handled one at a time, oldest event time first. A sender chooses the
// type and the ids: each is kept in a form every store takes (storable.ts).
import { eventTypeOf } from '../contract/events.ts';
import type { NewDelivery } from './inbox.ts';
import { maxLaneIdBytes, refuseUnstorableId, storableEventType, storableKey } from './storable.ts';

export interface DerivedFields {
  eventType: string | null;
  lane: string;
  eventTime: number;
  /** The end user it names (`data.end_user_id`), in the form a lane keeps it; null when it names none. */
  endUserId: string | null;
}

/**
 * The fields every backend stores beside the body, derived the same way for all. Throws
 * DeliveryRefused for a delivery whose id no store can key.
 */
export function derivedFields({ id, event, receivedAt }: NewDelivery): DerivedFields {
  refuseUnstorableId(id);
  const type = eventTypeOf(event);
  return {
    eventType: type === undefined ? null : storableEventType(type),
    lane: orderingKey(event) ?? `delivery:${id}`,
    eventTime: eventTime(event) ?? receivedAt.getTime(),
    endUserId: endUserOf(event),
  };
}

/** The end user an event names, in the form a lane keeps their id (whatever the event's type); null when it names none. */
export function endUserOf(event: unknown): string | null {
  const data = (event as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null) return null;
  const { end_user_id } = data as { end_user_id?: unknown };
  return typeof end_user_id === 'string' ? storableEndUserId(end_user_id) : null;
}

/** An end user's id as the inbox keeps it, for their lane and for erasure (see storableKey). */
export const storableEndUserId = (id: string): string => storableKey(id, maxLaneIdBytes);

/** Whose data key seals a delivery's content: its end user's (as kept), or the key of the deliveries that name none. */
export const dataKeyOwnerOf = (endUserId: string | null): string => (endUserId === null ? 'no_end_user' : `end_user:${endUserId}`);

/**
 * The lane of a conversation's events, or of an end user's: `conversation:<id>` or
 * `end_user:<id>`, with an id that a store would not keep as it is (longer than maxLaneIdBytes, or
 * holding NUL or a lone surrogate) as storableKey makes it.
 */
export const laneOf = (kind: 'conversation' | 'end_user', id: string): string => `${kind}:${storableKey(id, maxLaneIdBytes)}`;

/**
 * The conversation's lane for any event about a conversation, the end user's for end-user events,
 * none for the rest (audit log entries, events without such ids): each of those is a lane of its own.
 */
function orderingKey(event: unknown): string | null {
  if (typeof event !== 'object' || event === null) return null;
  const { data } = event as { data?: { conversation_id?: unknown; end_user_id?: unknown } };
  const type = eventTypeOf(event);
  if (typeof data !== 'object' || data === null) return null;
  if (typeof data.conversation_id === 'string') return laneOf('conversation', data.conversation_id);
  if (type?.startsWith('v1.end_user.') && typeof data.end_user_id === 'string') {
    return laneOf('end_user', data.end_user_id);
  }
  return null;
}

/** The event's `timestamp` in milliseconds; a value without an offset is UTC (see AdaTimestamp). */
function eventTime(event: unknown): number | null {
  const timestamp = (event as { timestamp?: unknown } | null)?.timestamp;
  if (typeof timestamp !== 'string') return null;
  const withOffset = /(Z|[+-]\d{2}:\d{2})$/.test(timestamp) ? timestamp : `${timestamp}Z`;
  const time = Date.parse(withOffset);
  return Number.isNaN(time) ? null : time;
}
