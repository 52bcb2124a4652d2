// The inspector read while the soak runs, as an operator would watch it: its list, filtered by
// state in a seeded order, once a second through the front, with the bearer token.
import { setTimeout as sleep } from 'node:timers/promises';
import { deliveryStates } from '../../src/inbox/inbox.ts';
import { SeededRandom } from './random.ts';

export interface InspectorRead {
  path: string;
  sentAt: number;
  answeredAt: number;
  /** null: no answer within 15 s. */
  status: number | null;
}

/** Reads the inspector until `signal` aborts; resolves with every read. */
export async function readInspector(url: string, token: string, seed: number, signal: AbortSignal): Promise<InspectorRead[]> {
  const random = new SeededRandom(seed);
  const reads: InspectorRead[] = [];
  while (!signal.aborted) {
    const path = `/inspector?state=${random.pick(deliveryStates)}&live=off`;
    const sentAt = Date.now();
    let status: number | null = null;
    try {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      // No answer: the receiver was down.
    }
    reads.push({ path, sentAt, answeredAt: Date.now(), status });
    await sleep(1000, undefined, { signal }).catch(() => {});
  }
  return reads;
}
