// Erasure on SQLite: what is kept of an end user's deliveries beyond their ids, types, lanes,
// states and times is emptied, and their data key destroyed, in one transaction (the rule:
// EndUserErasure in inbox.ts).
import type { Prepared } from './prepared.ts';

const ofTheEndUser = `SELECT id FROM deliveries WHERE end_user_id = :endUserId`;

export const eraseStatements = {
  markErased: `UPDATE deliveries SET erased_at = :at, last_error = NULL, data_key_id = NULL
               WHERE end_user_id = :endUserId AND erased_at IS NULL`,
  emptyPayloads: `UPDATE delivery_payloads SET headers = '{}', body = '' WHERE id IN (${ofTheEndUser}) AND body <> ''`,
  emptyFailedAttempts: `UPDATE failed_attempts SET error = '' WHERE delivery_id IN (${ofTheEndUser}) AND error <> ''`,
  clearDriftExamples: `UPDATE contract_drift SET example_value = NULL WHERE example_id IN (${ofTheEndUser}) AND example_value IS NOT NULL`,
  destroyDataKey: `DELETE FROM data_keys WHERE owner = :owner`,
};

/** How many deliveries were erased now (0 when they were before). */
export function erase(statements: Prepared<typeof eraseStatements>, endUserId: string, owner: string, at: Date): number {
  const erased = Number(statements.markErased.run({ endUserId, at: at.getTime() }).changes);
  statements.emptyPayloads.run({ endUserId });
  statements.emptyFailedAttempts.run({ endUserId });
  statements.clearDriftExamples.run({ endUserId });
  statements.destroyDataKey.run({ owner });
  return erased;
}
