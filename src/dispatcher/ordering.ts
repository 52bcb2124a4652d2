// What decides the order in which stored events are handled: events that share a key are handled
// one at a time, oldest event time first.

/**
 * `conversation:<id>` for any event about a conversation, `end_user:<id>` for end-user events,
 * none for the rest (audit log entries, events without such ids).
 */
export function orderingKey(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const { type, data } = body as { type?: unknown; data?: { conversation_id?: unknown; end_user_id?: unknown } };
  if (typeof data !== 'object' || data === null) return null;
  if (typeof data.conversation_id === 'string') return `conversation:${data.conversation_id}`;
  if (typeof type === 'string' && type.startsWith('v1.end_user.') && typeof data.end_user_id === 'string') {
    return `end_user:${data.end_user_id}`;
  }
  return null;
}

/** The event's `timestamp` in milliseconds; a value without an offset is UTC (see AdaTimestamp). */
export function eventTime(body: unknown): number | null {
  const timestamp = (body as { timestamp?: unknown } | null)?.timestamp;
  if (typeof timestamp !== 'string') return null;
  const withOffset = /(Z|[+-]\d{2}:\d{2})$/.test(timestamp) ? timestamp : `${timestamp}Z`;
  const time = Date.parse(withOffset);
  return Number.isNaN(time) ? null : time;
}
