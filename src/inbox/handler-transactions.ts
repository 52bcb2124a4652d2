// What a store offers handlers whose writes commit with their delivery's settlement (PostgreSQL
// only: the handler's tables and the inbox share a database). The dispatcher runs such a handler
// in a transaction of the store's, then settles the delivery as that transaction's last statement;
// a user whose own code holds the transaction runs the same statement in it (see
// dispatch/transactional.ts).

/**
 * The connection that a transactional handler writes with: a `pg` PoolClient inside an open
 * transaction, typed by the little the package needs, so that its public types depend on no
 * @types. With @types/pg installed, `transaction as PoolClient` hands it to Drizzle
 * (`drizzle({ client })`) or to Kysely (a `PostgresDialect` over it).
 */
export interface TransactionClient {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** One statement with positional parameters ($1, $2, ...), for whichever client runs it. */
export interface Statement {
  text: string;
  values: unknown[];
}

/** A transaction begun on a connection of the store's pool, for one attempt. */
export interface HandlerTransaction {
  /** The connection, inside the transaction: what the handler writes with. */
  readonly client: TransactionClient;
  commit(): Promise<void>;
  /** Rolls back and gives the connection back to the pool. */
  rollback(): Promise<void>;
  /**
   * Closes the connection rather than give it back: for a handler that may still be using it
   * (it timed out, or the dispatcher is stopping). The server rolls back what it held.
   */
  abandon(reason: Error): void;
}

export interface HandlerTransactions {
  /** Connections in the pool: every running transactional handler holds one. */
  readonly poolSize: number;
  /**
   * Takes a connection and begins a transaction that the server itself ends when a statement, or
   * a pause between statements, lasts longer than `boundMs` (and the whole transaction too, where
   * the server can), so that a process that hangs does not hold it open.
   */
  begin(boundMs: number): Promise<HandlerTransaction>;
  /**
   * The statement that records the attempt as done and moves its lane on, in whatever
   * transaction runs it, if `owner` still holds the lease; its one row's `settled` is 1 then, 0
   * when the lease was lost (nothing is touched).
   */
  doneStatement(owner: string, id: string, forwardedAt: Date | undefined): Statement;
}

/** PostgreSQL's SQLSTATE for a statement sent to a transaction that an error already aborted. */
export const inFailedTransaction = '25P02';
