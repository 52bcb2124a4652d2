// The deliveries list's filter as it travels in the page's URL, so that a link shows the same
// deliveries to whoever opens it: parsed into the inbox's filter, and written back.
import { deliveryStates, type DeliveryFilter, type DeliveryState, type ListPosition } from '../inbox/inbox.ts';
import { isListableTime, listableTimes } from '../inbox/list-query.ts';
import { laneOf, storableEndUserId } from '../inbox/ordering.ts';
import { storableEventType } from '../inbox/storable.ts';
import { isStorableText } from '../support/storable-text.ts';
import { parseTypedTime } from '../support/typed-time.ts';

/** The fields of the filter form, as text. */
const filterFields = ['id', 'state', 'type', 'conversation', 'end_user', 'since', 'until'] as const;
export type FilterForm = Partial<Record<(typeof filterFields)[number], string>>;

interface ParsedFilter {
  form: FilterForm;
  filter: Omit<DeliveryFilter, 'limit' | 'after'>;
  after: ListPosition | undefined;
  /** What is wrong with the fields, one sentence each. */
  problems: string[];
}

/** `after` is a position in the list: the time received (ISO 8601, always 24 characters) and the id. */
export const positionParameter = ({ receivedAt, id }: ListPosition) => `${receivedAt.toISOString()}_${id}`;

function parsePosition(raw: string): ListPosition | undefined {
  const receivedAt = parseTypedTime(raw.slice(0, 24));
  const id = raw.slice(25);
  return raw[24] === '_' && receivedAt !== undefined && isListableTime(receivedAt) && isStorableText(id) ? { receivedAt, id } : undefined;
}

const day = (time: Date) => time.toISOString().slice(0, 10);

export function parseFilter(query: Record<string, string | string[] | undefined>): ParsedFilter {
  const text = (name: string) => {
    const value = query[name];
    const first = (Array.isArray(value) ? value[0] : value)?.trim();
    return first === '' ? undefined : first;
  };
  const form: FilterForm = Object.fromEntries(filterFields.flatMap((name) => (text(name) === undefined ? [] : [[name, text(name)]])));
  const problems: string[] = [];
  const filter: ParsedFilter['filter'] = {};

  if (form.state !== undefined) {
    if (deliveryStates.includes(form.state as DeliveryState)) filter.state = form.state as DeliveryState;
    else problems.push(`State must be one of ${deliveryStates.join(', ')}.`);
  }
  if (form.id !== undefined) {
    if (isStorableText(form.id)) filter.idPrefix = form.id;
    else problems.push('A delivery id never holds NUL or a lone surrogate: the inbox refuses such ids.');
  }
  // As the inbox keeps it (see storable.ts): a type sent with NUL is found by the type as sent.
  if (form.type !== undefined) filter.eventType = storableEventType(form.type);
  if (form.conversation !== undefined) filter.lane = laneOf('conversation', form.conversation);
  // Every delivery that names the end user, in a conversation's lane or their own; found, as for
  // erasure, by the id as sent, whatever form the inbox keeps it in (see storableEndUserId).
  if (form.end_user !== undefined) filter.endUserId = storableEndUserId(form.end_user);
  for (const bound of ['since', 'until'] as const) {
    const raw = form[bound];
    if (raw === undefined) continue;
    const time = parseTypedTime(raw);
    const label = bound === 'since' ? 'Received from' : 'Received before';
    if (!time) problems.push(`"${label}" must be a time such as 2026-11-24 09:00 (UTC, 24-hour).`);
    else if (!isListableTime(time))
      problems.push(`"${label}" must be a time from ${day(listableTimes.earliest)} to ${day(listableTimes.latest)} (UTC).`);
    else filter[bound] = time;
  }
  const rawAfter = text('after');
  const after = rawAfter === undefined ? undefined : parsePosition(rawAfter);
  if (rawAfter !== undefined && !after) problems.push('The page link is damaged: start again from the newest deliveries.');
  return { form, filter, after, problems };
}

/** The query string of a filter form, with more parameters (a page, live updates off). */
export function filterToQueryString(form: FilterForm, extra: Record<string, string | undefined> = {}): string {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...form, ...extra })) if (value !== undefined) parameters.set(name, value);
  const query = parameters.toString();
  return query === '' ? '' : `?${query}`;
}
