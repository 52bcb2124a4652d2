import type { DatabaseSettings } from '../config.ts';
import type { Inbox } from './inbox.ts';
import { PostgresInbox } from './postgres/inbox.ts';
import { SqliteInbox } from './sqlite/inbox.ts';

/** The inbox that DATABASE_URL names, its schema brought up to date. */
export async function openInbox(database: DatabaseSettings): Promise<Inbox> {
  if (database.kind === 'sqlite') return new SqliteInbox(database.path);
  const { url, schema, poolSize, connectTimeoutMs, queryTimeoutMs } = database;
  return PostgresInbox.open({ connectionString: url, schema, poolSize, connectTimeoutMs, queryTimeoutMs });
}
