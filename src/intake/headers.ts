// Reading request headers by name, as the receiver and the partner mock's front both do.
import type { Context } from 'koa';

/** A header's value; undefined when absent (or, as Node gives repeated ones, an array). */
export function headerValue(ctx: Context, name: string): string | undefined {
  const value = ctx.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The headers of `names` that the request has, by name. */
export function headersNamed(ctx: Context, names: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = headerValue(ctx, name);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
