// The partner mock's front: a thin server on the mock's port, before Prism. It answers what the
// receiver can judge without the signing secret exactly as the receiver does (content type, size,
// malformed JSON, missing or stale signature headers, in the receiver's order and words, and a
// number out of the range of a double, which Prism would take as Infinity), and
// passes the rest to Prism, whose verdict on the contract it keeps. A contract violation is
// answered with the receiver's problem document: the violations of the branch that the event's
// `type` selects, rather than Prism's canned example and one header entry per branch.
// Only the signature itself cannot be checked here: the mock has no secret.
import Router from '@koa/router';
import type { Problem } from '../../generated/ada-webhooks.ts';
import Koa, { type Context } from 'koa';
import { dereferenceContract, type ContractDocument } from '../contract/document.ts';
import { eventTypeOf } from '../contract/events.ts';
import { numbersOutOfRange } from '../contract/number-range.ts';
import { loadRequestValidator, routeOperations } from '../contract/operations.ts';
import { describeViolation, type Violation } from '../contract/validation.ts';
import { intakeRequestOf, writeAnswer } from '../intake/adapters/koa.ts';
import { problem } from '../intake/answer.ts';
import { headerReader, headersNamed } from '../intake/headers.ts';
import { readDelivery } from '../intake/read-delivery.ts';
import { checkSignedHeaders, explainSignatureFailure } from '../intake/signature.ts';
import { problemForEmptyErrors } from '../service/app.ts';

interface MockFrontOptions {
  contract: ContractDocument;
  /** Where Prism serves the same contract. */
  prismUrl: string;
  bodyLimitBytes: number;
  toleranceSeconds: number;
  /** One line per request: what was asked, and the verdict. */
  log: (line: string) => void;
}

/** What the front says of a request, for its line. */
interface Verdict {
  verdict?: string;
}

export async function createMockFront({ contract, prismUrl, bodyLimitBytes, toleranceSeconds, log }: MockFrontOptions): Promise<Koa> {
  const validate = await loadRequestValidator(await dereferenceContract(contract), 'receiveAdaWebhook');
  const router = new Router({ sensitive: true });

  routeOperations(router, contract, {
    receiveAdaWebhook: [
      async (ctx) => {
        const request = intakeRequestOf(ctx);
        const state = ctx.state as Verdict;
        const read = await readDelivery(request, bodyLimitBytes);
        if (!read.ok) {
          const refusal = read.answer.body as Problem;
          state.verdict = refusal.detail ?? refusal.title;
          return writeAnswer(ctx, read.answer);
        }
        const header = headerReader(ctx.headers);
        const signed = checkSignedHeaders(header, toleranceSeconds);
        // No secret, so only the headers can be judged: the mock says which is missing or stale.
        if (!signed.ok) {
          const detail = explainSignatureFailure(signed, header, toleranceSeconds);
          state.verdict = detail;
          return writeAnswer(ctx, problem(401, { detail }));
        }
        const delivery = `${eventTypeOf(read.body.value) ?? 'no type'} ${signed.id}`;
        // What the receiver would validate: the header set it would verify and the content type,
        // without the query string; the rest of the request decides nothing there either.
        const contractHeaders = headersNamed(header, [...signed.headerSet, 'content-type']);
        // Prism reads a number beyond a double's range as Infinity and takes it: the front judges that itself.
        const outOfRange = numbersOutOfRange(read.body.value).length > 0;
        const answer = outOfRange ? undefined : await forward(ctx, prismUrl, { headers: contractHeaders, body: read.body.bytes });
        if (answer && answer.status !== 422) {
          state.verdict = `${delivery}${answer.ok ? ' accepted (the mock stores nothing)' : ''}`;
          return passOn(ctx, answer, signed.id);
        }
        const violations = validate({ headers: contractHeaders, body: read.body.value });
        state.verdict = `${delivery} violates the contract: ${violations.map(describeViolation).join('; ') || 'see the answer'}`;
        writeAnswer(
          ctx,
          problem(422, {
            title: 'Contract violation',
            detail: 'The delivery does not match the contract; the receiver would store it in quarantine (the mock stores nothing).',
            violations: violations.length > 0 ? violations : prismViolations(answer?.headers.get('sl-violations') ?? null),
          }),
        );
      },
    ],
    getHealth: [async (ctx) => passOn(ctx, await forward(ctx, prismUrl))],
    getReadiness: [async (ctx) => passOn(ctx, await forward(ctx, prismUrl))],
    getMetrics: [async (ctx) => passOn(ctx, await forward(ctx, prismUrl))],
  });

  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    const { verdict } = ctx.state as Verdict;
    log(`${ctx.method} ${ctx.path} -> ${ctx.status}${verdict ? ` ${verdict}` : ''}`);
  });
  app.use(problemForEmptyErrors);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** The request to Prism: a delivery with only what its verdict may depend on, any other request bare. */
function forward(ctx: Context, prismUrl: string, delivery?: { headers: Record<string, string>; body: Buffer }): Promise<Response> {
  return fetch(`${prismUrl}${ctx.path}`, { method: ctx.method, headers: delivery?.headers, body: delivery?.body });
}

/** Prism's answer as it is, except that an acknowledgement names the delivery it was sent (`deliveryId`), not the example's. */
async function passOn(ctx: Context, answer: Response, deliveryId?: string): Promise<void> {
  ctx.status = answer.status;
  const type = answer.headers.get('content-type');
  if (type) ctx.type = type;
  const body = Buffer.from(await answer.arrayBuffer());
  ctx.body = deliveryId && answer.ok ? acknowledging(body, deliveryId) : body;
}

function acknowledging(body: Buffer, deliveryId: string): Buffer | object {
  try {
    const acknowledgement = JSON.parse(body.toString('utf8')) as unknown;
    return typeof acknowledgement === 'object' && acknowledgement !== null && 'id' in acknowledgement
      ? { ...acknowledgement, id: deliveryId }
      : body;
  } catch {
    return body;
  }
}

/** Prism's own reasons, when the receiver's validator finds none (they then disagree: the parity suite would show it). */
function prismViolations(header: string | null): Violation[] {
  try {
    return (JSON.parse(header ?? '[]') as { location?: string[]; message?: string }[]).map(({ location = [], message = '' }) => ({
      pointer: `/${location.join('/')}`,
      message,
    }));
  } catch {
    return [];
  }
}
