// What a forwarder publishes of a claimed delivery: the exact stored body, and what a consumer
// routes and orders by.
import type { ClaimedDelivery } from '../inbox/inbox.ts';
import type { TraceContext } from '../telemetry/tracing.ts';
import { percentEncoded } from './percent-encoding.ts';

export interface ForwardedMessage {
  /** The delivery id: JetStream's `Nats-Msg-Id`, RabbitMQ's `message_id`. */
  id: string;
  eventType: string;
  /**
   * The lane that orders it, as a header value: `conversation:<id>`, `end_user:<id>` or
   * `delivery:<id>`, the id percent-encoded (a CR or LF, say, would not be a valid NATS header).
   */
  lane: string;
  receivedAt: Date;
  /** The body exactly as received. */
  body: string;
  conversationId: string | undefined;
  endUserId: string | undefined;
  /** The propagation headers of the send span (W3C `traceparent`...): a consumer continues the delivery's trace from them. */
  traceContext: TraceContext;
}

export function forwardedMessage(
  delivery: ClaimedDelivery,
  event: { type: string; data?: unknown },
  traceContext: TraceContext,
): ForwardedMessage {
  const { id, receivedAt, body, lane } = delivery;
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    id,
    eventType: event.type,
    lane: laneHeader(lane),
    receivedAt,
    body,
    conversationId: text(data['conversation_id']),
    endUserId: text(data['end_user_id']),
    traceContext,
  };
}

function laneHeader(lane: string): string {
  const kindEnd = lane.indexOf(':') + 1;
  return lane.slice(0, kindEnd) + percentEncoded(lane.slice(kindEnd));
}
