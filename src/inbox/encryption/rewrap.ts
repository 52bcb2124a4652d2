// Rotating the operator's key: once the new key is first in INBOX_ENCRYPTION_KEY (the old one
// after it), every data key is wrapped again by the new one, a page at a time; the deliveries
// themselves are not touched. Then the old key can be removed.
import type { DataKeys } from '../inbox.ts';
import { wrappingKeyId, type EncryptionKeys } from './keys.ts';

/** What a rewrap did, key by key. */
export interface RewrapCounts {
  /** Wrapped again by the writing key. */
  rewrapped: number;
  /** Wrapped by the writing key already. */
  current: number;
  /** Changed or destroyed (an erasure) while this ran: nothing to do. */
  changed: number;
  /** Left as they are, each with why: wrapped by a key not given, or altered. */
  failed: { id: string; reason: string }[];
}

const pageSize = 100;

/** Wraps every data key of `store` by the writing key of `keys` (the first), unless it is already. */
export async function rewrapDataKeys(store: DataKeys, keys: EncryptionKeys): Promise<RewrapCounts> {
  const counts: RewrapCounts = { rewrapped: 0, current: 0, changed: 0, failed: [] };
  let afterId: string | undefined;
  for (;;) {
    const page = await store.dataKeys(afterId, pageSize);
    for (const row of page) {
      if (wrappingKeyId(row.wrapped) === keys.writing.id) {
        counts.current += 1;
        continue;
      }
      const unwrapped = keys.unwrap(row.wrapped, row);
      if ('failure' in unwrapped) {
        const { reason, keyId } = unwrapped.failure;
        counts.failed.push({
          id: row.id,
          reason: reason === 'missing key' ? `wrapped by key ${keyId}, which is not among the keys given` : 'altered: it fails to unwrap',
        });
        continue;
      }
      const rewrapped = await store.rewrapDataKey(row.id, row.wrapped, keys.wrap(unwrapped.key, row));
      if (rewrapped) counts.rewrapped += 1;
      else counts.changed += 1;
    }
    if (page.length < pageSize) return counts;
    afterId = page.at(-1)!.id;
  }
}
