// The inbox that the operator's commands read and change: it must exist already, and when it
// cannot be opened the command says why in one line.
import { databaseLabel, type DatabaseSettings } from '../../src/inbox/settings.ts';
import { InboxNotFound, type Inbox } from '../../src/inbox/inbox.ts';
import { openInbox } from '../../src/inbox/open.ts';
import { exitWith } from './command-line.ts';

export async function openExistingInbox(database: DatabaseSettings): Promise<Inbox> {
  try {
    return await openInbox(database, { mustExist: true });
  } catch (error) {
    if (error instanceof InboxNotFound) return exitWith(error.message);
    return exitWith(`Cannot open the inbox at ${databaseLabel(database)}: ${(error as Error).message}`);
  }
}
