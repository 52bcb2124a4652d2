// The receiver as Koa middleware: answers its path, and passes every other request on.
import { methodNotAllowed, type Answer } from '../answer.ts';
import type { Intake } from '../receive.ts';
import type { IntakeRequest } from '../request.ts';
import type { KoaContext, KoaMiddleware } from './koa-middleware.ts';

export function koaMiddleware(intake: Intake, path: string): KoaMiddleware {
  return async (ctx, next) => {
    if (ctx.path !== path) return next();
    writeAnswer(ctx, ctx.method === 'POST' ? await intake(intakeRequestOf(ctx)) : methodNotAllowed());
  };
}

/** The request as the intake reads it; the raw text a body parser in front kept (@koa/bodyparser's rawBody), if any. */
export function intakeRequestOf(ctx: KoaContext): IntakeRequest {
  const { rawBody } = ctx.request as { rawBody?: string | Buffer };
  return { headers: ctx.headers, body: { stream: ctx.req, raw: rawBody }, client: ctx.ip };
}

export function writeAnswer(ctx: KoaContext, answer: Answer): void {
  ctx.status = answer.status;
  ctx.body = answer.body;
  ctx.set(answer.headers);
}
