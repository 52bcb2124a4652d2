// The receiver as a `(req, res, next?)` listener: for node:http, and Express, Connect or Fastify
// (through `reply.raw`). It answers its path; any other request goes to `next` when there is one,
// and is answered 404 when there is not.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotAllowed, problem, type Answer } from '../answer.ts';
import type { Intake } from '../receive.ts';

/** What Express and its kin add to a request, which the receiver reads when they are there. */
interface FrameworkExtras {
  /** The URL before a router stripped its mount path. */
  originalUrl?: string;
  ip?: string;
  /** The exact bytes, kept by a body parser that ran first (express.json({ verify }), fastify-raw-body). */
  rawBody?: unknown;
  /** A Buffer when express.raw() read the body. */
  body?: unknown;
}

export type NodeListener = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;

export function nodeListener(intake: Intake, path: string): NodeListener {
  return (request, response, next) => {
    const extras = request as unknown as FrameworkExtras;
    const url = new URL(extras.originalUrl ?? request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      if (next) next();
      else writeAnswer(response, problem(404));
      return;
    }
    if (request.method !== 'POST') return writeAnswer(response, methodNotAllowed());
    const raw = [extras.rawBody, extras.body].find(isRawBody);
    void intake({
      headers: request.headers,
      body: { stream: request, raw },
      client: extras.ip ?? request.socket.remoteAddress,
    }).then((answer) => writeAnswer(response, answer));
  };
}

const isRawBody = (body: unknown): body is Buffer | string => typeof body === 'string' || Buffer.isBuffer(body);

function writeAnswer(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body));
}
