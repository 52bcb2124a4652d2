// The receiver's traces, by the messaging semantic conventions, through @opentelemetry/api alone:
// the application chooses the SDK (the service sets one up from the OTEL_* variables); without
// one, every call here is the API's no-op and nothing is stored.
//
// One trace per delivery. The `receive` span of its request, the trace's root, ends when it is
// answered; its context is stored with the delivery. Every attempt, in whichever process and
// however late (a retry, a lease that ran out after a crash), is a `process` span whose parent is
// that stored context and which links to it too; a forward to a broker is a `send` span inside it. A replay starts a new
// trace, linked to the one before, and its attempts join the new one.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { IncomingHttpHeaders } from 'node:http';
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_CONVERSATION_ID,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM_NAME,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_RECEIVE,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
} from './semconv.ts';

const tracer = trace.getTracer('ada-webhooks');

/**
 * The trace a delivery belongs to, as the propagation headers that carry it (W3C `traceparent`
 * and `tracestate` with the default propagator): kept with the delivery so that every attempt,
 * in whichever process and however late, joins the trace of its receipt.
 */
export type TraceContext = Readonly<Record<string, string>>;

/** What the span of an attempt tells of the delivery it handles (the inbox's claimed delivery). */
interface AttemptedDelivery {
  id: string;
  lane: string;
  /** 1 for the first attempt. */
  attempt: number;
  traceContext: TraceContext | null;
}

/** What the trace of a replay tells of the delivery it replays (the inbox's stored delivery). */
interface ReplayedDelivery {
  id: string;
  /** The state it is replayed from. */
  state: string;
  traceContext: TraceContext | null;
}

/** Attributes of this receiver's own that the conventions have no name for. */
const attributeNames = {
  outcome: 'ada_webhooks.outcome',
  attempt: 'ada_webhooks.attempt',
  lane: 'ada_webhooks.lane',
  replayedFrom: 'ada_webhooks.replayed_from',
  transaction: 'ada_webhooks.transaction',
} as const;

/** Ada's deliveries come through Svix; the conventions leave the name of such a system to us. */
const webhookSystem = 'svix';

