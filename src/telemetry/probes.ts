// What tells operators how the receiver is doing, as data any framework can serve: health,
// readiness, metrics. The service serves them at the contract's /healthz, /readyz and /metrics.
import type { Health, Readiness } from '../../generated/ada-webhooks.ts';
import type { Metrics } from './metrics.ts';
import type { ObservedForwarding, ObservedInbox } from './observed.ts';

export type { Health, Readiness };

export interface MetricsText {
  contentType: string;
  text: string;
}

export const health = (): Health => ({ status: 'ok' });

/**
 * Ready when the inbox can be reached and written; the contract is loaded before a receiver
 * exists. A broker that cannot be reached is reported with the forwarding lag, and leaves the
 * receiver ready: deliveries are still accepted, and wait in their lanes.
 */
export async function readiness(inbox: Pick<ObservedInbox, 'ping'>, forwarding?: ObservedForwarding): Promise<Readiness> {
  const [inboxState, lagSeconds] = await Promise.all([
    inbox.ping().then(
      () => 'ok',
      () => 'unavailable',
    ),
    // Unknown while the inbox cannot be read: the inbox's own check says so.
    forwarding?.lagSeconds().catch(() => 0),
  ]);
  const readiness: Readiness = { status: inboxState === 'ok' ? 'ready' : 'unavailable', checks: { inbox: inboxState, contract: 'ok' } };
  if (forwarding) {
    const state = forwarding.available ? 'ok' : 'failing';
    readiness.checks['forwarding'] = state;
    readiness.forwarding = { broker: forwarding.broker, state, lagSeconds: Math.round((lagSeconds ?? 0) * 10) / 10 };
  }
  return readiness;
}

export async function metricsText(metrics: Metrics): Promise<MetricsText> {
  return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() };
}
