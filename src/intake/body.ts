// Reads a webhook body as bytes. The signature covers the exact bytes sent, so they are kept as
// received: verified as they are, decoded once for JSON.parse (json-body.ts), and stored. @koa/bodyparser hands
// over only a decoded string, which would have to be encoded again for the HMAC and would
// silently replace invalid UTF-8; raw-body, the reader underneath it, gives the bytes and
// enforces the size limit and the Content-Length.
import getRawBody from 'raw-body';
import { BodyError } from './json-body.ts';
import type { BodySource } from './request.ts';

/** Said, in the log and the answer, when something in front of the receiver read the body and kept no raw copy. */
const bodyAlreadyRead =
  'The request body was read before the receiver got it, most likely by a body parser mounted in front of it, ' +
  'so the exact bytes that the signature covers are gone. Mount the receiver before any body parser, or keep its path out of the parser ' +
  '(or keep the raw bytes as req.rawBody, as express.json({ verify }) can).';

/** The body's bytes, within `limitBytes`; throws a BodyError otherwise. */
export async function readBytes(source: BodySource, limitBytes: number, contentLength: string | undefined): Promise<Buffer> {
  if (source.raw !== undefined) {
    const bytes = typeof source.raw === 'string' ? Buffer.from(source.raw, 'utf8') : source.raw;
    if (bytes.length > limitBytes) throw tooLarge(limitBytes);
    return bytes;
  }
  // A 500, not a 4xx: the sender did nothing wrong, and Svix retries it once the app is fixed.
  if (source.alreadyRead || (source.stream && !source.stream.readable)) throw new BodyError(500, bodyAlreadyRead);
  if (source.stream === undefined) return Buffer.alloc(0);
  try {
    return await getRawBody(source.stream, { limit: limitBytes, length: contentLength });
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 413) throw tooLarge(limitBytes);
    if (status !== undefined && status >= 400 && status < 500) throw new BodyError(400, (error as Error).message);
    throw error;
  }
}

const tooLarge = (limitBytes: number) => new BodyError(413, `The request body exceeds the limit of ${limitBytes} bytes.`);
