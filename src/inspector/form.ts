// The fields of the inspector's form POSTs (application/x-www-form-urlencoded, small).
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';

const formLimitBytes = 64 * 1024;

/** Reads a POST's form into the request's state, for `formOf`; refuses other bodies. */
export async function readForm(ctx: Context, next: Next): Promise<void> {
  if (ctx.method !== 'POST') return next();
  if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'Send the form as application/x-www-form-urlencoded.');
  const text = await getRawBody(ctx.req, { limit: formLimitBytes, encoding: 'utf8' }).catch(() => ctx.throw(413, 'The form is too large.'));
  ctx.state['form'] = Object.fromEntries(new URLSearchParams(text));
  return next();
}

/** The fields of the POST's form (none for any other request). */
export const formOf = (ctx: Context): Record<string, string> => (ctx.state['form'] as Record<string, string> | undefined) ?? {};
