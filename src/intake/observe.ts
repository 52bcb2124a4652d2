// One log line, the metrics and the receive span of each webhook request. The line never holds
// a secret, a signature or the body.
import type { Logger } from 'pino';
import type { DeliveryOutcome, Metrics } from '../telemetry/metrics.ts';
import { endReceiveSpan, startReceiveSpan, traceContextOfSpan, type TraceContext } from '../telemetry/tracing.ts';
import { problem, type Answer } from './answer.ts';
import { headerReader } from './headers.ts';
import type { IntakeRequest } from './request.ts';
import type { SignatureResult } from './signature.ts';

/** What the steps of one webhook request learn, for the log line and the metrics. */
export interface DeliveryRecord {
  outcome?: DeliveryOutcome;
  signature?: SignatureResult;
  eventType?: string;
  /** The body parsed, once the signature is verified. */
  event?: unknown;
  /** The trace of this request's receive span, to store with the delivery; none when nothing traces. */
  readonly traceContext?: TraceContext | undefined;
  violations?: number;
  /** Why the inbox could not store the delivery (503), or refused it (400). */
  storeError?: string;
  /** What went wrong in the receiver itself: a 500, or a validator that failed (the delivery quarantined). */
  error?: Error;
}

export interface DeliveryObserver {
  logger: Logger;
  metrics: Metrics;
}

/** Runs `receive` in its receive span, answering a 500 for what it throws, then logs the line, counts the outcome and ends the span. */
export async function observeDelivery(
  { logger, metrics }: DeliveryObserver,
  request: IntakeRequest,
  receive: (record: DeliveryRecord) => Promise<Answer>,
): Promise<Answer> {
  const started = performance.now();
  const span = startReceiveSpan(request.headers);
  const record: DeliveryRecord = { traceContext: traceContextOfSpan(span) };
  let answer: Answer;
  try {
    answer = await receive(record);
  } catch (error) {
    Object.assign(record, { outcome: 'error', error });
    answer = problem(500);
  }
  const outcome = record.outcome ?? 'error';
  const seconds = (performance.now() - started) / 1000;
  const verified = record.signature?.ok ? record.signature : undefined;
  const refused = record.signature?.ok === false ? record.signature : undefined;
  const eventType = verified ? (record.eventType ?? 'unknown') : undefined;
  metrics.recordDelivery(outcome, eventType ?? 'unverified', seconds);
  endReceiveSpan(span, { outcome, deliveryId: verified?.id, eventType, event: record.event, errorType: errorTypeOf(outcome, record) });
  // An error of the receiver's own is an error even when the delivery was kept (see check in receive.ts).
  const level = outcome === 'accepted' || outcome === 'duplicate' ? 'info' : answer.status >= 500 || record.error ? 'error' : 'warn';
  if (logger.isLevelEnabled(level)) {
    const header = (name: string) => headerReader(request.headers)(name)?.slice(0, 128) ?? '';
    const line = {
      deliveryId: verified?.id,
      claimedId: verified ? undefined : header('svix-id') || header('webhook-id') || undefined,
      eventType,
      outcome,
      status: answer.status,
      latencyMs: Math.round(seconds * 1e5) / 100,
      // For a refused signature: what an operator needs to tell a misconfiguration from an
      // attack, and nothing that would help an attacker (no signature, no secret).
      client: verified ? undefined : request.client,
      signatureFailure: refused?.reason,
      timestampSkewSeconds: refused?.skewSeconds,
      triedSecrets: refused?.triedSecrets,
      violations: record.violations,
      storeError: record.storeError,
      err: record.error,
    };
    logger[level](line, 'delivery');
  }
  return answer;
}

/** Why a request failed, for its span: the signature check that refused it, the error's name, or the outcome itself. */
function errorTypeOf(outcome: DeliveryOutcome, record: DeliveryRecord): string | undefined {
  switch (outcome) {
    case 'accepted':
    case 'duplicate':
      return undefined;
    case 'unauthorized':
      return record.signature?.ok === false ? record.signature.reason : outcome;
    case 'error':
      return record.error?.name ?? outcome;
    default:
      return outcome;
  }
}
