import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ObservedDrift, ObservedForwarding, ObservedInbox } from './observed.ts';

/** What became of one request to the webhook endpoint. */
export type DeliveryOutcome =
  | 'accepted'
  | 'duplicate'
  | 'quarantined'
  | 'unauthorized'
  | 'malformed'
  | 'unsupported_media_type'
  | 'too_large'
  | 'refused'
  | 'unavailable'
  | 'error';

/** How one handler attempt ended. */
type HandlingOutcome = 'done' | 'retry' | 'dead' | 'released';

/** How the transaction of a transactional attempt ended (`settled_within`: the handler's own transaction settled it). */
export type TransactionOutcome = 'committed' | 'rolled_back' | 'lease_lost' | 'settled_within';

export interface Metrics {
  registry: Registry;
  /** `eventType`: a known event type, `unknown`, or `unverified` before the signature is checked. */
  recordDelivery(outcome: DeliveryOutcome, eventType: string, seconds: number): void;
  /** `eventType`: a known event type or `unknown`. */
  recordHandling(outcome: HandlingOutcome, eventType: string, seconds: number): void;
  /** An attempt whose writes were to commit with its settlement; `eventType`: a known event type or `unknown`. */
  recordTransaction(outcome: TransactionOutcome, eventType: string): void;
  /**
   * `outcome`: `duplicate` when JetStream had it already, `failed` when the broker refused it,
   * `unavailable` when it could not be reached. `eventType`: a known event type or `unknown`.
   */
  recordForward(outcome: 'published' | 'duplicate' | 'failed' | 'unavailable', eventType: string): void;
}

/** The receiver's metrics; the forwarding gauges only when `forwarding` is given, the drift gauge when `drift` is. */
export function createMetrics(
  inbox: Pick<ObservedInbox, 'countByState' | 'oldestPending' | 'countErased'>,
  { forwarding, drift }: { forwarding?: ObservedForwarding | undefined; drift?: ObservedDrift | undefined } = {},
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const deliveries = new Counter({
    name: 'ada_webhook_deliveries_total',
    help: 'Requests to the webhook endpoint, by outcome and event type.',
    labelNames: ['outcome', 'event_type'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'ada_webhook_request_duration_seconds',
    help: 'Time from request to response at the webhook endpoint, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers,
  });
  const handled = new Counter({
    name: 'ada_webhook_handled_total',
    help: 'Handler attempts, by how they ended (done, retry, dead, released) and event type.',
    labelNames: ['outcome', 'event_type'] as const,
    registers,
  });
  const handlerDuration = new Histogram({
    name: 'ada_webhook_handler_duration_seconds',
    help: 'Time a handler attempt took, by event type.',
    labelNames: ['event_type'] as const,
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const transactions = new Counter({
    name: 'ada_webhook_handler_transactions_total',
    help: 'Attempts whose writes were to commit with their settlement, by how the transaction ended (committed, rolled_back, lease_lost: another attempt took the delivery, settled_within: settled inside a transaction of the handler) and event type.',
    labelNames: ['outcome', 'event_type'] as const,
    registers,
  });
  new Gauge({
    name: 'ada_webhook_inbox_deliveries',
    help: 'Deliveries held in the inbox, by state.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      for (const [state, count] of Object.entries(await inbox.countByState())) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'ada_webhook_inbox_erased_deliveries',
    help: "Deliveries whose end user's data was erased (npm run inbox -- erase): kept with their ids, empty otherwise.",
    registers,
    async collect() {
      this.set(await inbox.countErased());
    },
  });
  new Gauge({
    name: 'ada_webhook_oldest_pending_age_seconds',
    help: 'Age of the oldest pending delivery (0 when none is pending).',
    registers,
    async collect() {
      const oldest = await inbox.oldestPending();
      this.set(oldest ? (Date.now() - oldest.getTime()) / 1000 : 0);
    },
  });

  const forwarded = new Counter({
    name: 'ada_webhook_forwarded_total',
    help: 'Forwards to the broker, by outcome (published, duplicate: JetStream had it already, failed: refused, unavailable: unreachable) and event type.',
    labelNames: ['outcome', 'event_type'] as const,
    registers,
  });
  if (forwarding) {
    new Gauge({
      name: 'ada_webhook_forwarding_lag_seconds',
      help: 'Age of the oldest pending delivery that waits to be forwarded (0 when none waits).',
      registers,
      async collect() {
        this.set(await forwarding.lagSeconds());
      },
    });
    new Gauge({
      name: 'ada_webhook_forwarder_connected',
      help: 'Whether the forwarder can publish to its broker (1) or not (0).',
      labelNames: ['broker'] as const,
      registers,
      collect() {
        this.set({ broker: forwarding.broker }, forwarding.available ? 1 : 0);
      },
    });
  }

  if (drift) {
    new Gauge({
      name: 'ada_webhook_contract_drift_paths',
      help: 'Differences between traffic and the contract seen so far (fields, values, event types), by event type and kind (npm run drift lists them).',
      labelNames: ['event_type', 'kind'] as const,
      registers,
      collect() {
        for (const { eventType, kind, count } of drift.differences().values()) this.set({ event_type: eventType, kind }, count);
      },
    });
  }

  return {
    registry,
    recordDelivery(outcome, eventType, seconds) {
      deliveries.inc({ outcome, event_type: eventType });
      latency.observe({ outcome }, seconds);
    },
    recordHandling(outcome, eventType, seconds) {
      handled.inc({ outcome, event_type: eventType });
      handlerDuration.observe({ event_type: eventType }, seconds);
    },
    recordTransaction(outcome, eventType) {
      transactions.inc({ outcome, event_type: eventType });
    },
    recordForward(outcome, eventType) {
      forwarded.inc({ outcome, event_type: eventType });
    },
  };
}
