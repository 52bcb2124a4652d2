// Sends a plan's requests at their planned times, signed as each says, and records what came
// back: the history the checker reads. Like Svix, a request without an answer within 15 s is
// given up, and a delivery answered 503 or not at all is sent again later (sooner than Svix's
// 5 s, 5 min, 30 min..., to fit a run of minutes), signed anew.
import { setTimeout as sleep } from 'node:timers/promises';
import { signedHeaders } from '../support/receiver.ts';
import type { PlannedRequest } from './plan.ts';

export interface Answered {
  /** The request's index in the plan. */
  index: number;
  /** 0, or 1 for the second of twins. */
  copy: number;
  /** 0 for the first send; then each resend after a 503 or no answer. */
  resend: number;
  sentAt: number;
  answeredAt: number;
  /** null: no answer (the connection failed, or 15 s passed). */
  status: number | null;
}

function headersOf(request: PlannedRequest): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000) + request.timestampOffsetSeconds;
  const { 'svix-signature': signature, ...unsigned } = signedHeaders(request.body, { id: request.id, timestamp });
  const signatures = {
    valid: { 'svix-signature': signature! },
    wrong: { 'svix-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}` },
    none: {},
  };
  return { ...unsigned, ...signatures[request.signing], ...request.headers };
}

/** How long after a 503, or no answer, a delivery is sent again, and how many times. */
const resendAfterMs = [2000, 5000, 10_000, 20_000];

async function send(url: string, request: PlannedRequest, copy: number, resend: number): Promise<Answered> {
  const sentAt = Date.now();
  let status: number | null = null;
  try {
    const response = await fetch(`${url}/webhooks/ada${request.query}`, {
      method: 'POST',
      headers: headersOf(request),
      body: request.body,
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
    status = response.status;
  } catch {
    // No answer: the receiver was down, or did not answer in time.
  }
  return { index: request.index, copy, resend, sentAt, answeredAt: Date.now(), status };
}

/** Sends a request, and again while it is answered 503 or not at all, as Svix does; resolves with every answer. */
async function deliver(url: string, request: PlannedRequest, copy: number): Promise<Answered[]> {
  const answers = [await send(url, request, copy, 0)];
  for (const [resend, afterMs] of resendAfterMs.entries()) {
    const { status } = answers.at(-1)!;
    if (status !== 503 && status !== null) break;
    await sleep(afterMs);
    answers.push(await send(url, request, copy, resend + 1));
  }
  return answers;
}

/** Sends every request at its time from now; resolves with every answer once the last has come. */
export async function sendTraffic(url: string, requests: readonly PlannedRequest[]): Promise<Answered[]> {
  const start = Date.now();
  const answers: Promise<Answered[]>[] = [];
  for (const request of requests) {
    const wait = start + request.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    answers.push(deliver(url, request, 0));
    if (request.twin) answers.push(deliver(url, request, 1));
  }
  return (await Promise.all(answers)).flat();
}
