// What tells operators how the receiver is doing, as data any framework can serve: health,
// readiness, metrics. The service serves them at the contract's /healthz, /readyz and /metrics.
import type { Health, Readiness } from '../../generated/ada-webhooks.ts';
import type { Inbox } from '../inbox/inbox.ts';
import type { Metrics } from './metrics.ts';

export type { Health, Readiness };

export interface MetricsText {
  contentType: string;
  text: string;
}

export const health = (): Health => ({ status: 'ok' });

/** Ready when the inbox can be reached and written; the contract is loaded before a receiver exists. */
export async function readiness(inbox: Inbox): Promise<Readiness> {
  const inboxState = await inbox.ping().then(
    () => 'ok',
    () => 'unavailable',
  );
  return { status: inboxState === 'ok' ? 'ready' : 'unavailable', checks: { inbox: inboxState, contract: 'ok' } };
}

export async function metricsText(metrics: Metrics): Promise<MetricsText> {
  return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() };
}
