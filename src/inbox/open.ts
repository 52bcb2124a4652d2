import type { DatabaseSettings } from './settings.ts';
import type { Inbox } from './inbox.ts';
import { encryptedInbox } from './encryption/encrypted-inbox.ts';
import { dataKeysUnopenable } from './encryption/keys-held.ts';
import { PostgresInbox } from './postgres/inbox.ts';

/**
 * The inbox that DATABASE_URL names, its schema brought up to date, once the settings' keys are
 * found to open its data keys (see keys-held.ts). With `mustExist`, an inbox that is not there yet
 * is not created: InboxNotFound is thrown instead (the operator's commands must not answer "no
 * deliveries" from an empty inbox they just made).
 */
export async function openInbox(database: DatabaseSettings, options: { mustExist?: boolean } = {}): Promise<Inbox> {
  const store = await openStore(database, options);
  const unopenable = await dataKeysUnopenable(store, database.encryption).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  if (unopenable === undefined) return store;
  await store.close();
  throw new Error(unopenable);
}

async function openStore(database: DatabaseSettings, { mustExist = false }: { mustExist?: boolean }): Promise<Inbox> {
  if (database.kind === 'sqlite') {
    // Loaded only for a SQLite inbox: node:sqlite is missing from older Nodes, and a PostgreSQL
    // user should not need it (nor see its experimental warning on Node 22).
    const { SqliteInbox } = await import('./sqlite/inbox.ts');
    return new SqliteInbox(database.path, { mustExist, createDirectory: database.createDirectory });
  }
  const { url, schema, poolSize, connectTimeoutMs, queryTimeoutMs } = database;
  return PostgresInbox.open({ connectionString: url, schema, poolSize, connectTimeoutMs, queryTimeoutMs, mustExist });
}

/**
 * `store` as the receiver and the commands use it: what it keeps of deliveries sealed under the
 * operator's keys when the settings give some (INBOX_ENCRYPTION_KEY), in clear otherwise.
 * `onUnreadable` is told each delivery that cannot be decrypted, with why.
 */
export const sealedWhenKeyed = (
  store: Inbox,
  { encryption }: DatabaseSettings,
  onUnreadable: (deliveryId: string, reason: string) => void,
): Inbox => (encryption ? encryptedInbox(store, encryption, { onUnreadable }) : store);
