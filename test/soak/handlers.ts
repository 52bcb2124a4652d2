// The soak's handlers, one for every event type and the fallback: each run is recorded (a JSON
// line when it starts and one when it ends, in a file of the process's own under SOAK_RECORD),
// and does what the run's seed says for this delivery and attempt: succeed, throw, reject, time
// out, or ignore its abort signal past the timeout. A few deliveries fail every attempt, to die.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { knownEventNames, type Handlers, type HandlingContext } from '../../src/index.ts';
import { hashedDraw } from './random.ts';

export const behaviours = ['succeed', 'throw', 'reject', 'time-out', 'ignore-abort'] as const;
export type Behaviour = (typeof behaviours)[number];

/** What a handler does on this attempt of this delivery, the same in every process of the run. */
export function behaviourOf(seed: number, id: string, attempt: number): Behaviour {
  if (isDoomed(seed, id)) return 'throw';
  const draw = hashedDraw(seed, id, attempt);
  if (draw < 0.05) return 'throw';
  if (draw < 0.09) return 'reject';
  if (draw < 0.11) return 'time-out';
  if (draw < 0.12) return 'ignore-abort';
  return 'succeed';
}

/** A delivery whose every attempt fails, so that it ends dead. */
export const isDoomed = (seed: number, id: string): boolean => hashedDraw(seed, id, 'doomed') < 0.02;

/** One line of the record. */
export type RunLine =
  | { phase: 'start'; id: string; attempt: number; pid: number; at: number; behaviour: Behaviour }
  | { phase: 'end'; id: string; attempt: number; pid: number; at: number; outcome: 'succeeded' | 'failed' };

export function registerSoakHandlers(handlers: Handlers): void {
  const seed = Number(process.env['SOAK_SEED']);
  const record = join(process.env['SOAK_RECORD']!, `runs-${process.pid}.ndjson`);
  const write = (line: RunLine) => appendFileSync(record, `${JSON.stringify(line)}\n`);

  async function run(_event: unknown, { deliveryId: id, attempt, signal }: HandlingContext): Promise<void> {
    const behaviour = behaviourOf(seed, id, attempt);
    write({ phase: 'start', id, attempt, pid: process.pid, at: Date.now(), behaviour });
    try {
      await act(behaviour, signal);
      write({ phase: 'end', id, attempt, pid: process.pid, at: Date.now(), outcome: signal.aborted ? 'failed' : 'succeeded' });
    } catch (error) {
      write({ phase: 'end', id, attempt, pid: process.pid, at: Date.now(), outcome: 'failed' });
      throw error;
    }
  }
  for (const type of knownEventNames) handlers.on(type, run);
  handlers.onUnknown(run);
}

async function act(behaviour: Behaviour, signal: AbortSignal): Promise<void> {
  switch (behaviour) {
    case 'succeed':
      return;
    case 'throw':
      throw new Error('soak: this attempt throws');
    case 'reject':
      await sleep(5);
      throw new Error('soak: this attempt rejects');
    case 'time-out':
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      throw signal.reason;
    case 'ignore-abort':
      // Past any timeout of the soak's, whatever the signal says.
      await sleep(1500);
  }
}
