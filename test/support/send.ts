import type { ParityCase } from '../parity/corpus.ts';

export interface Verdict {
  /** null: no answer within the time limit. */
  status: number | null;
  violations: string | null;
  body: string;
}

/** POSTs a corpus case to `${url}/webhooks/ada`. */
export async function sendCase(url: string, testCase: ParityCase, headers = testCase.headers(), timeoutMs = 3000): Promise<Verdict> {
  try {
    const response = await fetch(`${url}/webhooks/ada`, {
      method: 'POST',
      headers,
      body: testCase.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, violations: response.headers.get('sl-violations'), body: await response.text() };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return { status: null, violations: null, body: '' };
    throw error;
  }
}
