// The `list` filter as SQL, for every backend: each gives its table names and its placeholder for
// a parameter. Times travel as ISO 8601 text, which both SQLite's text column and PostgreSQL's
// timestamptz compare in time order. Newest first means by time received, then by id, so that a
// page's last delivery is an exact position to continue from (ties in time included).
import { unknownOptions } from '../support/settings-reader.ts';
import { isTime } from '../support/typed-time.ts';
import { deliveryStates, type DeliveryFilter, type DeliveryQuery } from './inbox.ts';

export interface ListTables {
  /** The deliveries table, as the query names it. */
  deliveries: string;
  /** What the page's rows are read from: the deliveries, with their payloads where those live apart. */
  rows: string;
  placeholder: (position: number) => string;
  /**
   * Read an id prefix as a range of the id's index (only where that index is in code point order,
   * as SQLite's BINARY collation is; in PostgreSQL's collation of the database, the ids that share
   * a prefix need not be contiguous). Worth it when few ids share the prefix: the other conditions
   * then only filter that range, and the page is sorted when read.
   */
  idPrefixAsRange?: boolean;
}

/**
 * The times a list's bounds may take: those whose ISO 8601 text has a four-digit year, as both
 * backends read it. PostgreSQL refuses the year 0, and reads the sign of a year written in six
 * digits (`+275760-09-13`) as an offset; SQLite would compare such a text out of time order.
 */
export const listableTimes = { earliest: new Date('0001-01-01T00:00:00.000Z'), latest: new Date('9999-12-31T23:59:59.999Z') };
export const isListableTime = (time: Date): boolean => time >= listableTimes.earliest && time <= listableTimes.latest;

type Statement = { text: string; parameters: unknown[] };

/** A statement's parameters, each added where `value` places it. */
function parametersFor(placeholder: (position: number) => string) {
  const parameters: unknown[] = [];
  return { parameters, value: (parameter: unknown) => placeholder(parameters.push(parameter)) };
}

/**
 * The first text after every text that starts with `prefix`, in code point order: its last code
 * point raised by one (past the surrogates, which no text holds), or, when that is the last code
 * point there is, the same for the prefix without it. Undefined when no text comes after them all.
 */
export function afterPrefix(prefix: string): string | undefined {
  const points = [...prefix].map((char) => char.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) return String.fromCodePoint(...points, last + 1 === 0xd800 ? 0xe000 : last + 1);
  }
  return undefined;
}

/** An id prefix as a range of the id's index, in code point order: `id >= prefix AND id < afterPrefix(prefix)`. */
export function idRangeOf(prefix: string, value: (parameter: unknown) => string): string {
  const after = afterPrefix(prefix);
  return after === undefined ? `id >= ${value(prefix)}` : `id >= ${value(prefix)} AND id < ${value(after)}`;
}

