// How long the inbox keeps what is finished: INBOX_RETENTION purges `done` deliveries older than
// it while the receiver runs, 30 days unless told otherwise, and `forever` keeps every one.
// `dead` and `quarantined` deliveries are kept until someone acts on them (a replay, or
// `npm run inbox -- purge`): each is an event that was never handled.
import { setTimeout as sleep } from 'node:timers/promises';
import { closestName, Invalid, parseDuration, type Setting, type SettingsReader } from '../support/settings-reader.ts';
import type { DeliveryOperations, DeliveryReads, PurgeableState } from './inbox.ts';

const retentionSetting: Setting = { variable: 'INBOX_RETENTION', option: 'inboxRetention' };

/**
 * The shortest retention: longer than Svix retries a delivery (its last attempt comes about 27 h
 * 35 min after the first), since a retry of a done delivery that is no longer in the inbox would
 * be stored and handled again.
 */
export const shortestRetentionMs = 28 * 3_600_000;

/**
 * The retention when none is set: a month of handled events to inspect and replay, well beyond
 * the shortest, and not end users' words kept indefinitely by a receiver that was never told to.
 */
const defaultRetentionMs = 30 * 86_400_000;

/** A retention that purges: `done` deliveries are kept `keep` milliseconds, the default's or the one set. */
export interface PurgingRetention {
  keep: number;
  /** Nothing was set: `keep` is the default. */
  byDefault: boolean;
  /** The setting that keeps every delivery, as the person writes their settings: `INBOX_RETENTION=forever`, or the option. */
  keepEverything: string;
}

export type RetentionSettings = PurgingRetention | { keep: 'forever'; keepEverything: string };

export function readRetention(reader: SettingsReader): RetentionSettings {
  const keepEverything = reader.exampleOf(retentionSetting, 'forever');
  const keep = reader.read<number | 'forever' | undefined>(retentionSetting, undefined, parseRetention, '30d');
  if (keep === 'forever') return { keep, keepEverything };
  return { keep: keep ?? defaultRetentionMs, byDefault: keep === undefined, keepEverything };
}

function parseRetention(raw: string): number | 'forever' | Invalid {
  if (raw === 'forever') return raw;
  const retention = parseDuration(raw);
  if (retention instanceof Invalid) {
    // Near `forever` (a typo, another case): it is the example, rather than a duration.
    const forever = closestName(raw, ['forever'], () => 3);
    return new Invalid('must be forever, or a duration of at least 28h: a whole number with a unit, s, m, h or d (days)', forever);
  }
  if (retention >= shortestRetentionMs) return retention;
  return new Invalid(
    'must be at least 28h: Svix retries a delivery for up to 27 h 35 min after its first attempt, and a retry of a done delivery that was purged would be stored and handled again',
  );
}

/** The start-up line of a retention that purges: what it will purge now, and with the default, how to keep everything instead. */
export function purgeLine({ keep, byDefault, keepEverything }: PurgingRetention, due: number, receivedBefore: Date): string {
  const line = `retention: done deliveries received more than ${inWords(keep)} ago are purged (${due.toLocaleString('en-US')} now, received before ${receivedBefore.toISOString()})`;
  return byDefault ? `${line}; set ${keepEverything} to keep every delivery` : line;
}

/** The start-up line of a retention that keeps every delivery. */
export const keptLine = ({ keepEverything }: RetentionSettings): string => `retention: every delivery is kept (${keepEverything})`;

const units = [
  ['days', 86_400_000],
  ['hours', 3_600_000],
  ['minutes', 60_000],
  ['seconds', 1000],
] as const;

/** A retention in its largest whole unit: `30 days`, `36 hours` (never one of a unit: the shortest is 28 hours). */
function inWords(milliseconds: number): string {
  const [unit, size] = units.find(([, size]) => milliseconds % size === 0)!;
  return `${milliseconds / size} ${unit}`;
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

interface RetentionEvents {
  /** Once a start has counted the deliveries its first round purges, before it purges any. */
  onStarted: (due: number, receivedBefore: Date) => void;
  onPurged: (purged: number, receivedBefore: Date) => void;
  onError: (error: unknown) => void;
}

/**
 * Purges `done` deliveries older than the retention, at start and then at every interval, until
 * stopped. A start first counts what its first round will purge (`onStarted`), so that an inbox
 * kept until now is not emptied without a word.
 */
export class Retention {
  readonly #inbox: DeliveryOperations & Pick<DeliveryReads, 'count'>;
  readonly #retentionMs: number;
  readonly #events: RetentionEvents;
  #stopping: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(inbox: DeliveryOperations & Pick<DeliveryReads, 'count'>, retentionMs: number, events: RetentionEvents) {
    this.#inbox = inbox;
    this.#retentionMs = retentionMs;
    this.#events = events;
  }

  start(): void {
    if (this.#stopping) return;
    const stopping = (this.#stopping = new AbortController());
    this.#running = (async () => {
      let counted = false;
      while (!stopping.signal.aborted) {
        const receivedBefore = new Date(Date.now() - this.#retentionMs);
        try {
          if (!counted) {
            this.#events.onStarted(await this.#inbox.count({ state: 'done', until: receivedBefore }), receivedBefore);
            counted = true;
          }
          const purged = await purgeInBatches(this.#inbox, { state: 'done', receivedBefore }, { signal: stopping.signal });
          if (purged > 0) this.#events.onPurged(purged, receivedBefore);
        } catch (error) {
          // The store is unavailable: its own readiness reports that; the next round tries again.
          this.#events.onError(error);
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
