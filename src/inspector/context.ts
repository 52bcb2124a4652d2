// What the inspector's guards and routes read from a request's Koa context, and how they answer
// with a page: kept in one place, so that each handler is only what its page or action does.
import type { Context } from 'koa';
import type { Visitor } from './access.ts';
import type { Viewer } from './pages.ts';

/** Who sent the request, once the guards identified them; undefined before, or for no one. */
export const visitorOf = (ctx: Context): Visitor | undefined => ctx.state['visitor'] as Visitor | undefined;

/** What every page knows of the person looking at it. */
export function viewerOf(ctx: Context, readOnly: boolean): Viewer {
  const visitor = visitorOf(ctx);
  return { formToken: visitor?.formToken, signedIn: visitor?.via === 'session', readOnly };
}

export function render(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = body;
}

/** Answers 303 See Other: where a form's POST sends the browser once done. */
export function seeOther(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}
