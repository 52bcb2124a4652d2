// Whether the operator's keys open an inbox's data keys, checked when the inbox is opened: an
// encrypted inbox opened without its keys would keep new deliveries in clear beside sealed ones
// and hand handlers ciphertext; one opened without a key that wraps some data keys could neither
// read nor store their end users' deliveries.
import type { DataKeys } from '../inbox.ts';
import type { EncryptionKeys } from './keys.ts';

const pageSize = 1000;

/** Why `keys` cannot open every data key that `store` holds; undefined when they can. */
export async function dataKeysUnopenable(store: DataKeys, keys: EncryptionKeys | undefined): Promise<string | undefined> {
  if (!keys) {
    const [any] = await store.dataKeys(undefined, 1);
    return (
      any && 'it is encrypted (it holds data keys), and INBOX_ENCRYPTION_KEY is not set: set it to the keys the inbox was written with'
    );
  }
  const lacking = new Map<string, number>();
  for (let page = await store.dataKeys(undefined, pageSize); page.length > 0; page = await store.dataKeys(page.at(-1)!.id, pageSize)) {
    for (const { wrapped } of page) {
      const keyId = keys.wrappedBy(wrapped);
      if (keyId !== undefined && !keys.ids.includes(keyId)) lacking.set(keyId, (lacking.get(keyId) ?? 0) + 1);
    }
  }
  if (lacking.size === 0) return undefined;
  const named = [...lacking].map(([keyId, count]) => `${keyId} (it wraps ${count} data ${count === 1 ? 'key' : 'keys'})`);
  return (
    `INBOX_ENCRYPTION_KEY lacks the key ${named.join(' and the key ')}: list it after the others ` +
    '(new,old) until `npm run inbox -- rewrap-keys` has re-wrapped every data key by the first'
  );
}