/** The conditions of a query, with `state` in place of the query's own (the list reads each state apart). */
function conditionsOf(
  query: DeliveryQuery,
  state: string | undefined,
  value: (parameter: unknown) => string,
  idPrefixAsRange = false,
): string {
  const conditions: string[] = [];
  // SQLite uses no index for a column written `+column`: the id range is then the one it reads.
  const column = (name: string) => (idPrefixAsRange && query.idPrefix ? `+${name}` : name);
  if (state) conditions.push(`${column('state')} = ${value(state)}`);
  if (query.lane) conditions.push(`${column('lane')} = ${value(query.lane)}`);
  if (query.endUserId !== undefined) conditions.push(`${column('end_user_id')} = ${value(query.endUserId)}`);
  if (query.eventType) conditions.push(`${column('event_type')} = ${value(query.eventType)}`);
  if (query.since) conditions.push(`${column('received_at')} >= ${value(query.since.toISOString())}`);
  if (query.until) conditions.push(`${column('received_at')} < ${value(query.until.toISOString())}`);
  if (query.idPrefix) {
    // substr and length count characters on both backends.
    conditions.push(`substr(id, 1, ${[...query.idPrefix].length}) = ${value(query.idPrefix)}`);
    if (idPrefixAsRange) conditions.push(idRangeOf(query.idPrefix, value));
  }
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

/** Every field of the list's filter by name (the compiler keeps it complete): a misspelt one would select every delivery. */
const filterFields: readonly string[] = Object.keys({
  state: true,
  eventType: true,
  lane: true,
  since: true,
  until: true,
  idPrefix: true,
  endUserId: true,
  after: true,
  limit: true,
} satisfies Record<keyof DeliveryFilter, true>);

/** The fields of a count's query: a list's, without its page. */
const queryFields = filterFields.filter((field) => field !== 'after' && field !== 'limit');

/**
 * Refuses what a filter cannot mean, rather than select other deliveries than asked (an app calls
 * the inbox from JavaScript too): a field it does not have, naming the closest one; a state that
 * is none; a time that is not a Date; a page size that is not a positive integer.
 */
function checkFilter(filter: Partial<DeliveryFilter>, fields: readonly string[], of: string): void {
  const problems = unknownOptions(filter, fields, of);
  if (filter.state !== undefined && !deliveryStates.includes(filter.state))
    problems.push(`${of}: state must be one of ${deliveryStates.join(', ')}, got ${JSON.stringify(filter.state)}.`);
  if (filter.endUserId !== undefined && typeof filter.endUserId !== 'string')
    problems.push(`${of}: endUserId must be a string, got ${String(filter.endUserId)}.`);
  for (const bound of ['since', 'until'] as const) {
    const time: unknown = filter[bound];
    if (time !== undefined && !isTime(time)) problems.push(`${of}: ${bound} must be a Date, got ${String(time)}.`);
  }
  if (fields.includes('limit') && !(Number.isSafeInteger(filter.limit) && filter.limit! > 0))
    problems.push(`${of}: limit must be a positive integer, got ${String(filter.limit)}.`);
  if (problems.length > 0) throw new TypeError(problems.join('\n'));
}

export function listQuery(filter: DeliveryFilter, { deliveries, rows, placeholder, idPrefixAsRange = false }: ListTables): Statement {
  checkFilter(filter, filterFields, 'inbox.list');
  const { parameters, value } = parametersFor(placeholder);
  const newestFirst = 'ORDER BY received_at DESC, id DESC';

  /** The newest matching deliveries of one state, or of any (read through the lane's or the type's index). */
  const newest = (state: string | undefined) => {
    // SQLite's placeholders are positional: parameters are added in the order the text reads.
    const where = conditionsOf(filter, state, value, idPrefixAsRange);
    const after = filter.after
      ? `(received_at, id) < (${value(filter.after.receivedAt.toISOString())}, ${value(filter.after.id)})`
      : undefined;
    const conditions = after ? (where === '' ? `WHERE ${after}` : `${where} AND ${after}`) : where;
    return `SELECT id, received_at FROM ${deliveries} ${conditions} ${newestFirst} LIMIT ${value(filter.limit)}`;
  };

  const page =
    filter.state || filter.lane || filter.eventType || filter.endUserId !== undefined || (filter.idPrefix && idPrefixAsRange)
      ? newest(filter.state)
      : `SELECT id FROM (${deliveryStates.map((state) => `SELECT * FROM (${newest(state)}) AS ${state}`).join(' UNION ALL ')}) AS newest
         ${newestFirst} LIMIT ${value(filter.limit)}`;
  return { text: `SELECT * FROM ${rows} WHERE id IN (SELECT id FROM (${page}) AS page) ${newestFirst}`, parameters };
}

/** How many deliveries a query selects. */
export function countQuery(query: DeliveryQuery, { deliveries, placeholder, idPrefixAsRange }: Omit<ListTables, 'rows'>): Statement {
  checkFilter(query, queryFields, 'inbox.count');
  const { parameters, value } = parametersFor(placeholder);
  return { text: `SELECT count(*) AS count FROM ${deliveries} ${conditionsOf(query, query.state, value, idPrefixAsRange)}`, parameters };
}
