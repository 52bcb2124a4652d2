// Statements as each SQLite operation declares them (SQL by name), and prepared once per
// connection: what the operation modules hand each other.
import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** The prepared form of a module's statements, by the same names. */
export type Prepared<Statements> = Record<keyof Statements, StatementSync>;

export function prepareAll<Statements extends Record<string, string>>(db: DatabaseSync, statements: Statements): Prepared<Statements> {
  return Object.fromEntries(Object.entries(statements).map(([name, sql]) => [name, db.prepare(sql)])) as Prepared<Statements>;
}
