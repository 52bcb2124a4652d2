// The service's Koa application: the receiver's webhook endpoint, and the contract's health,
// readiness and metrics operations. Every error answer is a problem detail.
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { Logger } from 'pino';
import type { ContractDocument } from '../contract/document.ts';
import { routeOperations } from '../contract/operations.ts';
import { writeAnswer } from '../intake/adapters/koa.ts';
import { problem } from '../intake/answer.ts';
import type { Receiver } from '../receiver.ts';

interface ServiceAppOptions {
  receiver: Receiver;
  contract: ContractDocument;
  logger: Logger;
  /** Whether the webhook endpoint is served; a dispatcher-only process serves the operations alone. */
  receive: boolean;
  /** Read the client's address and the protocol from X-Forwarded-For and X-Forwarded-Proto (Koa's `proxy`). */
  trustProxy?: boolean;
}

export function createServiceApp({ receiver, contract, logger, receive, trustProxy = false }: ServiceAppOptions): Koa {
  const router = new Router({ sensitive: true });
  routeOperations(router, contract, {
    getHealth: [(ctx) => void (ctx.body = receiver.health())],
    getReadiness: [
      async (ctx) => {
        const readiness = await receiver.readiness();
        ctx.status = readiness.status === 'ready' ? 200 : 503;
        ctx.body = readiness;
      },
    ],
    getMetrics: [
      async (ctx) => {
        const { contentType, text } = await receiver.metrics();
        ctx.type = contentType;
        ctx.body = text;
      },
    ],
  });

  const app = new Koa({ proxy: trustProxy });
  app.on('error', (error: unknown) => logger.error({ err: error }, 'unexpected error'));
  app.use(problemForEmptyErrors);
  if (receive) app.use(receiver.koa());
  if (receiver.inspector) app.use(receiver.inspector.koa());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** Every error answer is a problem detail, including Koa's and the router's bare 404 and 405. */
export async function problemForEmptyErrors(ctx: Context, next: Next): Promise<void> {
  await next();
  if (ctx.status >= 400 && ctx.body == null) writeAnswer(ctx, problem(ctx.status));
}
