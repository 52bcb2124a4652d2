// Handler transactions on PostgreSQL (see ../handler-transactions.ts): a connection of the
// inbox's pool in a transaction that the server bounds, and the statement that settles one
// attempt as done inside a transaction, through settle_attempts (migration 0007) as every settlement.
// Its parameters are scalars, so that an ORM's raw query can run it as well as pg's client.
import type pg from 'pg';
import type { HandlerTransaction, HandlerTransactions } from '../handler-transactions.ts';

export function createHandlerTransactions(pool: pg.Pool, schema: string, poolSize: number): HandlerTransactions {
  const doneText =
    `SELECT ${schema}.settle_attempts($1::text, ARRAY[$2::text], ARRAY['done'], ARRAY[NULL::text], ARRAY[NULL::bigint], ` +
    `ARRAY[$3::bigint], $4::bigint) AS settled`;
  let boundsWholeTransaction: Promise<boolean> | undefined;
  return {
    poolSize,
    async begin(boundMs) {
      const client = await pool.connect();
      // An error that arrives while the connection is checked out (the server ending an idle
      // transaction) would crash the process where nothing listens; the next query fails with it.
      const failLater = () => {};
      client.on('error', failLater);
      try {
        boundsWholeTransaction ??= client
          .query<{ supported: boolean }>(`SELECT current_setting('server_version_num')::integer >= 170000 AS supported`)
          .then(({ rows }) => rows[0]!.supported)
          .catch((error: unknown) => {
            boundsWholeTransaction = undefined; // asked again by the next transaction
            throw error;
          });
        const bound = Math.ceil(boundMs);
        const limits = ['statement_timeout', 'idle_in_transaction_session_timeout'];
        if (await boundsWholeTransaction) limits.push('transaction_timeout');
        await client.query(`BEGIN; ${limits.map((limit) => `SET LOCAL ${limit} = ${bound}`).join('; ')}`);
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      return openTransaction(client, failLater);
    },
    doneStatement: (owner, id, forwardedAt) => ({ text: doneText, values: [owner, id, forwardedAt?.getTime() ?? null, Date.now()] }),
  };
}

function openTransaction(client: pg.PoolClient, failLater: () => void): HandlerTransaction {
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    // A connection given back has the pool's listener again; one closed keeps this one, for the errors of its end.
    if (!error) client.off('error', failLater);
    client.release(error);
  };
  return {
    client,
    async commit() {
      try {
        await client.query('COMMIT');
      } catch (error) {
        release(error as Error);
        throw error;
      }
      release();
    },
    async rollback() {
      try {
        await client.query('ROLLBACK');
      } catch (error) {
        release(error as Error);
        return;
      }
      release();
    },
    abandon: (reason) => release(reason),
  };
}
