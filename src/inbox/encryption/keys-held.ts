// Whether the operator's keys open an inbox's data keys, checked when the inbox is opened: an
// encrypted inbox opened without its keys would keep new deliveries in clear beside sealed ones
// and hand handlers ciphertext; one opened without a key that wraps some data keys could neither
// read nor store their end users' deliveries.
import type { DataKeys } from '../inbox.ts';
import { wrappingKeyId, type EncryptionKeys } from './keys.ts';

const pageSize = 1000;

/** Why `keys` cannot open every data key that `store` holds; undefined when they can. */
export async function dataKeysUnopenable(store: DataKeys, keys: EncryptionKeys | undefined): Promise<string | undefined> {
  const wrapping = await dataKeysByWrappingKey(store);
  const lacking = [...wrapping].filter(([keyId]) => !keys?.ids.includes(keyId));
  if (lacking.length === 0) return undefined;
  const named = lacking.map(([keyId, count]) => `${keyId} (it wraps ${count} data ${count === 1 ? 'key' : 'keys'})`).join(' and the key ');
  if (!keys)
    return `it is encrypted (it holds data keys), and INBOX_ENCRYPTION_KEY is not set: set it to the keys the inbox was written with: the key ${named}`;
  if (lacking.length === wrapping.size) {
    return (
      `none of the keys in INBOX_ENCRYPTION_KEY (${keys.ids.join(', ')}) is one the inbox was written with: it needs the key ${named}. ` +
      "A key's id is the first 16 hex digits of its SHA-256 (`echo <key> | base64 -d | sha256sum`); a lost key cannot be replaced"
    );
  }
  return (
    `INBOX_ENCRYPTION_KEY lacks the key ${named}: list it after the others ` +
    '(new,old) until `npm run inbox -- rewrap-keys` has re-wrapped every data key by the first'
  );
}

/** How many data keys each key wraps, by its id. */
async function dataKeysByWrappingKey(store: DataKeys): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let page = await store.dataKeys(undefined, pageSize); page.length > 0; page = await store.dataKeys(page.at(-1)!.id, pageSize)) {
    for (const { wrapped } of page) {
      const keyId = wrappingKeyId(wrapped);
      if (keyId !== undefined) counts.set(keyId, (counts.get(keyId) ?? 0) + 1);
    }
  }
  return counts;
}
