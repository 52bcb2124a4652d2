import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a connection of the pool. While the connection is checked
 * out, an error that arrives between two queries (PostgreSQL cutting the connection, say) is
 * emitted on the client, where nothing would listen and the process would crash; here it is
 * left to the next query, which fails with it. A connection that failed is not given back.
 */
export async function transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const failLater = () => {};
  client.on('error', failLater);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.off('error', failLater);
    client.release();
    return result;
  } catch (error) {
    client.off('error', failLater);
    client.release(error as Error);
    throw error;
  }
}
