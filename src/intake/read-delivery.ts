// The checks of a webhook request that come before its signature: content type and encoding, the
// body within its limit, strict UTF-8 JSON. What the receiver and the partner mock both apply, in
// the same order, with the same answers.
import typeis from 'type-is';
import type { DeliveryOutcome } from '../telemetry/metrics.ts';
import { problem, type Answer } from './answer.ts';
import { readBytes } from './body.ts';
import { BodyError, parseJson, type JsonBody } from './json-body.ts';
import type { IntakeRequest } from './request.ts';

type DeliveryRead = { ok: true; body: JsonBody } | { ok: false; answer: Answer; outcome: DeliveryOutcome; error?: Error };

const outcomeOfStatus: Record<number, DeliveryOutcome> = { 413: 'too_large', 415: 'unsupported_media_type', 500: 'error' };

export async function readDelivery(request: IntakeRequest, bodyLimitBytes: number): Promise<DeliveryRead> {
  const refuse = (status: number, detail: string, error?: Error): DeliveryRead => ({
    ok: false,
    // The rest of a body over the limit is not read: the connection cannot carry another request.
    answer: problem(status, { detail }, status === 413 ? { connection: 'close' } : {}),
    outcome: outcomeOfStatus[status] ?? 'malformed',
    error,
  });
  const contentType = request.headers['content-type'];
  if (!contentType || typeis.is(contentType, ['application/json']) === false) return refuse(415, 'Send the body as application/json.');
  const encoding = request.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') {
    return refuse(415, `Content-Encoding ${encoding} is not supported; send the body uncompressed.`);
  }
  try {
    const bytes = await readBytes(request.body, bodyLimitBytes, request.headers['content-length']);
    return { ok: true, body: parseJson(bytes) };
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    return refuse(error.status, error.message, error.status >= 500 ? error : undefined);
  }
}
