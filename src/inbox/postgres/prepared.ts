// Statements as each PostgreSQL operation declares them (SQL by name, for the inbox's schema), each
// run on the pool as a named prepared statement: what the operation modules take, as SQLite's take
// theirs (sqlite/prepared.ts). Each runs as a transaction of its own, so one that PostgreSQL rolled
// back to break a deadlock or a serialization failure changed nothing and is run again, as
// PostgreSQL's documentation advises: two replicas' writes that met on a lane are not an outage.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** Runs the statement on the pool with these values. */
export type PreparedStatement = <Row extends pg.QueryResultRow>(values: unknown[]) => Promise<pg.QueryResult<Row>>;

/** The prepared form of a module's statements, by the same names. */
export type Prepared<Statements> = Record<keyof Statements, PreparedStatement>;

/** SQLSTATEs of a transaction that PostgreSQL rolled back so that another could go on: deadlock_detected, serialization_failure. */
const rolledBackForAnother = new Set(['40P01', '40001']);
const runs = 5;

export function prepareAll<Statements extends Record<string, string>>(
  pool: pg.Pool,
  schema: string,
  statements: Statements,
): Prepared<Statements> {
  const prepare = (name: string, text: string) => async (values: unknown[]) => {
    for (let run = 1; ; run += 1) {
      try {
        return await pool.query({ name: `${name} ${schema}`, text, values });
      } catch (error) {
        if (!(error instanceof pg.DatabaseError && rolledBackForAnother.has(error.code ?? '')) || run === runs) throw error;
        // Apart at random, so that the two sides do not meet again at once.
        await sleep(5 * 2 ** run * Math.random());
      }
    }
  };
  return Object.fromEntries(Object.entries(statements).map(([name, text]) => [name, prepare(name, text)])) as Prepared<Statements>;
}
