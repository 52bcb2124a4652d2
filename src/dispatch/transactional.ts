// Exactly-once effects on PostgreSQL: a handler's writes and its delivery's settlement commit in
// one transaction, or neither does. Two shapes, after River's JobCompleteTx and pg-boss's
// transactional work:
// - a handler registered as transactional runs inside a transaction that the dispatcher begins
//   on a connection of the inbox's pool; when it returns, the settlement is that transaction's
//   last statement (so the lane's row is locked only for it), then COMMIT. When the attempt's
//   lease was lost meanwhile, the settlement touches nothing and everything rolls back;
// - a handler whose own code holds a transaction (an ORM's) settles inside it with
//   settleWithin, and the dispatcher settles nothing after it.
// A failed attempt rolls back, and its failure is recorded outside that transaction, as any other.
import { inFailedTransaction, type HandlerTransactions, type TransactionClient } from '../inbox/handler-transactions.ts';
import type { TransactionOutcome } from '../telemetry/metrics.ts';

/** Runs one statement with positional parameters in the caller's transaction: a `pg` client, or a function that returns the rows. */
export type StatementRunner =
  { query(text: string, values: unknown[]): Promise<unknown> } | ((text: string, values: unknown[]) => Promise<unknown>);

/** The attempt's lease was lost (it ran out and another replica took the delivery): its settlement touched nothing. */
export class LeaseLost extends Error {
  override name = 'LeaseLost';
}

/**
 * The settlement of one attempt as done inside a transaction: the dispatcher's, or one that the
 * handler holds (context.settleWithin). It settles at most once.
 */
export class SettlementWithin {
  #state: 'open' | 'settling' | 'settled' | 'lease lost' = 'open';
  readonly #transactions: HandlerTransactions | undefined;
  readonly #attempt: { owner: string; id: string; forwardedAt: () => Date | undefined };

  constructor(transactions: HandlerTransactions | undefined, attempt: { owner: string; id: string; forwardedAt: () => Date | undefined }) {
    this.#transactions = transactions;
    this.#attempt = attempt;
  }

  /** `settled` once a settlement went through (its transaction may still roll back), `lease lost` once one found the lease gone. */
  get state(): 'open' | 'settling' | 'settled' | 'lease lost' {
    return this.#state;
  }

  async settle(transaction: StatementRunner): Promise<void> {
    if (!this.#transactions)
      throw new Error('settleWithin needs the PostgreSQL inbox: the settlement commits in the database of the inbox.');
    if (this.#state !== 'open') throw new Error(`settleWithin was called already for this attempt (${this.#state})`);
    this.#state = 'settling';
    const { owner, id, forwardedAt } = this.#attempt;
    const { text, values } = this.#transactions.doneStatement(owner, id, forwardedAt());
    let result: unknown;
    try {
      result = typeof transaction === 'function' ? await transaction(text, values) : await transaction.query(text, values);
    } catch (error) {
      this.#state = 'open';
      throw error;
    }
    const rows = Array.isArray(result) ? result : (result as { rows?: unknown } | undefined)?.rows;
    const settled = Array.isArray(rows) ? Number((rows[0] as { settled?: unknown } | undefined)?.settled) : Number.NaN;
    if (settled === 1) {
      this.#state = 'settled';
    } else if (settled === 0) {
      this.#state = 'lease lost';
      throw new LeaseLost(
        `the lease of delivery ${id} was lost (it ran out and another replica took the delivery): its settlement touched nothing; roll this transaction back`,
      );
    } else {
      this.#state = 'open';
      throw new TypeError('settleWithin expects the rows of the settlement statement back: an array of rows, or a result with `rows`');
    }
  }
}

/** How far past the handler timeout the server ends a transaction that its process left open. */
export const transactionMarginMs = 2000;

/**
 * Runs `handle` in a transaction of the inbox's pool, then settles the attempt in it and
 * commits: `committed`, or `lease_lost` when the settlement found the lease gone and everything
 * rolled back. When `handle` fails, rolls back and rethrows (when `stillRunning`, the handler may
 * still use the connection: it is closed rather than given back).
 */
export async function runInTransaction(
  transactions: HandlerTransactions,
  {
    boundMs,
    within,
    handle,
    stillRunning,
  }: { boundMs: number; within: SettlementWithin; handle: (client: TransactionClient) => Promise<void>; stillRunning: () => boolean },
): Promise<Extract<TransactionOutcome, 'committed' | 'lease_lost'>> {
  const transaction = await transactions.begin(boundMs);
  try {
    await handle(transaction.client);
    if (within.state === 'open') await within.settle(transaction.client);
  } catch (error) {
    if (stillRunning()) transaction.abandon(error as Error);
    else await transaction.rollback();
    if (error instanceof LeaseLost) return 'lease_lost';
    throw explainAbortedTransaction(error);
  }
  if (within.state === 'lease lost') {
    // The handler caught the LeaseLost of its own settleWithin.
    await transaction.rollback();
    return 'lease_lost';
  }
  await transaction.commit();
  return 'committed';
}

/** A statement refused because the handler caught an earlier SQL error, which aborted the transaction. */
function explainAbortedTransaction(error: unknown): unknown {
  if ((error as { code?: unknown } | undefined)?.code !== inFailedTransaction) return error;
  return new Error(
    'the handler caught an SQL error inside its transaction, which PostgreSQL then aborted: nothing it wrote can commit. ' +
      'To carry on after an error, run the statement that may fail inside a savepoint (SAVEPOINT s; ... ROLLBACK TO SAVEPOINT s), ' +
      'or let the error fail the attempt.',
    { cause: error },
  );
}
