// Sealing a text under a key with AES-256-GCM: the envelope it is kept in, versioned, naming its
// key, and bound to where it belongs. An envelope is one line of text:
//   $<version>$<key id>$<nonce>$<tag>$<ciphertext>
// the nonce (12 random bytes), the tag and the ciphertext in base64url. Its additional data binds the
// version, the key id and the place it was sealed for (a delivery's field, a data key's row), so
// that an envelope copied elsewhere fails to open as surely as one with a flipped byte.
// What is stored in clear before encryption was turned on never starts with `$` (a body is JSON),
// so a text that does is an envelope, or what is left of one.
import { createCipheriv, createDecipheriv, randomFillSync, type KeyObject } from 'node:crypto';

/** The version of a delivery's sealed field. */
export const fieldVersion = 'ada1';

const nonceBytes = 12;
const tagBytes = 16;

/** An envelope's parts, read but not opened. */
export interface Envelope {
  version: string;
  keyId: string;
  nonce: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/**
 * A key to seal and open with (32 bytes), and the id that envelopes name it by. A KeyObject: a
 * cipher made from one costs a fraction of a cipher made from a Buffer, which is prepared anew
 * each time.
 */
export interface NamedKey {
  id: string;
  key: KeyObject;
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
  const nonce = nextNonce();
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(additionalData(version, id, bound));
  const ciphertext = cipher.update(plain);
  cipher.final();
  return `$${version}$${id}$${nonce.toString('base64url')}$${cipher.getAuthTag().toString('base64url')}$${ciphertext.toString('base64url')}`;
}

/** An envelope's parts; undefined when `text` is not a well-formed envelope. */
export function parseEnvelope(text: string): Envelope | undefined {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== '') return undefined;
  const [, version, keyId, nonce, tag, ciphertext] = parts as [string, string, string, string, string, string];
  if (!/^[a-z0-9]+$/.test(version) || !/^[A-Za-z0-9_-]+$/.test(keyId)) return undefined;
  const envelope = { version, keyId, nonce: strictBase64url(nonce), tag: strictBase64url(tag), ciphertext: strictBase64url(ciphertext) };
  const { nonce: nonceRead, tag: tagRead, ciphertext: ciphertextRead } = envelope;
  if (nonceRead?.length !== nonceBytes || tagRead?.length !== tagBytes || !ciphertextRead) return undefined;
  return { version, keyId, nonce: nonceRead, tag: tagRead, ciphertext: ciphertextRead };
}

/** The plain bytes of an envelope sealed under `key` for `bound`; undefined when it fails its tag. */
export function openBytes(envelope: Envelope, key: KeyObject, bound: readonly string[]): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, envelope.nonce);
  decipher.setAAD(additionalData(envelope.version, envelope.keyId, bound));
  decipher.setAuthTag(envelope.tag);
  try {
    const plain = decipher.update(envelope.ciphertext);
    decipher.final();
    return plain;
  } catch {
    return undefined;
  }
}

/**
 * The bytes of base64url text written as sealBytes writes it (no padding); undefined for any
 * other text, even one that decodes to the same bytes: Node's decoder skips what is not base64,
 * takes `+` and `/` too, and drops the spare bits of the last character.
 */
function strictBase64url(text: string): Buffer | undefined {
  if (text.length % 4 === 1 || text.includes('+') || text.includes('/')) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== Math.floor((text.length * 3) / 4)) return undefined;
  const last = text.slice(text.length - (text.length % 4 || 4));
  return Buffer.from(last, 'base64url').toString('base64url') === last ? bytes : undefined;
}

/**
 * What of a delivery is sealed (`payload`: its headers and body, together): each opens only as
 * what, and of the delivery, it was sealed for.
 */
export type SealedField = 'payload' | 'error' | { drift: readonly string[] };

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

/** The id of the key a sealed text names, read without decoding the rest; undefined when it names none. */
export function envelopeKeyId(sealed: string): string | undefined {
  const start = sealed.indexOf('$', 1) + 1;
  const end = start === 0 ? -1 : sealed.indexOf('$', start);
  return end === -1 || end === start ? undefined : sealed.slice(start, end);
}

/**
 * The most bytes of text whose envelope under a key named `keyId` takes at most `maxBytes`:
 * for a field that the store cuts at a length, which must be cut before it is sealed.
 */
export function plainBytesWithin(maxBytes: number, keyId: string): number {
  const base64Length = (bytes: number) => Math.ceil((bytes * 4) / 3);
  const head = `$${fieldVersion}$${keyId}$`.length + base64Length(nonceBytes) + 1 + base64Length(tagBytes) + 1;
  return Math.max(0, Math.floor(((maxBytes - head) * 3) / 4));
}

/** Random nonces drawn a few hundred at a time: each call for random bytes costs more than the bytes. */
const noncePool = Buffer.alloc(nonceBytes * 256);
let noncesLeft = 0;

/** A random nonce, valid until the next one is drawn: read it before sealing anything else. */
function nextNonce(): Buffer {
  if (noncesLeft === 0) {
    randomFillSync(noncePool);
    noncesLeft = noncePool.length / nonceBytes;
  }
  noncesLeft -= 1;
  return noncePool.subarray(noncesLeft * nonceBytes, (noncesLeft + 1) * nonceBytes);
}

const placeOf = (deliveryId: string, field: SealedField): string[] =>
  typeof field === 'string' ? [deliveryId, field] : [deliveryId, 'drift', ...field.drift];

const additionalData = (version: string, keyId: string, bound: readonly string[]): Buffer =>
  Buffer.from(JSON.stringify([version, keyId, ...bound]));
