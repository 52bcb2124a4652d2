// The inbox that the operator's commands read and change: it must exist already, and when it
// cannot be opened the command says why in one line. With INBOX_ENCRYPTION_KEY, what it shows
// and resends is decrypted, as the receiver reads it.
import { databaseLabel, type DatabaseSettings } from '../../src/inbox/settings.ts';
import { InboxNotFound, type Inbox } from '../../src/inbox/inbox.ts';
import { openInbox, sealedWhenKeyed } from '../../src/inbox/open.ts';
import { exitWith } from './command-line.ts';

export async function openExistingInbox(database: DatabaseSettings): Promise<Inbox> {
  try {
    const store = await openInbox(database, { mustExist: true });
    return sealedWhenKeyed(store, database, (deliveryId, reason) => console.error(`Warning: ${deliveryId} cannot be read: ${reason}`));
  } catch (error) {
    if (error instanceof InboxNotFound) return exitWith(error.message);
    return exitWith(`Cannot open the inbox at ${databaseLabel(database)}: ${(error as Error).message}`);
  }
}
