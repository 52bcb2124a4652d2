// How long the inbox keeps what is finished: INBOX_RETENTION purges `done` deliveries older than
// it while the receiver runs. `dead` and `quarantined` deliveries are kept until someone acts on
// them (a replay, or `npm run inbox -- purge`): each is an event that was never handled.
import { setTimeout as sleep } from 'node:timers/promises';
import { Invalid, parseDuration, type Setting, type SettingsReader } from '../support/settings-reader.ts';
import type { DeliveryOperations, PurgeableState } from './inbox.ts';

const retentionSetting: Setting = { variable: 'INBOX_RETENTION', option: 'inboxRetention' };

/**
 * The shortest retention: longer than Svix retries a delivery (its last attempt comes about 27 h
 * 35 min after the first), since a retry of a done delivery that is no longer in the inbox would
 * be stored and handled again.
 */
export const shortestRetentionMs = 28 * 3_600_000;

/** How long `done` deliveries are kept, in milliseconds; undefined keeps them for ever. */
export const readRetention = (reader: SettingsReader): number | undefined =>
  reader.read<number | undefined>(retentionSetting, undefined, parseRetention, '30d');

function parseRetention(raw: string): number | Invalid {
  const retention = parseDuration(raw);
  if (retention instanceof Invalid || retention >= shortestRetentionMs) return retention;
  return new Invalid(
    'must be at least 28h: Svix retries a delivery for up to 27 h 35 min after its first attempt, and a retry of a done delivery that was purged would be stored and handled again',
  );
}

export interface PurgeSelection {
  state: PurgeableState;
  receivedBefore: Date;
}

interface PurgeOptions {
  /** Deliveries deleted per transaction (default 250). */
  batchSize?: number;
  /** Stops between two batches. */
  signal?: AbortSignal;
  /** After each batch: how many it deleted, and how many so far. */
  onBatch?: (purged: number, total: number) => void;
}

/**
 * Purges in small batches, pausing after each for nineteen times as long as it took, so that the
 * store spends at most a twentieth of its time on the purge and intake keeps its pace under full
 * load, where a larger share slowed it (BENCHMARKS.md, Retention, measures each pacing). A busier
 * store takes longer per batch, so the purge slows with it.
 * Resolves with how many deliveries were deleted.
 */
export async function purgeInBatches(
  inbox: DeliveryOperations,
  selection: PurgeSelection,
  { batchSize = 250, signal, onBatch }: PurgeOptions = {},
): Promise<number> {
  let total = 0;
  while (!signal?.aborted) {
    const started = performance.now();
    const purged = await inbox.purge({ ...selection, limit: batchSize });
    total += purged;
    onBatch?.(purged, total);
    if (purged < batchSize) break;
    await pause(19 * (performance.now() - started), signal);
  }
  return total;
}

/** Waits, or less when `signal` stops it (the abort is how a stop ends the wait, not an error). */
const pause = (milliseconds: number, signal: AbortSignal | undefined) => sleep(milliseconds, undefined, { signal }).catch(() => {});

/** How often a running receiver purges: a tenth of the retention, between a second and an hour. */
const intervalOf = (retentionMs: number) => Math.min(Math.max(retentionMs / 10, 1000), 3_600_000);

/** Purges `done` deliveries older than the retention, at start and then at every interval, until stopped. */
export class Retention {
  readonly #inbox: DeliveryOperations;
  readonly #retentionMs: number;
  readonly #onPurged: (purged: number, receivedBefore: Date) => void;
  readonly #onError: (error: unknown) => void;
  #stopping: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(
    inbox: DeliveryOperations,
    retentionMs: number,
    { onPurged, onError }: { onPurged: (purged: number, receivedBefore: Date) => void; onError: (error: unknown) => void },
  ) {
    this.#inbox = inbox;
    this.#retentionMs = retentionMs;
    this.#onPurged = onPurged;
    this.#onError = onError;
  }

  start(): void {
    if (this.#stopping) return;
    const stopping = (this.#stopping = new AbortController());
    this.#running = (async () => {
      while (!stopping.signal.aborted) {
        const receivedBefore = new Date(Date.now() - this.#retentionMs);
        try {
          const purged = await purgeInBatches(this.#inbox, { state: 'done', receivedBefore }, { signal: stopping.signal });
          if (purged > 0) this.#onPurged(purged, receivedBefore);
        } catch (error) {
          // The store is unavailable: its own readiness reports that; the next round tries again.
          this.#onError(error);
        }
        await pause(intervalOf(this.#retentionMs), stopping.signal);
      }
    })();
  }

  /** Ends the purge after the batch under way. */
  async stop(): Promise<void> {
    this.#stopping?.abort();
    await this.#running;
    this.#stopping = undefined;
  }
}
