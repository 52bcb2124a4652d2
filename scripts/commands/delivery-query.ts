// The options that select deliveries, shared by `npm run inbox` and `npm run replay`: the same
// names, the same time formats and the same messages, parsed into the inbox's query.
import { parseDuration, Invalid } from '../../src/support/settings-reader.ts';
import { deliveryStates, type DeliveryQuery, type DeliveryState } from '../../src/inbox/inbox.ts';
import { isListableTime, listableTimes } from '../../src/inbox/list-query.ts';
import { laneOf, storableEndUserId } from '../../src/inbox/ordering.ts';
import { storableEventType } from '../../src/inbox/storable.ts';
import { parseTypedTime } from '../../src/support/typed-time.ts';

export const queryOptions = {
  state: { type: 'string' },
  type: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  conversation: { type: 'string' },
  'end-user': { type: 'string' },
} as const;

type QueryValues = Partial<Record<keyof typeof queryOptions, string>>;

export const queryUsage = `  --state STATE         only deliveries in this state (${deliveryStates.join(', ')})
  --type TYPE           only deliveries of this event type
  --since TIME          only deliveries received at or after TIME: ISO 8601 (2026-11-24T09:00:00Z), or a
                        duration ago (90m, 12h, 7d)
  --until TIME          only deliveries received before TIME (the same forms)
  --conversation ID     only the deliveries of one conversation
  --end-user ID         only the deliveries that name one end user (data.end_user_id), whatever their type`;

/** A time on the command line: ISO 8601 (UTC without an offset), or a duration before now. */
function parseTime(raw: string, now: number): Date | undefined {
  const ago = parseDuration(raw);
  return ago instanceof Invalid ? parseTypedTime(raw) : new Date(now - ago);
}

/** Whether any option that selects deliveries was given. */
export const selects = (values: QueryValues): boolean => Object.keys(queryOptions).some((name) => values[name as keyof QueryValues]);

/** The options given, parsed into the inbox's query; `fail` says what is wrong with one and ends the command. */
export function parseDeliveryQuery(values: QueryValues, fail: (message: string) => never, now = Date.now()): DeliveryQuery {
  const query: DeliveryQuery = {};
  if (values.state !== undefined) {
    if (!deliveryStates.includes(values.state as DeliveryState))
      fail(`--state must be one of ${deliveryStates.join(', ')}, got ${JSON.stringify(values.state)}.`);
    query.state = values.state as DeliveryState;
  }
  // As the inbox keeps it (see storable.ts), as the inspector's filter does.
  if (values.type !== undefined) query.eventType = storableEventType(values.type);
  if (values.conversation !== undefined) query.lane = laneOf('conversation', values.conversation);
  // As the inbox keeps it, as erasure finds it.
  if (values['end-user'] !== undefined) query.endUserId = storableEndUserId(values['end-user']);
  for (const bound of ['since', 'until'] as const) {
    const raw = values[bound];
    if (raw === undefined) continue;
    const time =
      parseTime(raw, now) ??
      fail(`--${bound} must be a time such as 2026-11-24T09:00:00Z or a duration ago such as 12h, got ${JSON.stringify(raw)}.`);
    if (!isListableTime(time)) {
      const [earliest, latest] = [listableTimes.earliest, listableTimes.latest].map((each) => each.toISOString());
      fail(`--${bound} must be a time from ${earliest} to ${latest}, got ${JSON.stringify(raw)} (${time.toISOString()}).`);
    }
    query[bound] = time;
  }
  return query;
}
