// Sends a plan's requests at their planned times, signed as each says, and records what came
// back: the history the checker reads. Like Svix, a request without an answer within 15 s is
// given up.
import { setTimeout as sleep } from 'node:timers/promises';
import { signedHeaders } from '../support/receiver.ts';
import type { PlannedRequest } from './plan.ts';

export interface Answered {
  /** The request's index in the plan. */
  index: number;
  /** 0, or 1 for the second of twins. */
  copy: number;
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

async function send(url: string, request: PlannedRequest, copy: number): Promise<Answered> {
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
  return { index: request.index, copy, sentAt, answeredAt: Date.now(), status };
}

/** Sends every request at its time from now; resolves with every answer once the last has come. */
export async function sendTraffic(url: string, requests: readonly PlannedRequest[]): Promise<Answered[]> {
  const start = Date.now();
  const answers: Promise<Answered>[] = [];
  for (const request of requests) {
    const wait = start + request.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    answers.push(send(url, request, 0));
    if (request.twin) answers.push(send(url, request, 1));
  }
  return Promise.all(answers);
}
