import type { Settings } from '../config.ts';
import type { Inbox } from './inbox.ts';
import { SqliteInbox } from './sqlite/inbox.ts';

/** The inbox that DATABASE_URL names. */
export function openInbox(database: Settings['database']): Inbox {
  return new SqliteInbox(database.path);
}
