// A webhook body's bytes as JSON: strict UTF-8, then JSON.parse. What the intake and
// verifyWebhook both parse with, with the same refusals; apart from reading the bytes (body.ts),
// so that `ada-webhooks/verify` loads no dependency.

export interface JsonBody {
  bytes: Buffer;
  /** The bytes decoded as UTF-8; byte for byte the same as `bytes`. */
  text: string;
  /** Any JSON value: the contract, not the parser, decides what is acceptable. */
  value: unknown;
}

/** Why a body could not be read or parsed: the status to answer, and a message fit for the sender. */
export class BodyError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'BodyError';
    this.status = status;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as strict UTF-8 JSON; throws a BodyError (400) otherwise. */
export function parseJson(bytes: Buffer): JsonBody {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new BodyError(400, 'The request body is not valid UTF-8.');
  }
  if (text.trim() === '') throw new BodyError(400, 'The request body is empty.');
  try {
    return { bytes, text, value: JSON.parse(text) };
  } catch (error) {
    throw new BodyError(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
}
