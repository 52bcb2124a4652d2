// The data keys of an encrypted inbox on PostgreSQL, kept wrapped (see encryption/). A delivery
// refers to its data key (migration 0012): intake refuses one whose key an erasure destroyed after
// this process read it, and that refusal is DataKeyGone.
import pg from 'pg';
import { DataKeyGone } from '../inbox.ts';

export const dataKeyStatements = (schema: string) => ({
  /**
   * Stores the key ($1, of owner $2, wrapped $3) unless the owner has one; returns the owner's key
   * as stored, or no row when another transaction stored it after this statement's snapshot.
   */
  addDataKey: `
      WITH added AS (
        INSERT INTO ${schema}.data_keys (id, owner, wrapped) VALUES ($1, $2, $3) ON CONFLICT (owner) DO NOTHING RETURNING id, owner, wrapped
      )
      SELECT id, owner, wrapped FROM added
      UNION ALL
      SELECT id, owner, wrapped FROM ${schema}.data_keys WHERE owner = $2 AND NOT EXISTS (SELECT 1 FROM added)`,
  dataKeyOf: `SELECT id, owner, wrapped FROM ${schema}.data_keys WHERE owner = $1`,
  dataKeyById: `SELECT id, owner, wrapped FROM ${schema}.data_keys WHERE id = $1`,
  dataKeys: `SELECT id, owner, wrapped FROM ${schema}.data_keys WHERE id > $1 ORDER BY id LIMIT $2`,
  rewrapDataKey: `UPDATE ${schema}.data_keys SET wrapped = $3 WHERE id = $1 AND wrapped = $2`,
});

/** `error` as intake throws it: DataKeyGone when the delivery's data key is no longer held. */
export const dataKeyGoneOf = (error: unknown): unknown =>
  error instanceof pg.DatabaseError && error.constraint === 'deliveries_data_key'
    ? new DataKeyGone(`its data key is no longer held: its end user was erased since the key was read`, { cause: error })
    : error;
