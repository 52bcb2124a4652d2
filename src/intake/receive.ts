// The webhook operation, after the body was read: the signature (401, before anything else is
// looked at), the contract (422, stored in quarantine), then the inbox, and only then the 200.
import type { Context } from 'koa';
import type { Acknowledgement } from '../../generated/ada-webhooks.ts';
import { isKnownEventName } from '../contract/events.ts';
import type { Inbox, NewDelivery, StoreOutcome } from '../inbox/inbox.ts';
import { signatureHeaders, type Verify } from './signature.ts';
import type { ValidateRequest } from '../contract/operations.ts';
import { deliveryRecord } from './delivery-record.ts';
import { headerValue, headersNamed } from './headers.ts';
import { jsonBodyOf } from './body.ts';
import { sendProblem } from './problem.ts';

export interface WebhookOptions {
  verify: Verify;
  validate: ValidateRequest;
  inbox: Inbox;
}

/** Seconds a sender should wait before retrying when the inbox cannot take a delivery. */
const retryAfterSeconds = 5;

/** Headers kept with each delivery for audit. */
const auditHeaders = [...signatureHeaders, 'content-type', 'user-agent'];

export function receiveWebhook({ verify, validate, inbox }: WebhookOptions) {
  return async (ctx: Context): Promise<void> => {
    const record = deliveryRecord(ctx);
    const { bytes, text, value } = jsonBodyOf(ctx);
    const signature = (record.signature = verify((name) => headerValue(ctx, name), bytes));
    if (!signature.ok) {
      record.outcome = 'unauthorized';
      sendProblem(ctx, 401);
      return;
    }

    const type = (value as { type?: unknown } | null)?.type;
    record.eventType = typeof type === 'string' && isKnownEventName(type) ? type : 'unknown';
    const delivery: NewDelivery = {
      id: signature.id,
      receivedAt: new Date(),
      headers: headersNamed(ctx, auditHeaders),
      body: text,
      event: value,
    };
    const violations = validate({ headers: ctx.headers, query: ctx.query, body: value });

    if (violations.length > 0) {
      if (!(await storeOr503(ctx, () => inbox.quarantine(delivery, violations)))) return;
      Object.assign(record, { outcome: 'quarantined', violations: violations.length });
      sendProblem(ctx, 422, {
        title: 'Contract violation',
        detail: 'The delivery does not match the contract; it was stored in quarantine.',
        violations,
      });
      return;
    }

    const stored = await storeOr503(ctx, () => inbox.accept(delivery));
    if (!stored) return;
    const status = stored === 'stored' ? 'accepted' : 'duplicate';
    record.outcome = status;
    const acknowledgement: Acknowledgement = { status, id: delivery.id };
    ctx.body = acknowledgement;
  };
}

/** The outcome of `store`, or undefined once the request is answered 503 because the inbox failed. */
async function storeOr503(ctx: Context, store: () => Promise<StoreOutcome>): Promise<StoreOutcome | undefined> {
  try {
    return await store();
  } catch (error) {
    // The delivery's log line says why, once: the store's error is what the operator must act on.
    Object.assign(deliveryRecord(ctx), { outcome: 'unavailable', storeError: (error as Error).message });
    ctx.set('Retry-After', String(retryAfterSeconds));
    sendProblem(ctx, 503, { detail: 'The inbox is unavailable; retry later.' });
    return undefined;
  }
}
