import type { DatabaseSettings } from './settings.ts';
import type { Inbox } from './inbox.ts';
import { PostgresInbox } from './postgres/inbox.ts';

/**
 * The inbox that DATABASE_URL names, its schema brought up to date. With `mustExist`, an inbox
 * that is not there yet is not created: InboxNotFound is thrown instead (the operator's commands
 * must not answer "no deliveries" from an empty inbox they just made).
 */
export async function openInbox(database: DatabaseSettings, { mustExist = false } = {}): Promise<Inbox> {
  if (database.kind === 'sqlite') {
    // Loaded only for a SQLite inbox: node:sqlite is missing from older Nodes, and a PostgreSQL
    // user should not need it (nor see its experimental warning on Node 22).
    const { SqliteInbox } = await import('./sqlite/inbox.ts');
    return new SqliteInbox(database.path, { mustExist, createDirectory: database.createDirectory });
  }
  const { url, schema, poolSize, connectTimeoutMs, queryTimeoutMs } = database;
  return PostgresInbox.open({ connectionString: url, schema, poolSize, connectTimeoutMs, queryTimeoutMs, mustExist });
}
