// Statements as each PostgreSQL operation declares them (SQL by name, for the inbox's schema), each
// run on the pool as a named prepared statement: what the operation modules take, as SQLite's take
// theirs (sqlite/prepared.ts).
import type pg from 'pg';

/** Runs the statement on the pool with these values. */
export type PreparedStatement = <Row extends pg.QueryResultRow>(values: unknown[]) => Promise<pg.QueryResult<Row>>;

/** The prepared form of a module's statements, by the same names. */
export type Prepared<Statements> = Record<keyof Statements, PreparedStatement>;

export function prepareAll<Statements extends Record<string, string>>(
  pool: pg.Pool,
  schema: string,
  statements: Statements,
): Prepared<Statements> {
  const prepare = (name: string, text: string) => (values: unknown[]) => pool.query({ name: `${name} ${schema}`, text, values });
  return Object.fromEntries(Object.entries(statements).map(([name, text]) => [name, prepare(name, text)])) as Prepared<Statements>;
}
