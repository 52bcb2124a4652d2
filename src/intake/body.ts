// Reads a webhook body as bytes. The signature covers the exact bytes sent, so they are kept as
// received: verified as they are, decoded once for JSON.parse, and stored. @koa/bodyparser hands
// over only a decoded string, which would have to be encoded again for the HMAC and would
// silently replace invalid UTF-8; raw-body, the reader underneath it, gives the bytes and
// enforces the size limit and the Content-Length.
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';

export interface JsonBody {
  bytes: Buffer;
  /** The bytes decoded as UTF-8; byte for byte the same as `bytes`. */
  text: string;
  /** Any JSON value: the contract, not the parser, decides what is acceptable. */
  value: unknown;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Said, in the log and the answer, when something in front of the receiver read the body first. */
export const bodyAlreadyRead =
  'The request body was read before the receiver got it, most likely by a body parser mounted in front of it, ' +
  'so the exact bytes that the signature covers are gone. Mount the receiver before any body parser, or keep its path out of the parser.';

/** Middleware: reads and parses the body, or throws a 4xx with a specific message. */
export function readJsonBody(limitBytes: number) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const encoding = ctx.get('content-encoding');
    if (encoding !== '' && encoding.toLowerCase() !== 'identity') {
      ctx.throw(415, `Content-Encoding ${encoding} is not supported; send the body uncompressed.`);
    }
    // A 500, not a 4xx: the sender did nothing wrong, and Svix retries it once the app is fixed.
    if (!ctx.req.readable) ctx.throw(500, bodyAlreadyRead, { expose: true });
    const bytes = await getRawBody(ctx.req, { limit: limitBytes, length: ctx.get('content-length') || undefined });
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      ctx.throw(400, 'The request body is not valid UTF-8.');
    }
    if (text.trim() === '') ctx.throw(400, 'The request body is empty.');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      ctx.throw(400, `The request body is not valid JSON: ${(error as Error).message}`);
    }
    (ctx.state as { jsonBody?: JsonBody }).jsonBody = { bytes, text, value };
    await next();
  };
}

/** The body read by readJsonBody; throws when that middleware did not run first. */
export function jsonBodyOf(ctx: Context): JsonBody {
  const body = (ctx.state as { jsonBody?: JsonBody }).jsonBody;
  if (!body) throw new Error('jsonBodyOf called on a request whose body was not read by readJsonBody');
  return body;
}
