// openapi-backend over the contract: routes each request to its operation, checks the Svix
// signature as the operation's security scheme (before any validation), validates against the
// contract, and stores the delivery before the 200.
import type { Context } from 'koa';
import { OpenAPIBackend, type Context as ApiContext } from 'openapi-backend';
import type { Acknowledgement } from '../../generated/ada-webhooks.ts';
import { createAjv, dereferenceContract, toViolations, type ContractDocument, type Violation } from '../contract.ts';
import { isKnownEventName } from '../events.ts';
import type { Inbox, NewDelivery, StoreOutcome } from '../inbox/inbox.ts';
import type { SignatureResult, Verify } from '../signature.ts';
import { deliveryRecord } from './delivery-context.ts';
import { jsonBodyOf } from './json-body.ts';
import type { Metrics } from '../metrics.ts';
import { sendProblem } from './problem.ts';

export interface WebhookApiOptions {
  contract: ContractDocument;
  inbox: Inbox;
  metrics: Metrics;
  /** Absent when this process only runs the dispatcher: no handlers for deliveries then. */
  intake?: {
    verify: Verify;
  };
}

/** Seconds a sender should wait before retrying when the inbox cannot take a delivery. */
const retryAfterSeconds = 5;

/** Headers kept with each delivery for audit. */
const auditHeaders = [
  'svix-id', 'svix-timestamp', 'svix-signature',
  'webhook-id', 'webhook-timestamp', 'webhook-signature',
  'content-type', 'user-agent',
];

export async function createWebhookApi({ contract, inbox, metrics, intake }: WebhookApiOptions): Promise<OpenAPIBackend> {
  const api = new OpenAPIBackend({
    definition: (await dereferenceContract(contract)) as never,
    // A handler for an operation the document lacks fails loudly instead of leaving it unrouted.
    strict: true,
    validate: true,
    // Quick mode skips openapi-backend's check of the document, which knows only the OpenAPI 3.0
    // meta-schema and rejects every 3.1 document (`npm test` lints this one as 3.1 with Redocly
    // instead), and compiles validators on demand rather than for every response of every
    // operation; the one validator that matters is compiled below, before the first request.
    quick: true,
    // The document's schemas are checked against the JSON Schema meta-schema by `npm test` (Redocly
    // lint and the contract tests); compiling that meta-schema again at every start costs ~90 ms.
    customizeAjv: (_defaultAjv, options) => createAjv({ ...options, validateSchema: false }),
  });

  api.register({
    getHealth: (_c: ApiContext, ctx: Context) => {
      ctx.body = { status: 'ok' };
    },

    getReadiness: async (_c: ApiContext, ctx: Context) => {
      const inboxState = await inbox.ping().then(() => 'ok', () => 'unreachable');
      const ready = inboxState === 'ok' && api.initialized;
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'unavailable', checks: { inbox: inboxState, contract: api.initialized ? 'ok' : 'not loaded' } };
    },

    getMetrics: async (_c: ApiContext, ctx: Context) => {
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
    },

    notFound: (_c: ApiContext, ctx: Context) => sendProblem(ctx, 404),
    methodNotAllowed: (_c: ApiContext, ctx: Context) => sendProblem(ctx, 405),
  });
  if (intake) registerIntake(api, inbox, intake);
  await api.init();
  if (intake) api.validator.getRequestValidatorsForOperation('receiveAdaWebhook');
  computeOperationsOnce(api);
  return api;
}

/**
 * openapi-backend's router rebuilds its list of operations from the document, with lodash, on
 * every request (several times per request: routing, parsing, validation), which was about a
 * tenth of the receiver's CPU under load. The document does not change after init, so the list
 * is computed once and the same one is served from then on.
 */
function computeOperationsOnce(api: OpenAPIBackend): void {
  const operations = api.router.getOperations();
  api.router.getOperations = () => operations;
}

/** The webhook operation: signature as its security scheme, then validation, then the inbox. */
function registerIntake(api: OpenAPIBackend, inbox: Inbox, { verify }: NonNullable<WebhookApiOptions['intake']>): void {
  const verifyOnce = (ctx: Context): SignatureResult => {
    const record = deliveryRecord(ctx);
    record.signature ??= verify((name) => headerValue(ctx, name), jsonBodyOf(ctx).bytes);
    return record.signature;
  };
  const securityResult = (_c: ApiContext, ctx: Context) => {
    const result = verifyOnce(ctx);
    return result.ok ? result : { error: result.reason };
  };

  const storeOr503 = async (ctx: Context, store: () => Promise<StoreOutcome>): Promise<StoreOutcome | undefined> => {
    try {
      return await store();
    } catch (error) {
      deliveryRecord(ctx).outcome = 'unavailable';
      ctx.set('Retry-After', String(retryAfterSeconds));
      sendProblem(ctx, 503, { detail: 'The inbox is unavailable; retry later.' });
      ctx.app.emit('error', error, ctx);
      return undefined;
    }
  };

  api.register({
    receiveAdaWebhook: async (_c: ApiContext, ctx: Context) => {
      const delivery = newDelivery(ctx);
      const stored = await storeOr503(ctx, () => inbox.accept(delivery));
      if (!stored) return;
      const status = stored === 'stored' ? 'accepted' : 'duplicate';
      deliveryRecord(ctx).outcome = status;
      const acknowledgement: Acknowledgement = { status, id: delivery.id };
      ctx.body = acknowledgement;
    },

    validationFail: async (c: ApiContext, ctx: Context) => {
      const violations: Violation[] = toViolations(c.validation.errors ?? [], '/requestBody');
      const stored = await storeOr503(ctx, () => inbox.quarantine(newDelivery(ctx), violations));
      if (!stored) return;
      Object.assign(deliveryRecord(ctx), { outcome: 'quarantined', violations: violations.length });
      sendProblem(ctx, 422, {
        title: 'Contract violation',
        detail: 'The delivery does not match the contract; it was stored in quarantine.',
        violations,
      });
    },

    unauthorizedHandler: (_c: ApiContext, ctx: Context) => {
      deliveryRecord(ctx).outcome = 'unauthorized';
      sendProblem(ctx, 401);
    },
  });
  api.registerSecurityHandler('svixSignature', securityResult);
  api.registerSecurityHandler('webhookSignature', securityResult);
}

function headerValue(ctx: Context, name: string): string | undefined {
  const value = ctx.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The delivery as the inbox takes it; only called once the signature has been verified. */
function newDelivery(ctx: Context): NewDelivery {
  const record = deliveryRecord(ctx);
  if (!record.signature?.ok) throw new Error('newDelivery called before the signature was verified');
  const { text, value: event } = jsonBodyOf(ctx);
  const type = (event as { type?: unknown } | null)?.type;
  record.eventType = typeof type === 'string' && isKnownEventName(type) ? type : 'unknown';
  const headers: Record<string, string> = {};
  for (const name of auditHeaders) {
    const value = headerValue(ctx, name);
    if (value !== undefined) headers[name] = value;
  }
  return { id: record.signature.id, receivedAt: new Date(), headers, body: text, event };
}
