// PostgreSQL connections terminated from the server's side (pg_terminate_backend), as a failover,
// a restart or an administrator would end them.
import pg from 'pg';

export interface ConnectionFilter {
  /** Only connections to this database. */
  database?: string;
  /** Only connections that set this application_name. */
  applicationName?: string;
}

/** How long the server may take to end each connection before this gives up on it. */
const terminationTimeoutMs = 5000;

/**
 * Terminates the client connections that match every filter given, other than its own, waiting
 * until each has ended; resolves with how many ended. Without a filter it refuses: the server is
 * shared, and every connection to it would match.
 */
export async function terminateConnections(connectionString: string, { database, applicationName }: ConnectionFilter): Promise<number> {
  if (database === undefined && applicationName === undefined) {
    throw new Error(
      'terminateConnections needs a database or an application name: without one, it would end every connection to the server',
    );
  }
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    // The FILTER runs after the WHERE has chosen the rows, so nothing else is terminated.
    const { rows } = await client.query<{ terminated: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, $3))::int AS terminated
         FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
          AND ($1::text IS NULL OR datname = $1) AND ($2::text IS NULL OR application_name = $2)`,
      [database ?? null, applicationName ?? null, terminationTimeoutMs],
    );
    return rows[0]!.terminated;
  } finally {
    await client.end();
  }
}
