// The HTTP server around the Koa app, with limits chosen for a public endpoint that anyone can
// reach: a client that sends its headers or its body too slowly, or holds an idle connection
// open, is cut off; headers larger than Svix ever sends are refused.
import { createServer, type Server } from 'node:http';
import type Koa from 'koa';

export interface HttpLimits {
  /** The request line and headers must arrive within this time (408 otherwise). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this time (408 otherwise). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. */
  keepAliveTimeoutMs: number;
}

/**
 * Largest request line and headers: Svix sends a handful of short headers, a signature header
 * of about 50 bytes per secret being rotated. Larger ones are answered 431.
 */
const maxHeaderBytes = 16 * 1024;

export function createHttpServer(app: Koa, { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs }: HttpLimits): Server {
  const handle = app.callback();
  return createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      keepAliveTimeout: keepAliveTimeoutMs,
      maxHeaderSize: maxHeaderBytes,
      // Node checks the two timeouts above on this interval (30 s by default, which would let a
      // slow client hold a connection for up to 30 s longer than allowed).
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
    },
    // Koa answers every error of its own handler; the promise it returns needs no one to wait.
    (request, response) => void handle(request, response),
  );
}
