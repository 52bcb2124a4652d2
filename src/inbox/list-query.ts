// The `list` filter as SQL, for every backend: each gives its own placeholder for a parameter.
// Times travel as ISO 8601 text, which both SQLite's text column and PostgreSQL's timestamptz
// compare in time order. Newest first means by time received, then by id, so that a page's
// last delivery is an exact position to continue from (ties in time included).
import type { DeliveryFilter } from './inbox.ts';

/**
 * The indexes that keep a page of the list fast however large the inbox: one per filter that
 * narrows it, each in list order, so that a page reads its rows and no more. `schema` qualifies
 * the names where the backend has schemas (`{schema}.`).
 */
export const listIndexes = (schema = '') => `
  DROP INDEX ${schema}deliveries_by_state;
  CREATE INDEX deliveries_by_state ON ${schema}deliveries (state, received_at, id);
  CREATE INDEX deliveries_newest ON ${schema}deliveries (received_at, id);
  CREATE INDEX deliveries_by_type ON ${schema}deliveries (event_type, received_at, id);
  CREATE INDEX deliveries_by_lane ON ${schema}deliveries (lane, received_at, id);`;

export interface ListQuery {
  /** `WHERE ...`, or nothing. */
  where: string;
  orderAndLimit: string;
  parameters: unknown[];
}

export function listQuery(filter: DeliveryFilter, placeholder: (position: number) => string): ListQuery {
  const conditions: string[] = [];
  const parameters: unknown[] = [];
  const value = (parameter: unknown) => placeholder(parameters.push(parameter));
  if (filter.state) conditions.push(`state = ${value(filter.state)}`);
  if (filter.eventType) conditions.push(`event_type = ${value(filter.eventType)}`);
  if (filter.lane) conditions.push(`lane = ${value(filter.lane)}`);
  if (filter.since) conditions.push(`received_at >= ${value(filter.since.toISOString())}`);
  if (filter.until) conditions.push(`received_at < ${value(filter.until.toISOString())}`);
  if (filter.after) {
    conditions.push(`(received_at, id) < (${value(filter.after.receivedAt.toISOString())}, ${value(filter.after.id)})`);
  }
  return {
    where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '',
    orderAndLimit: `ORDER BY received_at DESC, id DESC LIMIT ${value(filter.limit)}`,
    parameters,
  };
}
