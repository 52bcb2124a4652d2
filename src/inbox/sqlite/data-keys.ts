// The data keys of an encrypted inbox on SQLite, kept wrapped (see encryption/). A delivery is
// stored only under a key the inbox still holds: intake checks it in the write's transaction, so
// that a process that read a key before an erasure destroyed it cannot store under it.
import { DataKeyGone, type StoredDataKey } from '../inbox.ts';
import type { Prepared } from './prepared.ts';

/** The reads, which the inbox runs on its reading connection. */
export const dataKeyReads = {
  dataKeyOf: `SELECT id, owner, wrapped FROM data_keys WHERE owner = ?`,
  dataKeyById: `SELECT id, owner, wrapped FROM data_keys WHERE id = ?`,
  dataKeys: `SELECT id, owner, wrapped FROM data_keys WHERE id > ? ORDER BY id LIMIT ?`,
};

export const dataKeyStatements = {
  addDataKey: `INSERT INTO data_keys (id, owner, wrapped) VALUES (:id, :owner, :wrapped) ON CONFLICT (owner) DO NOTHING`,
  dataKeyOf: dataKeyReads.dataKeyOf,
  dataKeyHeld: `SELECT 1 AS held FROM data_keys WHERE id = ?`,
  rewrapDataKey: `UPDATE data_keys SET wrapped = :wrapped WHERE id = :id AND wrapped = :previous`,
};

type DataKeyStatements = Prepared<typeof dataKeyStatements>;

/** The owner's key as stored: `key`, unless the owner had one already. */
export function addDataKey(statements: DataKeyStatements, key: StoredDataKey): StoredDataKey {
  statements.addDataKey.run({ ...key });
  return { ...(statements.dataKeyOf.get(key.owner) as unknown as StoredDataKey) };
}

/** Throws DataKeyGone unless the inbox holds the key `id` (none to check for a delivery stored in clear). */
export function checkDataKeyHeld(statements: DataKeyStatements, id: string | null): void {
  if (id !== null && statements.dataKeyHeld.get(id) === undefined) {
    throw new DataKeyGone(`the data key ${id} is no longer held: its end user was erased since the key was read`);
  }
}

export const rewrapDataKey = (statements: DataKeyStatements, id: string, previous: string, wrapped: string): boolean =>
  Number(statements.rewrapDataKey.run({ id, previous, wrapped }).changes) > 0;
