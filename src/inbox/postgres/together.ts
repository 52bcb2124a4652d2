// The writes of one turn share a statement on PostgreSQL (one round trip, one commit). When the
// server refuses that statement for what one of the writes holds, each is carried out again in a
// statement of its own, so that only that one fails; an error that every write would meet (the
// server unreachable, a timeout, a full disk) fails them all at once, as a second try would too.
import pg from 'pg';

/**
 * SQLSTATE classes of a refusal for what a statement holds: data exceptions (22: a value the
 * column cannot take), integrity constraints (23), program limits (54: an index entry or a jsonb
 * value too large, nesting too deep), and exceptions raised in PL/pgSQL (P0), a trigger's among
 * them.
 */
const refusalClasses = new Set(['22', '23', '54', 'P0']);

/** Whether PostgreSQL refused a statement for what it holds, rather than failing to carry it out. */
export function refusedForWhatItHolds(error: unknown): boolean {
  return error instanceof pg.DatabaseError && refusalClasses.has(error.code?.slice(0, 2) ?? '');
}

/** Runs `statement` for `writes` together: how each write went, in order (this never rejects). */
export async function carryOutTogether<Write, Result>(
  writes: readonly Write[],
  statement: (writes: readonly Write[]) => Promise<Result[]>,
): Promise<PromiseSettledResult<Result>[]> {
  try {
    return (await statement(writes)).map((value) => ({ status: 'fulfilled', value }));
  } catch (error) {
    if (writes.length === 1 || !refusedForWhatItHolds(error)) return writes.map(() => ({ status: 'rejected', reason: error }));
  }
  const results: PromiseSettledResult<Result>[] = [];
  for (const write of writes) results.push(...(await carryOutTogether([write], statement)));
  return results;
}
