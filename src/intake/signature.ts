// Svix / Standard Webhooks signature verification on node:crypto.
// Written here rather than taken from `svix` or `standardwebhooks`: neither offers a configurable
// tolerance, several secrets at once, or strict timestamp parsing (both accept "1614265330abc"),
// and both compute SHA-256 in JavaScript, which is slow for large bodies.
import { createHash, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';

export type SignatureFailure =
  'missing_headers' | 'invalid_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'no_matching_signature';

export type SignatureResult =
  | {
      ok: true;
      id: string;
      timestamp: number;
      /** The names of the header set that was verified, `svix-*` or `webhook-*`: the only headers the signature vouches for. */
      headerSet: HeaderSet;
    }
  | {
      ok: false;
      reason: SignatureFailure;
      /** Seconds between the receiver's clock and the signed timestamp (positive: signed in the past), when it could be read. */
      skewSeconds?: number;
      /** Fingerprints of the configured secrets that were tried (see secretFingerprint), when the signature was checked. */
      triedSecrets?: string[];
    };

/** The signed headers, when they are present, well-formed and within the tolerance: all that can be judged without a secret. */
type SignedHeadersResult =
  | { ok: true; id: string; timestamp: number; timestampText: string; signature: string; headerSet: HeaderSet }
  | (SignatureResult & { ok: false });

interface VerifierOptions {
  /** `whsec_` secrets; a signature made with any of them is accepted (rotation). */
  secrets: readonly string[];
  /** Largest accepted distance between the signed timestamp and now, in either direction. */
  toleranceSeconds: number;
}

/** Reads one request header by its lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

export type Verify = (header: HeaderReader, body: string | Buffer, nowSeconds?: number) => SignatureResult;

const secretPrefix = 'whsec_';
/** Svix's tolerance: the largest distance, either way, between a signed timestamp and now, unless configured. */
export const defaultToleranceSeconds = 300;

/** The tolerance as createReceiver and verifyWebhook take it. */
export interface ToleranceOption {
  /** Largest accepted distance between the signed timestamp and now, in either direction (default 300). */
  toleranceSeconds?: number;
}

/** The names of one set of signature headers: id, timestamp, signature. */
export type HeaderSet = readonly [id: string, timestamp: string, signature: string];
const headerSetOf = (prefix: string): HeaderSet => [`${prefix}-id`, `${prefix}-timestamp`, `${prefix}-signature`];
/** Svix's names first, then the unbranded ones of Standard Webhooks. */
const headerSets = [headerSetOf('svix'), headerSetOf('webhook')] as const;

/** The headers that carry the signatures themselves: kept for audit, never shown. */
export const signatureValueHeaders: readonly string[] = headerSets.map(([, , signature]) => signature);
/** Base64 of a 32-byte HMAC-SHA256 digest. */
const base64Digest = /^[A-Za-z0-9+/]{43}=$/;

function keyBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret, 'base64');
}

/**
 * A short name for a secret that can be logged: the first 8 hex digits of the SHA-256 of its key.
 * It tells an operator which of the configured secrets is which without revealing any of them.
 */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(keyBytes(secret)).digest('hex').slice(0, 8);
}

/** Checks the signed headers: present, with an integer timestamp within the tolerance of now. */
export function checkSignedHeaders(header: HeaderReader, toleranceSeconds: number, nowSeconds = Date.now() / 1000): SignedHeadersResult {
  const signed = readSignedHeaders(header);
  if (!signed) return { ok: false, reason: 'missing_headers' };
  if (!/^[0-9]{1,15}$/.test(signed.timestamp)) return { ok: false, reason: 'invalid_timestamp' };
  const timestamp = Number(signed.timestamp);
  const skewSeconds = Math.round(nowSeconds - timestamp);
  if (nowSeconds - timestamp > toleranceSeconds) return { ok: false, reason: 'timestamp_too_old', skewSeconds };
  if (timestamp - nowSeconds > toleranceSeconds) return { ok: false, reason: 'timestamp_too_new', skewSeconds };
  return { ok: true, id: signed.id, timestamp, timestampText: signed.timestamp, signature: signed.signature, headerSet: signed.headerSet };
}

