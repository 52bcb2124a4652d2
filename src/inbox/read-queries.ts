// The reads of one delivery, its failed attempts, its lane, a lane's queue and the oldest pending
// deliveries as SQL for every backend, as list-query.ts writes the list's: each backend gives its
// table names, its placeholder for a parameter, and how it asks whether a value is in a list.
import type { ListTables } from './list-query.ts';

export interface StoreTables extends Omit<ListTables, 'idPrefixAsRange'> {
  lanes: string;
  failedAttempts: string;
  /** Whether `expression` is one of the texts that the list parameter `parameter` holds (`negated`: none of them). */
  oneOf: (expression: string, parameter: string, negated: boolean) => string;
}

export function readQueries({ deliveries, rows, lanes, failedAttempts, placeholder, oneOf }: StoreTables) {
  const [first, second] = [placeholder(1), placeholder(2)];
  return {
    get: `SELECT * FROM ${rows} WHERE id = ${first}`,
    failedAttempts: `SELECT attempt, failed_at, error FROM ${failedAttempts} WHERE delivery_id = ${first} ORDER BY failed_at, attempt`,
    oldestPending: `SELECT min(received_at) AS oldest FROM ${deliveries} WHERE state = 'pending'`,
    /** The oldest pending, unforwarded delivery whose type is (`only`) or is not (`except`) one of a list. */
    oldestUnforwarded: (selection: 'only' | 'except') => `
      SELECT received_at FROM ${deliveries}
      WHERE state = 'pending' AND forwarded_at IS NULL AND ${oneOf("coalesce(event_type, '')", first, selection === 'except')}
      ORDER BY received_at LIMIT 1`,
    lane: `
      SELECT *, (SELECT count(*) FROM ${deliveries} WHERE lane = key AND state = 'pending') AS pending
      FROM ${lanes} WHERE key = ${first}`,
    laneQueue: `SELECT * FROM ${rows} WHERE lane = ${first} AND state = 'pending' ORDER BY event_time, id LIMIT ${second}`,
  };
}
