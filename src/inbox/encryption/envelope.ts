// Sealing a text under a key with AES-256-GCM: the envelope it is kept in, versioned, naming its
// key, and bound to where it belongs. An envelope is one line of text:
//   $<version>$<key id>$<nonce>$<ciphertext and tag>
// the nonce (12 random bytes) and the ciphertext in base64url. Its additional data binds the
// version, the key id and the place it was sealed for (a delivery's field, a data key's row), so
// that an envelope copied elsewhere fails to open as surely as one with a flipped byte.
// What is stored in clear before encryption was turned on never starts with `$` (a body is JSON),
// so a text that does is an envelope, or what is left of one.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The version of a delivery's sealed field. */
export const fieldVersion = 'ada1';

const nonceBytes = 12;
const tagBytes = 16;
const base64url = /^[A-Za-z0-9_-]+$/;

/** An envelope's parts, read but not opened. */
export interface Envelope {
  version: string;
  keyId: string;
  nonce: Buffer;
  /** The ciphertext followed by its tag. */
  sealed: Buffer;
}

/** A key to seal and open with: 32 bytes, and the id that envelopes name it by. */
export interface NamedKey {
  id: string;
  key: Buffer;
}

/** Why a sealed text could not be opened. */
export type OpenFailure =
  /** The key it names is not at hand (destroyed, or not among those given). */
  | { reason: 'missing key'; keyId: string }
  /** It is not an envelope any more, or it fails its tag: altered, truncated, or moved from elsewhere. */
  | { reason: 'tampered'; keyId: string | undefined };

/** Whether a stored text is sealed (or was, before it was damaged). */
export const isSealed = (text: string): boolean => text.startsWith('$');

/** `plain` sealed under `key`, bound to `bound` (where it belongs). */
export function sealBytes(version: string, { id, key }: NamedKey, plain: Buffer, bound: readonly string[]): string {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(additionalData(version, id, bound));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return `$${version}$${id}$${nonce.toString('base64url')}$${sealed.toString('base64url')}`;
}

/** An envelope's parts; undefined when `text` is not a well-formed envelope. */
export function parseEnvelope(text: string): Envelope | undefined {
  const parts = text.split('$');
  if (parts.length !== 5 || parts[0] !== '') return undefined;
  const [, version, keyId, nonce, sealed] = parts as [string, string, string, string, string];
  if (!/^[a-z0-9]+$/.test(version) || !base64url.test(keyId) || !base64url.test(nonce) || !base64url.test(sealed)) return undefined;
  const envelope = { version, keyId, nonce: Buffer.from(nonce, 'base64url'), sealed: Buffer.from(sealed, 'base64url') };
  // Base64url that decodes to other text than it was (stray bits in its last character) is altered too.
  const canonical =
    envelope.nonce.length === nonceBytes &&
    envelope.sealed.length >= tagBytes &&
    envelope.nonce.toString('base64url') === nonce &&
    envelope.sealed.toString('base64url') === sealed;
  return canonical ? envelope : undefined;
}

/** The plain bytes of an envelope sealed under `key` for `bound`; undefined when it fails its tag. */
export function openBytes(envelope: Envelope, key: Buffer, bound: readonly string[]): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, envelope.nonce);
  decipher.setAAD(additionalData(envelope.version, envelope.keyId, bound));
  decipher.setAuthTag(envelope.sealed.subarray(envelope.sealed.length - tagBytes));
  try {
    return Buffer.concat([decipher.update(envelope.sealed.subarray(0, envelope.sealed.length - tagBytes)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** A delivery's field that is sealed: each opens only as the field, and of the delivery, it was sealed for. */
export type SealedField = 'body' | 'headers' | 'error' | { drift: readonly string[] };

/** `text` sealed under a data key, for one field of one delivery. */
export const sealField = (text: string, dataKey: NamedKey, deliveryId: string, field: SealedField): string =>
  sealBytes(fieldVersion, dataKey, Buffer.from(text), placeOf(deliveryId, field));

/**
 * The text that `sealed` holds, for this field of this delivery, or why it cannot be had.
 * `dataKey`: the key that the envelope names (see envelopeKeyId), when it is at hand.
 */
export function openField(
  sealed: string,
  dataKey: NamedKey | undefined,
  deliveryId: string,
  field: SealedField,
): { text: string } | { failure: OpenFailure } {
  const envelope = parseEnvelope(sealed);
  if (envelope?.version !== fieldVersion) return { failure: { reason: 'tampered', keyId: envelope?.keyId } };
  if (dataKey?.id !== envelope.keyId) return { failure: { reason: 'missing key', keyId: envelope.keyId } };
  const plain = openBytes(envelope, dataKey.key, placeOf(deliveryId, field));
  return plain ? { text: plain.toString() } : { failure: { reason: 'tampered', keyId: envelope.keyId } };
}

/** The id of the key a sealed text names; undefined when it names none that can be read. */
export const envelopeKeyId = (sealed: string): string | undefined => parseEnvelope(sealed)?.keyId;

/**
 * The most bytes of text whose envelope under a key named `keyId` takes at most `maxBytes`:
 * for a field that the store cuts at a length, which must be cut before it is sealed.
 */
export function plainBytesWithin(maxBytes: number, keyId: string): number {
  const head = `$${fieldVersion}$${keyId}$${'x'.repeat(Math.ceil((nonceBytes * 4) / 3))}$`.length;
  return Math.max(0, Math.floor(((maxBytes - head) * 3) / 4) - tagBytes);
}

const placeOf = (deliveryId: string, field: SealedField): string[] =>
  typeof field === 'string' ? [deliveryId, field] : [deliveryId, 'drift', ...field.drift];

const additionalData = (version: string, keyId: string, bound: readonly string[]): Buffer =>
  Buffer.from(JSON.stringify([version, keyId, ...bound]));
