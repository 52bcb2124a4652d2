// The settlement on PostgreSQL: the call that runs the function settle_attempts, which migration
// 0007 creates, for one owner's settlements (the lane algorithm: inbox.ts). It locks the lanes it
// moves in the order of their keys, as every statement that locks several lanes does, so that two
// never wait for each other in a cycle.
// The function is one statement from Node: one round trip, one transaction, its row locks held
// for the database's own time, never while a Node process waits to be scheduled; each statement
// inside it takes a fresh snapshot.
import type { Settlement } from '../inbox.ts';
import { storableError } from '../storable.ts';
import type { Prepared } from './prepared.ts';

export const settleStatements = (schema: string) => ({
  settle: `SELECT ${schema}.settle_attempts($1, $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7) AS settled`,
});

/** Records how one owner's attempts ended, the last settlement of an id counting, and moves their lanes on. */
export async function settle(
  statements: Prepared<ReturnType<typeof settleStatements>>,
  owner: string,
  given: readonly Settlement[],
): Promise<void> {
  const settlements = [...new Map(given.map((settlement) => [settlement.id, settlement])).values()];
  await statements.settle([
    owner,
    settlements.map(({ id }) => id),
    settlements.map(({ outcome }) => outcome),
    settlements.map((settlement) => ('error' in settlement ? storableError(settlement.error) : null)),
    settlements.map((settlement) => (settlement.outcome === 'retry' ? settlement.retryAt.getTime() : null)),
    settlements.map((settlement) => settlement.forwardedAt?.getTime() ?? null),
    Date.now(),
  ]);
}
