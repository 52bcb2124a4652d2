// `ada-webhooks/verify`: checks one delivery's signature and parses its body, without the store,
// Koa, the contract's validators or any other part of the receiver: for code that takes the
// request in itself. It does not validate the event against the contract (the receiver does);
// its type is the contract's.
import type { IncomingHttpHeaders } from 'node:http';
import { isKnownEventName, type AdaEvent, type UnknownEvent } from './contract/events.ts';
import { createVerifier, type SignatureFailure } from './intake/signature.ts';

export interface VerifyWebhookOptions {
  /** The Ada webhook's signing secret (`whsec_...`), or several while rotating. */
  secrets: string | readonly string[];
  /** The request's headers: a fetch `Headers`, or Node's lower-case record. */
  headers: Headers | IncomingHttpHeaders;
  /** The body exactly as received: never JSON.stringify of a parsed body, whose bytes differ. */
  body: string | Uint8Array;
  /** Largest accepted distance between the signed timestamp and now, in either direction (default 300). */
  toleranceSeconds?: number;
}

/** Why a delivery was refused: which check failed. */
export class WebhookVerificationError extends Error {
  readonly reason: SignatureFailure | 'malformed_json';

  constructor(reason: WebhookVerificationError['reason'], message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

const reasons: Record<SignatureFailure, string> = {
  missing_headers: 'the svix-id, svix-timestamp and svix-signature headers (or their webhook-* names) are not all present',
  invalid_timestamp: 'the signed timestamp is not a whole number of seconds',
  timestamp_too_old: 'the signed timestamp is older than the tolerance',
  timestamp_too_new: 'the signed timestamp is further ahead than the tolerance',
  no_matching_signature: 'no signature matches any of the secrets',
};

/**
 * The delivery id (`svix-id`, the same on every retry: the key to make side effects idempotent)
 * and the event: a known one when `known` is true (`switch (event.type)` then narrows
 * `event.data`), or one whose type the contract does not know yet.
 */
export type VerifiedWebhook = { id: string; known: true; event: AdaEvent } | { id: string; known: false; event: UnknownEvent };

/** The delivery's id and event, once its signature is checked; throws a WebhookVerificationError otherwise. */
export function verifyWebhook({ secrets, headers, body, toleranceSeconds = 300 }: VerifyWebhookOptions): VerifiedWebhook {
  const verify = createVerifier({ secrets: typeof secrets === 'string' ? [secrets] : secrets, toleranceSeconds });
  const header = (name: string) => {
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const bytes = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const result = verify(header, bytes);
  if (!result.ok) throw new WebhookVerificationError(result.reason, `The delivery is refused: ${reasons[result.reason]}.`);
  let event: { type?: unknown };
  try {
    event = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8')) as { type?: unknown };
  } catch (error) {
    throw new WebhookVerificationError('malformed_json', `The delivery is signed, but its body is not JSON: ${(error as Error).message}`);
  }
  return typeof event.type === 'string' && isKnownEventName(event.type)
    ? { id: result.id, known: true, event: event as AdaEvent }
    : { id: result.id, known: false, event: event as UnknownEvent };
}
