// A webhook request as the intake sees it, whatever the framework: each adapter translates its
// own request into this, and writes the Answer back. No query string: the signature does not
// cover it, so it decides nothing.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export interface IntakeRequest {
  /** Lower-case names, as Node gives them. */
  headers: IncomingHttpHeaders;
  body: BodySource;
  /** The sender's address, for the line of a refused signature. */
  client?: string;
}

/**
 * Where the body's bytes are. The signature covers the exact bytes sent, so the body is read from
 * the request's stream; when something in front of the receiver consumed that stream, the raw
 * body it kept (`rawBody`, or a Buffer body) is used instead. A parsed body is never serialised
 * again: its bytes would differ.
 */
export interface BodySource {
  stream?: Readable;
  raw?: Buffer | string;
  /** The framework says the body was read already (a fetch Request's `bodyUsed`). */
  alreadyRead?: boolean;
}
