// Statements as each PostgreSQL operation declares them (SQL by name, for the inbox's schema), each
// run on the pool as a named prepared statement: what the operation modules take, as SQLite's take
// theirs (sqlite/prepared.ts). Each runs as a transaction of its own, so one that PostgreSQL rolled
// back to break a deadlock or a serialization failure changed nothing and is run again, as
// PostgreSQL's documentation advises: two replicas' writes that met on a lane are not an outage.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * The values of one run of a statement: the same every run, or made for each run from how late it
 * starts after the first (a lease's end and the time it is taken from move with it).
 */
export type StatementValues = unknown[] | ((lateMs: number) => unknown[]);

/** Runs the statement on the pool with these values. */
export type PreparedStatement = <Row extends pg.QueryResultRow>(values: StatementValues) => Promise<pg.QueryResult<Row>>;

/** The prepared form of a module's statements, by the same names. */
export type Prepared<Statements> = Record<keyof Statements, PreparedStatement>;

/** SQLSTATEs of a transaction that PostgreSQL rolled back so that another could go on: deadlock_detected, serialization_failure. */
const rolledBackForAnother = new Set(['40P01', '40001']);
const runs = 5;

/**
 * Prepares `statements` on `pool`. A statement rolled back for another runs again while `withinMs`
 * (the pool's query timeout, which bounds how long a sender waits for its answer) has not passed
 * since its first run, unless the pool was closed meanwhile.
 */
export function prepareAll<Statements extends Record<string, string>>(
  pool: pg.Pool,
  schema: string,
  statements: Statements,
  withinMs: number,
): Prepared<Statements> {
  const prepare = (name: string, text: string) => async (values: StatementValues) => {
    const first = performance.now();
    for (let run = 1; ; run += 1) {
      const late = run === 1 ? 0 : Math.round(performance.now() - first);
      try {
        return await pool.query({ name: `${name} ${schema}`, text, values: typeof values === 'function' ? values(late) : values });
      } catch (error) {
        // Apart at random, so that the two sides do not meet again at once.
        const pause = 5 * 2 ** run * Math.random();
        const again =
          error instanceof pg.DatabaseError &&
          rolledBackForAnother.has(error.code ?? '') &&
          run < runs &&
          performance.now() + pause - first < withinMs;
        if (!again) throw error;
        await sleep(pause);
        // Closed meanwhile: what PostgreSQL said is the answer.
        if (pool.ending) throw error;
      }
    }
  };
  return Object.fromEntries(Object.entries(statements).map(([name, text]) => [name, prepare(name, text)])) as Prepared<Statements>;
}