export function createVerifier({ secrets, toleranceSeconds }: VerifierOptions): Verify {
  if (secrets.length === 0) throw new Error('createVerifier needs at least one secret');
  const keys = secrets.map((secret) => createSecretKey(keyBytes(secret)));
  const fingerprints = secrets.map(secretFingerprint);

  return (header, body, nowSeconds = Date.now() / 1000) => {
    const signed = checkSignedHeaders(header, toleranceSeconds, nowSeconds);
    if (!signed.ok) return signed;
    const candidates = v1Signatures(signed.signature);
    for (const key of keys) {
      const expected = createHmac('sha256', key).update(`${signed.id}.${signed.timestampText}.`).update(body).digest();
      if (candidates.some((candidate) => timingSafeEqual(candidate, expected))) {
        return { ok: true, id: signed.id, timestamp: signed.timestamp, headerSet: signed.headerSet };
      }
    }
    return {
      ok: false,
      reason: 'no_matching_signature',
      skewSeconds: Math.round(nowSeconds - signed.timestamp),
      triedSecrets: fingerprints,
    };
  };
}

export type Sign = (id: string, timestamp: number, body: string | Buffer) => string;

/** Signs like Svix: the value of a `svix-signature` header for one secret. */
export function createSigner(secret: string): Sign {
  const key = createSecretKey(keyBytes(secret));
  return (id, timestamp, body) => `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
}

export function sign(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  return createSigner(secret)(id, timestamp, body);
}

/**
 * Why a delivery's signature was refused, in a sentence for whoever sent it: the failed check
 * and what to change. Given outside production only (and by the partner mock), as it tells a
 * sender how close it came.
 */
export function explainSignatureFailure(failure: SignatureResult & { ok: false }, header: HeaderReader, toleranceSeconds: number): string {
  const skew = failure.skewSeconds ?? 0;
  switch (failure.reason) {
    case 'missing_headers': {
      const missing = ['id', 'timestamp', 'signature'].map((name) => `svix-${name}`).filter((name) => !header(name));
      return `The signature headers are missing: ${missing.length > 0 ? missing.join(', ') : 'svix-id, svix-timestamp, svix-signature'} (or the webhook-* set of Standard Webhooks). Sign the delivery as Svix does.`;
    }
    case 'invalid_timestamp':
      return 'The signed timestamp is not a whole number of seconds since 1970 (Unix time).';
    case 'timestamp_too_old':
      return `The signed timestamp is ${skew} seconds old; the receiver takes at most ${toleranceSeconds} seconds either way. Sign the delivery again, or check the sender's clock.`;
    case 'timestamp_too_new':
      return `The signed timestamp is ${-skew} seconds in the future; the receiver takes at most ${toleranceSeconds} seconds either way. Check the sender's clock.`;
    case 'no_matching_signature':
      return `No signature matches the body with the receiver's secrets (fingerprints ${(failure.triedSecrets ?? []).join(', ')}). Sign with the secret the receiver is given, and send the body exactly as signed.`;
  }
}

/** The first complete header set, `svix-*` before the unbranded `webhook-*`, and its values. */
function readSignedHeaders(header: HeaderReader) {
  for (const headerSet of headerSets) {
    const [id, timestamp, signature] = headerSet.map(header);
    if (id && timestamp && signature) return { id, timestamp, signature, headerSet };
  }
  return undefined;
}

/** Decoded `v1,<base64>` entries of a space-separated signature header; other versions are ignored. */
function v1Signatures(header: string): Buffer[] {
  const digests: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma === -1 || entry.slice(0, comma) !== 'v1') continue;
    // Buffer's base64 decoder skips characters it does not know, so check the text first. A
    // well-formed entry also has the digest's length, which timingSafeEqual requires.
    const encoded = entry.slice(comma + 1);
    if (base64Digest.test(encoded)) digests.push(Buffer.from(encoded, 'base64'));
  }
  return digests;
}
