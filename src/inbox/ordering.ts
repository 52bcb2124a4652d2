// What the inbox reads from an event at intake: its type, the lane that orders it, and its time.
// Deliveries of one lane are handled one at a time, oldest event time first.
import type { NewDelivery } from './inbox.ts';

export interface DerivedFields {
  eventType: string | null;
  lane: string;
  eventTime: number;
}

/** The fields every backend stores beside the body, derived the same way for all. */
export function derivedFields({ id, event, receivedAt }: NewDelivery): DerivedFields {
  const type = (event as { type?: unknown } | null)?.type;
  return {
    eventType: typeof type === 'string' ? type : null,
    lane: orderingKey(event) ?? `delivery:${id}`,
    eventTime: eventTime(event) ?? receivedAt.getTime(),
  };
}

/**
 * `conversation:<id>` for any event about a conversation, `end_user:<id>` for end-user events,
 * none for the rest (audit log entries, events without such ids): each of those is a lane of its own.
 */
function orderingKey(event: unknown): string | null {
  if (typeof event !== 'object' || event === null) return null;
  const { type, data } = event as { type?: unknown; data?: { conversation_id?: unknown; end_user_id?: unknown } };
  if (typeof data !== 'object' || data === null) return null;
  if (typeof data.conversation_id === 'string') return `conversation:${data.conversation_id}`;
  if (typeof type === 'string' && type.startsWith('v1.end_user.') && typeof data.end_user_id === 'string') {
    return `end_user:${data.end_user_id}`;
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
