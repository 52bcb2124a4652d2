// Posting a delivery signed the way Svix signs it, for `npm run send` and `npm run replay -- --to`:
// one line per delivery with the status and the answer, the receiver's reasons under a refusal,
// and a summary by status.
import { describeViolation } from '../../src/contract/validation.ts';
import type { Sign } from '../../src/intake/signature.ts';

/** The reasons a receiver gives for refusing a delivery, from its problem document. */
function reasonsOf(text: string): string[] {
  try {
    const problem = JSON.parse(text) as { detail?: string; violations?: { pointer: string; message: string }[] };
    return [...(problem.detail ? [problem.detail] : []), ...(problem.violations ?? []).map(describeViolation)];
  } catch {
    return [];
  }
}

/** POSTs one delivery signed now, prints what came back, and returns its status (`no answer` when none came). */
export async function postSigned(url: string, sign: Sign, id: string, payload: string | Buffer): Promise<string> {
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(timestamp),
        'svix-signature': sign(id, timestamp, payload),
      },
      body: payload,
    });
    const text = await response.text();
    console.log(`${id} -> ${response.status} ${text}`);
    if (!response.ok) for (const reason of reasonsOf(text)) console.log(`    ${reason}`);
    return String(response.status);
  } catch (error) {
    const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
    console.error(`${id} -> could not reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    return 'no answer';
  }
}

/** How many deliveries got each status. */
export class StatusTally {
  readonly #statuses = new Map<string, number>();
  #total = 0;

  add(status: string): void {
    this.#total += 1;
    this.#statuses.set(status, (this.#statuses.get(status) ?? 0) + 1);
  }

  get total(): number {
    return this.#total;
  }

  /** `3 × 200, 1 × 401` */
  summary(): string {
    return [...this.#statuses].map(([status, times]) => `${times} × ${status}`).join(', ');
  }

  /** Every delivery was answered with a 2xx status. */
  allAccepted(): boolean {
    return [...this.#statuses.keys()].every((status) => /^2\d\d$/.test(status));
  }
}
