// The guards that every request under the inspector's path meets before its route, in this order:
// the security headers and the error page, who is asking (a session or the token, wrong tokens
// throttled), then, past the sign-in page, that someone is asking, and read-only mode.
import type { Context, Middleware, Next } from 'koa';
import type { Logger } from 'pino';
import { bearerTokenOf, type InspectorAccess } from './access.ts';
import { render, viewerOf, visitorOf } from './context.ts';
import { messagePage, signInPage } from './pages.ts';
import { InboxUnreadable, retryAfterSeconds } from './store-failure.ts';
import type { TokenGuesses } from './token-guesses.ts';

const securityHeaderValues = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // Not no-referrer: the browser would then send `Origin: null`, and the same-site check needs the origin.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** The security headers of every answer, and a page for every error: what it says when it may be told, else that it was logged. */
export function securityHeaders(logger: Logger, readOnly: boolean): Middleware {
  return async (ctx: Context, next: Next) => {
    ctx.set(securityHeaderValues);
    try {
      await next();
    } catch (error) {
      const { status = 500, expose = false, message } = error as { status?: number; expose?: boolean; message: string };
      if (error instanceof InboxUnreadable) {
        logger.warn({ err: error.cause }, 'the inspector could not read the inbox');
        ctx.set('Retry-After', String(retryAfterSeconds));
      } else if (status >= 500) logger.error({ err: error }, 'the inspector failed to answer');
      const text = expose ? message : 'Something went wrong; the receiver logged it.';
      render(ctx, status, messagePage(viewerOf(ctx, readOnly), status === 403 ? 'Refused' : 'Error', text));
    }
  };
}

/** Sets who is asking (`visitorOf`), if anyone; a script's token counts as a guess. */
export function identifyVisitor(access: InspectorAccess, guesses: TokenGuesses): Middleware {
  return async (ctx: Context, next: Next) => {
    const bearer = bearerTokenOf(ctx) !== undefined;
    if (bearer) guesses.refuseTooMany(ctx);
    const visitor = await access.visitorOf(ctx);
    if (bearer) guesses.count(ctx, visitor !== undefined, 'bearer');
    ctx.state['visitor'] = visitor;
    return next();
  };
}

/** Answers 401 to no one: a script is told its token is wrong, a person is shown the sign-in page. */
export function requireVisitor(readOnly: boolean): Middleware {
  return async (ctx: Context, next: Next) => {
    if (visitorOf(ctx)) return next();
    if (bearerTokenOf(ctx) !== undefined) {
      ctx.set('WWW-Authenticate', 'Bearer realm="ada-webhooks inspector"');
      const text = "The token in the Authorization header is not the inspector's.";
      return render(ctx, 401, messagePage(viewerOf(ctx, readOnly), 'Not signed in', text));
    }
    render(ctx, 401, signInPage({ next: ctx.originalUrl }));
  };
}

/** Read-only mode, in one place: every request that is not a read is refused, whatever its route. */
export function refuseActionsWhenReadOnly(readOnly: boolean): Middleware {
  return async (ctx: Context, next: Next) => {
    if (readOnly && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.throw(403, 'The inspector is read-only (INSPECTOR_READ_ONLY, or inspectorReadOnly): it shows deliveries and changes nothing.');
    }
    return next();
  };
}
