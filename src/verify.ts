// `ada-webhooks/verify`: checks one delivery's signature and parses its body, without the store,
// Koa, the contract's validators or any other part of the receiver: for code that takes the
// request in itself. It does not validate the event against the contract (the receiver does);
// its type is the contract's. Its checks, their words and its default tolerance are the intake's.
// First, so that an older Node stops here with a line that says what to install.
import './support/node-version.ts';
import type { IncomingHttpHeaders } from 'node:http';
import { eventTypeOf, isKnownEventName, type AdaEvent, type UnknownEvent } from './contract/events.ts';
import { BodyError, parseJson } from './intake/json-body.ts';
import {
  createVerifier,
  defaultToleranceSeconds,
  explainSignatureFailure,
  type SignatureFailure,
  type ToleranceOption,
} from './intake/signature.ts';

export interface VerifyWebhookOptions extends ToleranceOption {
  /** The Ada webhook's signing secret (`whsec_...`), or several while rotating. */
  secrets: string | readonly string[];
  /** The request's headers: a fetch `Headers`, or Node's lower-case record. */
  headers: Headers | IncomingHttpHeaders;
  /** The body exactly as received: never JSON.stringify of a parsed body, whose bytes differ. */
  body: string | Uint8Array;
}

/**
 * Why a delivery was refused: which check failed. `malformed_json`: the body is not UTF-8 JSON;
 * `not_an_event`: it is JSON, but not an object with a string `type`.
 */
export class WebhookVerificationError extends Error {
  readonly reason: SignatureFailure | 'malformed_json' | 'not_an_event';

  constructor(reason: WebhookVerificationError['reason'], message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/**
 * The delivery id (`svix-id`, the same on every retry: the key to make side effects idempotent)
 * and the event: a known one when `known` is true (`switch (event.type)` then narrows
 * `event.data`), or one whose type the contract does not know yet.
 */
export type VerifiedWebhook = { id: string; known: true; event: AdaEvent } | { id: string; known: false; event: UnknownEvent };

/** The delivery's id and event, once its signature is checked; throws a WebhookVerificationError otherwise. */
export function verifyWebhook({
  secrets,
  headers,
  body,
  toleranceSeconds = defaultToleranceSeconds,
}: VerifyWebhookOptions): VerifiedWebhook {
  const verify = createVerifier({ secrets: typeof secrets === 'string' ? [secrets] : secrets, toleranceSeconds });
  const header = (name: string) => {
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const result = verify(header, bytes);
  if (!result.ok) throw new WebhookVerificationError(result.reason, explainSignatureFailure(result, header, toleranceSeconds));
  let event: unknown;
  try {
    event = parseJson(bytes).value;
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    throw new WebhookVerificationError('malformed_json', error.message);
  }
  const type = eventTypeOf(event);
  if (type === undefined) {
    throw new WebhookVerificationError(
      'not_an_event',
      'The delivery is signed, but its body is not an event: a JSON object whose type is a string.',
    );
  }
  return isKnownEventName(type)
    ? { id: result.id, known: true, event: event as AdaEvent }
    : { id: result.id, known: false, event: event as UnknownEvent };
}
