// Who may see the inspector and act on it. A person signs in with the token and gets a session
// cookie (HttpOnly, SameSite=Strict, limited to the inspector's path); a script sends the token as
// `Authorization: Bearer`. Sessions are signed with the token itself, so that every replica
// accepts them and changing the token ends them all. Every request that changes something must
// also prove it comes from the page: its Origin is the inspector's own, and a session's form
// carries that session's anti-forgery token.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { formOf } from './form.ts';

export const sessionCookie = 'ada_inspector_session';
const sessionHours = 12;

export interface Visitor {
  /** Signed in through the form (a cookie), or a script with the token (nothing to forge). */
  via: 'session' | 'bearer';
  /** The anti-forgery token that a session's forms carry; none for a script. */
  formToken: string | undefined;
}

/** Compares in constant time: digests of equal length, whatever was sent. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHmac('sha256', 'ada-webhooks inspector').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const sign = (token: string, purpose: string) => createHmac('sha256', token).update(purpose).digest('base64url');

export class InspectorAccess {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  isToken(given: string): boolean {
    return sameSecret(given, this.#token);
  }

  /** A new session's cookie value: when it ends, and a signature of that time. */
  newSession(now = Date.now()): { value: string; maxAgeMs: number } {
    const expires = now + sessionHours * 3_600_000;
    return { value: `${expires}.${sign(this.#token, `session ${expires}`)}`, maxAgeMs: sessionHours * 3_600_000 };
  }

  /** Who sent this request, or undefined when it carries neither a valid session nor the token. */
  visitorOf(ctx: Context, now = Date.now()): Visitor | undefined {
    const given = bearerTokenOf(ctx);
    if (given !== undefined) return this.isToken(given) ? { via: 'bearer', formToken: undefined } : undefined;
    const session = ctx.cookies.get(sessionCookie);
    if (!session) return undefined;
    const [expires, signature] = session.split('.', 2);
    if (!expires || !signature || !(Number(expires) > now)) return undefined;
    if (!sameSecret(signature, sign(this.#token, `session ${expires}`))) return undefined;
    return { via: 'session', formToken: sign(this.#token, `form ${session}`) };
  }
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
