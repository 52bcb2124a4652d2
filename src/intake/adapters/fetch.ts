// The receiver as a fetch-style handler, `Request` to `Response`: for Hono, Next.js route
// handlers, Deno-style servers. The framework routes; every request it hands over is taken as a
// delivery (POST), or answered 405.
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { methodNotAllowed } from '../answer.ts';
import type { Intake } from '../receive.ts';

export type FetchHandler = (request: Request) => Promise<Response>;

export function fetchHandler(intake: Intake): FetchHandler {
  return async (request) => {
    const answer =
      request.method === 'POST'
        ? await intake({
            // The Headers of a Request have lower-case names; repeated ones are joined, as Node joins them.
            headers: Object.fromEntries(request.headers),
            body: {
              stream: request.body && !request.bodyUsed ? Readable.fromWeb(request.body as ReadableStream<Uint8Array>) : undefined,
              alreadyRead: request.bodyUsed,
            },
          })
        : methodNotAllowed();
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers });
  };
}
