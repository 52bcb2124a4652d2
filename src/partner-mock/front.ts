// The partner mock's front: a thin server on the mock's port, before Prism. It answers what the
// receiver can judge without the signing secret exactly as the receiver does (content type, size,
// malformed JSON, missing or stale signature headers, in the receiver's order and words), and
// passes the rest to Prism, whose verdict on the contract it keeps. A contract violation is
// answered with the receiver's problem document: the violations of the branch that the event's
// `type` selects, rather than Prism's canned example and one header entry per branch.
// Only the signature itself cannot be checked here: the mock has no secret.
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { dereferenceContract, type ContractDocument } from '../contract/document.ts';
import { loadRequestValidator, routeOperations } from '../contract/operations.ts';
import type { Violation } from '../contract/validation.ts';
import { intakeRequestOf, writeAnswer } from '../intake/adapters/koa.ts';
import { problem } from '../intake/answer.ts';
import { headerReader, headersNamed } from '../intake/headers.ts';
import { readDelivery } from '../intake/read-delivery.ts';
import { checkSignedHeaders, signatureHeaders } from '../intake/signature.ts';
import { problemForEmptyErrors } from '../service/app.ts';

interface MockFrontOptions {
  contract: ContractDocument;
  /** Where Prism serves the same contract. */
  prismUrl: string;
  bodyLimitBytes: number;
  toleranceSeconds: number;
}

/** Headers Prism needs to judge a request: the signature headers it checks for, and the body's type. */
const forwardedHeaders = [...signatureHeaders, 'content-type'];

export async function createMockFront({ contract, prismUrl, bodyLimitBytes, toleranceSeconds }: MockFrontOptions): Promise<Koa> {
  const validate = await loadRequestValidator(await dereferenceContract(contract), 'receiveAdaWebhook');
  const router = new Router({ sensitive: true });

  routeOperations(router, contract, {
    receiveAdaWebhook: [
      async (ctx) => {
        const request = intakeRequestOf(ctx);
        const read = await readDelivery(request, bodyLimitBytes);
        if (!read.ok) return writeAnswer(ctx, read.answer);
        const signed = checkSignedHeaders(headerReader(ctx.headers), toleranceSeconds);
        if (!signed.ok) return writeAnswer(ctx, problem(401));
        const answer = await forward(ctx, prismUrl, read.body.bytes);
        if (answer.status !== 422) return passOn(ctx, answer);
        const violations = validate({ headers: ctx.headers, query: ctx.query, body: read.body.value });
        writeAnswer(
          ctx,
          problem(422, {
            title: 'Contract violation',
            detail: 'The delivery does not match the contract; the receiver would store it in quarantine (the mock stores nothing).',
            violations: violations.length > 0 ? violations : prismViolations(answer.headers.get('sl-violations')),
          }),
        );
      },
    ],
    getHealth: [async (ctx) => passOn(ctx, await forward(ctx, prismUrl))],
    getReadiness: [async (ctx) => passOn(ctx, await forward(ctx, prismUrl))],
    getMetrics: [async (ctx) => passOn(ctx, await forward(ctx, prismUrl))],
  });

  const app = new Koa();
  app.use(problemForEmptyErrors);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

function forward(ctx: Context, prismUrl: string, body?: Buffer): Promise<Response> {
  return fetch(`${prismUrl}${ctx.url}`, { method: ctx.method, headers: headersNamed(headerReader(ctx.headers), forwardedHeaders), body });
}

async function passOn(ctx: Context, answer: Response): Promise<void> {
  ctx.status = answer.status;
  const type = answer.headers.get('content-type');
  if (type) ctx.type = type;
  ctx.body = Buffer.from(await answer.arrayBuffer());
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
