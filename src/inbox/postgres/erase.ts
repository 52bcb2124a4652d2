// Erasure on PostgreSQL: what is kept of an end user's deliveries beyond their ids, types, lanes,
// states and times is emptied, and their data key destroyed, in one statement (the rule:
// EndUserErasure in inbox.ts). A delivery refers to its data key: one that another replica stores
// under the key while this runs either waits and then fails (the key is gone: it reads a new one)
// or commits first, and then this statement fails on it and runs again, erasing it too. Under
// steady intake of the end user's deliveries the statement may also meet a deadlock with an
// intake; it runs again then too, after a pause that grows.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Prepared } from './prepared.ts';

export const eraseStatements = (schema: string) => ({
  /** Erases the deliveries of the end user $1 at $2 and destroys the data key of owner $3; returns how many it erased. */
  erase: `
      WITH erased AS (
        UPDATE ${schema}.deliveries SET erased_at = $2, headers = '{}', body = '', last_error = NULL, data_key_id = NULL
        WHERE end_user_id = $1 AND erased_at IS NULL
        RETURNING id
      ),
      attempts AS (UPDATE ${schema}.failed_attempts SET error = '' WHERE delivery_id IN (SELECT id FROM erased)),
      examples AS (UPDATE ${schema}.contract_drift SET example_value = NULL WHERE example_id IN (SELECT id FROM erased)),
      destroyed AS (DELETE FROM ${schema}.data_keys WHERE owner = $3)
      SELECT count(*)::integer AS erased FROM erased`,
});

/** PostgreSQL's SQLSTATE of a row that another still refers to (stored meanwhile). */
const stillReferredTo = '23503';
const attempts = 8;

export async function erase(
  statements: Prepared<ReturnType<typeof eraseStatements>>,
  endUserId: string,
  owner: string,
  at: Date,
): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { rows } = await statements.erase<{ erased: number }>([endUserId, at.getTime(), owner]);
      return rows[0]!.erased;
    } catch (error) {
      if (!(error instanceof pg.DatabaseError && error.code === stillReferredTo) || attempt === attempts) throw error;
      await sleep(10 * 2 ** attempt * Math.random());
    }
  }
}
