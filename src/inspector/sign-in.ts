// Signing in with the token, which starts a session (access.ts), and signing out, which ends it on
// every replica and closes its live streams.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { pageAfterSignIn, sessionCookie, type InspectorAccess } from './access.ts';
import { render, seeOther, visitorOf } from './context.ts';
import { formOf } from './form.ts';
import type { LiveUpdates } from './live.ts';
import { inspectorPath, signInPage } from './pages.ts';
import type { TokenGuesses } from './token-guesses.ts';

export function showSignIn(ctx: Context): void {
  if (visitorOf(ctx)) return ctx.redirect(inspectorPath);
  render(ctx, 200, signInPage({ next: inspectorPath }));
}

/** Checks the form's token: a right one sets the session's cookie and goes on to the page asked for. */
export function signIn(access: InspectorAccess, guesses: TokenGuesses) {
  return (ctx: Context): void => {
    guesses.refuseTooMany(ctx);
    const form = formOf(ctx);
    const next = pageAfterSignIn(form['next']);
    const right = access.isToken(form['token'] ?? '');
    guesses.count(ctx, right, 'sign-in');
    if (!right) return render(ctx, 401, signInPage({ next, problem: "That is not the inspector's token." }));
    const session = access.newSession();
    ctx.cookies.set(sessionCookie, session.value, {
      httpOnly: true,
      sameSite: 'strict',
      path: inspectorPath,
      maxAge: session.maxAgeMs,
      secure: ctx.secure,
      overwrite: true,
    });
    seeOther(ctx, next);
  };
}

export function signOut(access: InspectorAccess, live: LiveUpdates, logger: Logger) {
  return async (ctx: Context): Promise<void> => {
    const session = visitorOf(ctx)?.session;
    if (session) {
      await access.endSession(session);
      live.endSession(session.id);
      logger.info({ client: ctx.ip }, 'inspector: a session signed out');
    }
    ctx.cookies.set(sessionCookie, null, { path: inspectorPath });
    seeOther(ctx, `${inspectorPath}/sign-in`);
  };
}
