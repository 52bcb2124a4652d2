import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { deliveryStates, type Inbox } from '../inbox/inbox.ts';

/** What became of one request to the webhook endpoint. */
export type DeliveryOutcome =
  | 'accepted'
  | 'duplicate'
  | 'quarantined'
  | 'unauthorized'
  | 'malformed'
  | 'unsupported_media_type'
  | 'too_large'
  | 'unavailable'
  | 'error';

export interface ReceiverMetrics {
  registry: Registry;
  /** `eventType`: a known event type, `unknown`, or `unverified` before the signature is checked. */
  recordDelivery(outcome: DeliveryOutcome, eventType: string, seconds: number): void;
}

export function createMetrics(inbox: Inbox): ReceiverMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const deliveries = new Counter({
    name: 'ada_webhook_deliveries_total',
    help: 'Requests to the webhook endpoint, by outcome and event type.',
    labelNames: ['outcome', 'event_type'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'ada_webhook_request_duration_seconds',
    help: 'Time from request to response at the webhook endpoint, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [registry],
  });
  new Gauge({
    name: 'ada_webhook_inbox_deliveries',
    help: 'Deliveries held in the inbox, by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await inbox.countByState();
      for (const state of deliveryStates) this.set({ state }, counts[state]);
    },
  });

  return {
    registry,
    recordDelivery(outcome, eventType, seconds) {
      deliveries.inc({ outcome, event_type: eventType });
      latency.observe({ outcome }, seconds);
    },
  };
}
