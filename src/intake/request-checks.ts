// The checks of a webhook request that come before its signature, answered as problem details:
// what the receiver and the partner mock both apply, in the same order.
import type { Context, Next } from 'koa';
import type { DeliveryOutcome } from '../operations/metrics.ts';
import { deliveryRecord } from './delivery-record.ts';
import { sendProblem } from './problem.ts';

/** Every error answer is a problem detail, including Koa's and the router's bare 404 and 405. */
export async function problemForEmptyErrors(ctx: Context, next: Next): Promise<void> {
  await next();
  if (ctx.status >= 400 && ctx.body == null) sendProblem(ctx, ctx.status);
}

export async function requireJson(ctx: Context, next: Next): Promise<void> {
  if (!ctx.is('application/json')) ctx.throw(415, 'Send the body as application/json.');
  await next();
}

const outcomeOfClientError: Record<number, DeliveryOutcome> = { 413: 'too_large', 415: 'unsupported_media_type' };

/** Answers the client errors that the steps after it throw (content type, size, malformed JSON) as problem details. */
export function answerClientErrors(bodyLimitBytes: number) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (typeof status !== 'number' || status < 400 || status >= 500) throw error;
      deliveryRecord(ctx).outcome = outcomeOfClientError[status] ?? 'malformed';
      const detail = status === 413 ? `The request body exceeds the limit of ${bodyLimitBytes} bytes.` : (error as Error).message;
      sendProblem(ctx, status, { detail });
    }
  };
}
