// What the inbox keeps of what a sender chose, in a form that every store takes. PostgreSQL's text
// and jsonb refuse NUL, jsonb refuses a lone surrogate (which UTF-8 cannot encode, so SQLite keeps
// it as U+FFFD), a B-tree index entry takes at most 2,704 bytes, and a jsonb value at most 256 MB:
// limits that a signed, well-formed delivery can reach with an escaped `\u0000` or a long id. Both
// backends keep the same form, so that what is read back does not depend on the store.
// - The delivery id is the inbox's key and is kept exactly: one that no store can key is refused.
// - A key that orders (a lane) is bounded and stays distinct: storableKey.
// - Texts that describe (the event type, violations, errors) are bounded and made storable.
import { createHash } from 'node:crypto';
import { maxViolationsReported, ViolationReport, type Violation } from '../contract/validation.ts';
import { isStorableText, storableText } from '../support/storable-text.ts';
import { DeliveryRefused } from './inbox.ts';

/**
 * The longest delivery id kept, in bytes of UTF-8: with a lane, an event type and a time beside
 * it, it fits every index entry of PostgreSQL's (a Svix id takes about 30).
 */
export const maxDeliveryIdBytes = 1024;
/** The most of a conversation's or an end user's id that a lane's key keeps. */
export const maxLaneIdBytes = 512;
/** The longest event type kept: a valid one takes at most 128 characters of ASCII. */
export const maxEventTypeBytes = 256;
/** The most of each pointer and message of a violation that is kept. */
export const maxViolationTextBytes = 4096;
/** The most violations kept of one delivery, as many as a validator reports: the rest are counted in one more. */
export const maxViolationsKept = maxViolationsReported;
/** The most of a failed attempt's error that is kept (the dispatcher keeps 4,096 characters). */
export const maxErrorBytes = 16_384;

/** Throws DeliveryRefused for an id that no store can key: too long, or holding what no store keeps as text (no HTTP header can carry either). */
export function refuseUnstorableId(id: string): void {
  const bytes = Buffer.byteLength(id);
  if (bytes > maxDeliveryIdBytes) {
    throw new DeliveryRefused(`its id takes ${bytes} bytes; the inbox keys deliveries by ids of at most ${maxDeliveryIdBytes} bytes`);
  }
  if (!isStorableText(id)) throw new DeliveryRefused('its id holds NUL or a lone surrogate, which no store keeps as text');
}

/**
 * `key` itself when a store keeps it as it is within `maxBytes`; otherwise its storable start, `#`
 * and a digest of the whole key, so that two keys a store would keep alike (cut at the same place,
 * or alike but for what becomes U+FFFD) stay apart. A key sent in that very form would share the
 * other's lane, which only runs their deliveries one at a time.
 */
export function storableKey(key: string, maxBytes: number): string {
  if (storableText(key, maxBytes) === key) return key;
  // UTF-16 code units, lone surrogates included: every key has a digest of its own.
  const digest = createHash('sha256').update(key, 'utf16le').digest('base64url');
  return `${storableText(key, maxBytes - digest.length - 1)}#${digest}`;
}

/** An event type as it is kept. */
export const storableEventType = (type: string): string => storableText(type, maxEventTypeBytes);

/**
 * Violations as they are kept: the first `maxViolationsKept`, each text bounded, then one that
 * counts the rest. A validator's report is in that form already (at most one more than those
 * kept, which counts the rest), and is kept as it is.
 */
export function storableViolations(violations: readonly Violation[]): Violation[] {
  let kept = violations;
  if (violations.length > maxViolationsKept + 1) {
    const report = new ViolationReport();
    for (const violation of violations) report.add(violation);
    kept = report.violations;
  }
  return kept.map(({ pointer, message }) => ({
    pointer: storableText(pointer, maxViolationTextBytes),
    message: storableText(message, maxViolationTextBytes),
  }));
}

/** A failed attempt's error as it is kept. */
export const storableError = (error: string): string => storableText(error, maxErrorBytes);

/** `error` as intake throws it: DeliveryRefused when the store refused the delivery for what it holds. */
export const refusalOf = (error: unknown, refusedForWhatItHolds: (error: unknown) => boolean): unknown =>
  refusedForWhatItHolds(error) ? new DeliveryRefused(`the store refused it: ${(error as Error).message}`, { cause: error }) : error;
