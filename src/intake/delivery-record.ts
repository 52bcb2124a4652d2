import type { Context } from 'koa';
import type { SignatureResult } from './signature.ts';
import type { DeliveryOutcome } from '../operations/metrics.ts';

/** What the steps of one webhook request learn, for the log line and the metrics. */
export interface DeliveryRecord {
  outcome?: DeliveryOutcome;
  signature?: SignatureResult;
  eventType?: string;
  violations?: number;
  /** Why the inbox could not store the delivery (503). */
  storeError?: string;
  /** What went wrong in the receiver itself (500). */
  error?: Error;
}

export function deliveryRecord(ctx: Context): DeliveryRecord {
  return ((ctx.state as { delivery?: DeliveryRecord }).delivery ??= {});
}
