// The operations that tell operators how the receiver is doing: health, readiness, metrics.
import type { Context } from 'koa';
import type { Inbox } from '../inbox/inbox.ts';
import type { Metrics } from './metrics.ts';

export function health(ctx: Context): void {
  ctx.body = { status: 'ok' };
}

/** Ready when the inbox can be reached and written; the contract is loaded before the server listens. */
export function readiness(inbox: Inbox) {
  return async (ctx: Context): Promise<void> => {
    const inboxState = await inbox.ping().then(
      () => 'ok',
      () => 'unavailable',
    );
    const ready = inboxState === 'ok';
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: { inbox: inboxState, contract: 'ok' } };
  };
}

export function metricsEndpoint(metrics: Metrics) {
  return async (ctx: Context): Promise<void> => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}
