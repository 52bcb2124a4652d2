// Who may see the inspector and act on it. A person signs in with the token and gets a session
// cookie (HttpOnly, SameSite=Strict, limited to the inspector's path); a script sends the token as
// `Authorization: Bearer`. A session is its expiry and a random id, signed with the token itself,
// so that every replica accepts it and changing the token ends them all. Signing out records the
// session's id in the store until it would have expired, and every request looks it up there (one
// read by primary key), so a copied cookie stops working on every replica at once. The store
// holds only sessions that were signed out, and only until they expire: signing in writes nothing.
// Every request that changes something must also prove it comes from the page: its Origin is the
// inspector's own, and a session's form carries that session's anti-forgery token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { EndedSession, Inbox } from '../inbox/inbox.ts';
import { formOf } from './form.ts';
import { inspectorPath } from './pages.ts';

export const sessionCookie = 'ada_inspector_session';
const sessionHours = 12;

export interface Visitor {
  /** Signed in through the form (a cookie), or a script with the token (nothing to forge). */
  via: 'session' | 'bearer';
  /** The anti-forgery token that a session's forms carry; none for a script. */
  formToken: string | undefined;
  /** The session, to end it at sign-out; none for a script. */
  session: EndedSession | undefined;
}

/** Compares in constant time: digests of equal length, whatever was sent. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHmac('sha256', 'ada-webhooks inspector').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const sign = (token: string, purpose: string) => createHmac('sha256', token).update(purpose).digest('base64url');

export class InspectorAccess {
  readonly #token: string;
  readonly #sessions: Pick<Inbox, 'endSession' | 'endedSessions'>;

  constructor(token: string, sessions: Pick<Inbox, 'endSession' | 'endedSessions'>) {
    this.#token = token;
    this.#sessions = sessions;
  }

  isToken(given: string): boolean {
    return sameSecret(given, this.#token);
  }

  /** A new session's cookie value: when it ends, its id, and a signature of both. */
  newSession(now = Date.now()): { value: string; maxAgeMs: number } {
    const expires = now + sessionHours * 3_600_000;
    const id = randomBytes(18).toString('base64url');
    return { value: `${expires}.${id}.${sign(this.#token, `session ${expires} ${id}`)}`, maxAgeMs: sessionHours * 3_600_000 };
  }

  /** Who sent this request, or undefined when it carries neither a live session nor the token. */
  async visitorOf(ctx: Context, now = Date.now()): Promise<Visitor | undefined> {
    const given = bearerTokenOf(ctx);
    if (given !== undefined) return this.isToken(given) ? { via: 'bearer', formToken: undefined, session: undefined } : undefined;
    const session = this.#signedSession(ctx.cookies.get(sessionCookie) ?? '', now);
    if (!session || (await this.#sessions.endedSessions([session.id])).length > 0) return undefined;
    return { via: 'session', formToken: sign(this.#token, `form ${session.id}`), session };
  }

  /** Ends a session on every replica sharing the store. */
  endSession(session: EndedSession): Promise<void> {
    return this.#sessions.endSession(session);
  }

  /** The session a cookie names, when the token signed it and it has not expired. */
  #signedSession(cookie: string, now: number): EndedSession | undefined {
    const [expires, id, signature, ...rest] = cookie.split('.');
    if (!expires || !id || !signature || rest.length > 0 || !(Number(expires) > now)) return undefined;
    if (!sameSecret(signature, sign(this.#token, `session ${expires} ${id}`))) return undefined;
    return { id, expiresAt: new Date(Number(expires)) };
  }
}

/**
 * Where to go once signed in: `next` resolved as a URL (dot segments, backslashes and all, as the
 * browser will), when that is a page of the inspector on this site; else the deliveries list.
 */
export function pageAfterSignIn(next: string | undefined): string {
  const base = 'http://inspector.invalid';
  let url: URL;
  try {
    url = new URL(next ?? inspectorPath, base);
  } catch {
    return inspectorPath;
  }
  const inside = url.origin === base && (url.pathname === inspectorPath || url.pathname.startsWith(`${inspectorPath}/`));
  return inside ? `${url.pathname}${url.search}` : inspectorPath;
}

/** The token of an `Authorization: Bearer` header; another scheme (a proxy's Basic, say) is not the inspector's business. */
export function bearerTokenOf(ctx: Context): string | undefined {
  const [scheme, token] = ctx.get('authorization').split(' ', 2);
  return scheme?.toLowerCase() === 'bearer' ? (token ?? '') : undefined;
}

/**
 * Why a request that changes something is refused as cross-site, or undefined when it is not:
 * the browser says where it comes from (Origin, else Sec-Fetch-Site), and it must be this host.
 */
function crossSiteReason(ctx: Context): string | undefined {
  const origin = ctx.get('origin');
  if (origin) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    return host === ctx.host ? undefined : `it comes from another site (${origin})`;
  }
  const site = ctx.get('sec-fetch-site');
  if (site === 'same-origin') return undefined;
  return site ? `it comes from another site (Sec-Fetch-Site: ${site})` : 'the browser did not say where it comes from (no Origin header)';
}

/** Refuses what changes something from a page of another site, or from a session's form without its anti-forgery token. */
export async function requireSameSite(ctx: Context, next: Next): Promise<void> {
  const visitor = ctx.state['visitor'] as Visitor | undefined;
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || visitor?.via === 'bearer') return next();
  const crossSite = crossSiteReason(ctx);
  const formToken = formOf(ctx)['form_token'] ?? '';
  if (crossSite) ctx.throw(403, `Refused: ${crossSite}.`);
  if (visitor && !sameSecret(formToken, visitor.formToken ?? ''))
    ctx.throw(403, 'Refused: the form is not one this session was given; reload the page.');
  return next();
}
