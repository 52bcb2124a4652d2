// The operator's keys of an encrypted inbox (INBOX_ENCRYPTION_KEY, or createReceiver's
// encryptionKey): 32 random bytes each in base64, several separated by commas while rotating, the
// first used to write, as the signing secrets are. They seal no delivery themselves: each wraps
// the data keys that do (see envelope.ts), so that a new key means re-wrapping those few keys
// (rewrap.ts) rather than rewriting every delivery.
import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { Invalid, type Setting, type SettingsReader } from '../../support/settings-reader.ts';
import { openBytes, parseEnvelope, sealBytes, type NamedKey, type OpenFailure } from './envelope.ts';

export const encryptionKeySetting: Setting = { variable: 'INBOX_ENCRYPTION_KEY', option: 'encryptionKey', secret: true };

/** What messages suggest for a key: a placeholder that is not one, so that it cannot be pasted and work. */
const keyPlaceholder = '<the output of openssl rand -base64 32>';

const keyBytes = 32;
/** The version of a wrapped data key. */
const wrappedVersion = 'adakey1';

/** The keys given; undefined when none is (the inbox is not encrypted). */
export const readEncryptionKeys = (reader: SettingsReader): EncryptionKeys | undefined =>
  reader.read(encryptionKeySetting, undefined, parseEncryptionKeys, keyPlaceholder);

export function parseEncryptionKeys(raw: string): EncryptionKeys | Invalid {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) return new Invalid('lists no key, only separators');
  const keys: Buffer[] = [];
  for (const [index, entry] of entries.entries()) {
    const problem = problemOf(entry, keys);
    if (problem) {
      return new Invalid(
        `must be keys of 32 random bytes in base64, as \`openssl rand -base64 32\` prints them, separated by commas while rotating; entry ${index + 1} ${problem}`,
      );
    }
    keys.push(Buffer.from(entry, 'base64'));
  }
  return new EncryptionKeys(keys);
}

/** What is wrong with one entry, never quoting it; undefined when it is a key. */
function problemOf(entry: string, earlier: readonly Buffer[]): string | undefined {
  if (entry.startsWith('whsec_')) return 'is a signing secret, not a key';
  if (/^[0-9a-f]{64}$/i.test(entry)) return 'is 32 bytes in hex (openssl rand -hex 32), not in base64';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(entry)) return 'is not base64';
  const key = Buffer.from(entry, 'base64');
  if (key.toString('base64').replace(/=+$/, '') !== entry.replace(/=+$/, '')) return 'is not base64';
  if (key.length !== keyBytes) return `holds ${key.length} bytes, not ${keyBytes}`;
  const same = earlier.findIndex((other) => other.equals(key));
  return same === -1 ? undefined : `repeats entry ${same + 1}`;
}

/**
 * A key's id: the first 8 bytes of its SHA-256 in hex, safe to log and named in each wrapping, so
 * that an operator can tell which key wrote what (`echo <key> | base64 -d | sha256sum`).
 */
export const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

/** The id of the key that wrapped a data key as stored, read but not opened; undefined when it names none. */
export const wrappingKeyId = (wrapped: string): string | undefined => parseEnvelope(wrapped)?.keyId;

/** A data key's row, which its wrapping is bound to: it opens in no other row. */
export interface DataKeyRow {
  id: string;
  owner: string;
}

export class EncryptionKeys {
  /** The key that wraps new data keys, and that rewrapping moves every data key to: the first given. */
  readonly writing: NamedKey;
  readonly #byId: Map<string, KeyObject>;

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('an encrypted inbox needs at least one key');
    const named = keys.map((key) => ({ id: keyIdOf(key), key: createSecretKey(key) }));
    this.writing = named[0]!;
    this.#byId = new Map(named.map(({ id, key }) => [id, key]));
  }

  /** The ids of the keys, the writing key's first. */
  get ids(): string[] {
    return [...this.#byId.keys()];
  }

  /** A data key wrapped by the writing key, for its row. */
  wrap(dataKey: Buffer, row: DataKeyRow): string {
    return sealBytes(wrappedVersion, this.writing, dataKey, [row.id, row.owner]);
  }

  /** The data key that `wrapped` holds for its row, or why it cannot be had. */
  unwrap(wrapped: string, row: DataKeyRow): { key: Buffer } | { failure: OpenFailure } {
    const envelope = parseEnvelope(wrapped);
    if (envelope?.version !== wrappedVersion) return { failure: { reason: 'tampered', keyId: envelope?.keyId } };
    const key = this.#byId.get(envelope.keyId);
    if (!key) return { failure: { reason: 'missing key', keyId: envelope.keyId } };
    const opened = openBytes(envelope, key, [row.id, row.owner]);
    return opened?.length === keyBytes ? { key: opened } : { failure: { reason: 'tampered', keyId: envelope.keyId } };
  }
}