const receiveAttributes: Attributes = {
  [ATTR_MESSAGING_SYSTEM_NAME]: webhookSystem,
  [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_RECEIVE,
  [ATTR_MESSAGING_OPERATION_NAME]: 'receive',
};

/** What the receive span of one request learns by its answer. */
export interface ReceiveFacts {
  outcome: string;
  deliveryId?: string | undefined;
  /** A known event type or `unknown`. */
  eventType?: string | undefined;
  /** The body parsed, whose conversation the span names. */
  event?: unknown;
  /** Why it failed, for every outcome but accepted and duplicate. */
  errorType?: string | undefined;
}

/**
 * The span of one webhook request: the root of a trace of its own. The request is not signed when
 * it arrives (anyone can send one), so its trace context is only linked to, never a parent:
 * it must not choose the trace id, force or prevent sampling, or put baggage on what is stored.
 * The links: the span active when the request reached the receiver (an HTTP server span of the
 * app's own instrumentation, where there is one) and the context that the request's headers carry.
 */
export function startReceiveSpan(headers: IncomingHttpHeaders): Span {
  const links = [...linksTo(context.active()), ...linksTo(propagation.extract(ROOT_CONTEXT, headers))];
  return tracer.startSpan('receive', { root: true, kind: SpanKind.CONSUMER, attributes: receiveAttributes, links });
}

export function endReceiveSpan(span: Span, { outcome, deliveryId, eventType, event, errorType }: ReceiveFacts): void {
  if (span.isRecording()) {
    const conversationId = (event as { data?: { conversation_id?: unknown } } | undefined)?.data?.conversation_id;
    if (eventType !== undefined) span.updateName(`receive ${eventType}`);
    span.setAttributes({
      [attributeNames.outcome]: outcome,
      [ATTR_MESSAGING_MESSAGE_ID]: deliveryId,
      [ATTR_MESSAGING_DESTINATION_NAME]: eventType,
      [ATTR_MESSAGING_MESSAGE_CONVERSATION_ID]: typeof conversationId === 'string' ? conversationId : undefined,
    });
    if (errorType !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    }
  }
  span.end();
}

/**
 * The trace context to store with a delivery or put on a message: the span's propagation headers,
 * or none when nothing traces. Only the span's own: no baggage of whatever context is active.
 */
export function traceContextOfSpan(span: Span): TraceContext | undefined {
  if (!isSpanContextValid(span.spanContext())) return undefined;
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  return headers;
}

/** A span and the context in which the work it covers runs (the span active). */
export interface ActiveSpan {
  span: Span;
  context: Context;
}

/**
 * The process span of one attempt: a child of the delivery's stored trace context, and linked to
 * it. Nothing else is its parent, whatever was active when the dispatcher started.
 */
export function startProcessSpan(delivery: AttemptedDelivery, eventType: string): ActiveSpan {
  const parent = delivery.traceContext ? propagation.extract(ROOT_CONTEXT, delivery.traceContext) : ROOT_CONTEXT;
  const conversation = delivery.lane.startsWith('conversation:') ? delivery.lane.slice('conversation:'.length) : undefined;
  const span = tracer.startSpan(
    `process ${eventType}`,
    {
      kind: SpanKind.CONSUMER,
      links: linksTo(parent),
      attributes: {
        [ATTR_MESSAGING_SYSTEM_NAME]: webhookSystem,
        [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
        [ATTR_MESSAGING_OPERATION_NAME]: 'process',
        [ATTR_MESSAGING_DESTINATION_NAME]: eventType,
        [ATTR_MESSAGING_MESSAGE_ID]: delivery.id,
        [ATTR_MESSAGING_MESSAGE_CONVERSATION_ID]: conversation,
        [attributeNames.attempt]: delivery.attempt,
        [attributeNames.lane]: delivery.lane,
      },
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `work` with the span active, so that the spans it starts (a user's own, an outgoing call's) are its children. */
export function inActiveSpan<T>({ context: active }: ActiveSpan, work: () => T): T {
  return context.with(active, work);
}

/**
 * Ends an attempt's span with how the attempt ended, and its error; for an attempt whose writes
 * were to commit with its settlement, how its transaction ended.
 */
export function endProcessSpan(span: Span, outcome: string, error?: unknown, transaction?: string): void {
  span.setAttribute(attributeNames.outcome, outcome);
  if (transaction !== undefined) span.setAttribute(attributeNames.transaction, transaction);
  if (error !== undefined) recordError(span, error);
  span.end();
}

/** Where a forward goes: the broker's system name, and the stream or exchange. */
export interface SendTarget {
  system: string;
  destination: string;
  messageId: string;
}

/**
 * Runs `publish` in a send span, a child of the active attempt, and gives it the span's
 * propagation headers to put on the message, so that its consumers continue the trace.
 */
export async function inSendSpan<T>(target: SendTarget, publish: (traceContext: TraceContext) => Promise<T>): Promise<T> {
  const span = tracer.startSpan(`send ${target.destination}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      [ATTR_MESSAGING_SYSTEM_NAME]: target.system,
      [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
      [ATTR_MESSAGING_OPERATION_NAME]: 'send',
      [ATTR_MESSAGING_DESTINATION_NAME]: target.destination,
      [ATTR_MESSAGING_MESSAGE_ID]: target.messageId,
    },
  });
  try {
    return await publish(traceContextOfSpan(span) ?? {});
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Starts the new trace of a replayed delivery: a `replay` span of its own, linked to the trace
 * the delivery had. Returns the context that its next attempts join, or none when nothing traces.
 */
export function startReplayTrace(delivery: ReplayedDelivery, eventType: string): TraceContext | undefined {
  const before = delivery.traceContext ? propagation.extract(ROOT_CONTEXT, delivery.traceContext) : undefined;
  const span = tracer.startSpan(`replay ${eventType}`, {
    root: true,
    kind: SpanKind.INTERNAL,
    links: before ? linksTo(before) : [],
    attributes: {
      [ATTR_MESSAGING_SYSTEM_NAME]: webhookSystem,
      [ATTR_MESSAGING_DESTINATION_NAME]: eventType,
      [ATTR_MESSAGING_MESSAGE_ID]: delivery.id,
      [attributeNames.replayedFrom]: delivery.state,
    },
  });
  const traceContext = traceContextOfSpan(span);
  span.end();
  return traceContext;
}

/** A link to the span that `parent` carries, when it carries one. */
function linksTo(parent: Context): Link[] {
  const spanContext = trace.getSpanContext(parent);
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

function recordError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const name = error instanceof Error ? error.name : typeof error;
  span.setAttribute(ATTR_ERROR_TYPE, name);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
