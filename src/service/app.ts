import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { Logger } from 'pino';
import type { ContractDocument } from '../contract/document.ts';
import type { Inbox } from '../inbox/inbox.ts';
import { createVerifier } from '../intake/signature.ts';
import type { Metrics } from '../operations/metrics.ts';
import { loadContractOperations } from '../contract/operations.ts';
import { deliveryRecord } from '../intake/delivery-record.ts';
import { readJsonBody } from '../intake/body.ts';
import { sendProblem } from '../intake/problem.ts';
import { answerClientErrors, problemForEmptyErrors, requireJson } from '../intake/request-checks.ts';
import { health, metricsEndpoint, readiness } from '../operations/probes.ts';
import { receiveWebhook } from '../intake/receive.ts';

export interface ReceiverOptions {
  contract: ContractDocument;
  inbox: Inbox;
  logger: Logger;
  metrics: Metrics;
  /** How deliveries are taken in; absent in a dispatcher-only process, which serves no webhook endpoint. */
  intake?: {
    /** `whsec_` secrets; a delivery signed with any of them is accepted. */
    secrets: string[];
    toleranceSeconds: number;
    bodyLimitBytes: number;
  };
}

/** The receiver's Koa application: the contract's operations, each routed to its handler. */
export async function createReceiverApp({ contract, inbox, logger, metrics, intake }: ReceiverOptions): Promise<Koa> {
  const operations = await loadContractOperations(contract);
  const router = new Router({ sensitive: true });
  operations.route(router, {
    getHealth: [health],
    getReadiness: [readiness(inbox)],
    getMetrics: [metricsEndpoint(metrics)],
    ...(intake && {
      receiveAdaWebhook: [
        observeDelivery(logger, metrics),
        answerClientErrors(intake.bodyLimitBytes),
        requireJson,
        readJsonBody(intake.bodyLimitBytes),
        receiveWebhook({
          verify: createVerifier({ secrets: intake.secrets, toleranceSeconds: intake.toleranceSeconds }),
          validate: operations.requestValidator('receiveAdaWebhook'),
          inbox,
        }),
      ],
    }),
  });

  const app = new Koa();
  app.on('error', (error: unknown) => logger.error({ err: error }, 'unexpected error'));
  app.use(problemForEmptyErrors);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/**
 * Wraps each webhook request and writes its one log line and metrics. The line never holds a
 * secret, a signature or the body.
 */
function observeDelivery(logger: Logger, metrics: Metrics) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const started = performance.now();
    const record = deliveryRecord(ctx);
    try {
      await next();
    } catch (error) {
      // Answered here rather than by Koa, so that the line below carries the status sent.
      record.outcome = 'error';
      record.error = error as Error;
      const detail = (error as { expose?: boolean }).expose === true ? (error as Error).message : undefined;
      sendProblem(ctx, 500, detail === undefined ? {} : { detail });
    } finally {
      const outcome = record.outcome ?? 'error';
      const seconds = (performance.now() - started) / 1000;
      const verified = record.signature?.ok ? record.signature : undefined;
      const refused = record.signature?.ok === false ? record.signature : undefined;
      metrics.recordDelivery(outcome, verified ? (record.eventType ?? 'unknown') : 'unverified', seconds);
      const level = outcome === 'accepted' || outcome === 'duplicate' ? 'info' : ctx.status >= 500 ? 'error' : 'warn';
      if (logger.isLevelEnabled(level)) {
        const line = {
          deliveryId: verified?.id,
          claimedId: verified ? undefined : ctx.get('svix-id').slice(0, 128) || ctx.get('webhook-id').slice(0, 128) || undefined,
          eventType: verified ? record.eventType : undefined,
          outcome,
          status: ctx.status,
          latencyMs: Math.round(seconds * 1e5) / 100,
          // For a refused signature: what an operator needs to tell a misconfiguration from an
          // attack, and nothing that would help an attacker (no signature, no secret).
          client: verified ? undefined : ctx.ip,
          signatureFailure: refused?.reason,
          timestampSkewSeconds: refused?.skewSeconds,
          triedSecrets: refused?.triedSecrets,
          violations: record.violations,
          storeError: record.storeError,
          err: record.error,
        };
        logger[level](line, 'delivery');
      }
    }
  };
}
