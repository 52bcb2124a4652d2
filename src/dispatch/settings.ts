// How the dispatcher runs handlers: how many at once, for how long, how often it retries, and how
// long it leases a delivery for.
import { integerIn, type Setting, type SettingsReader } from '../support/settings-reader.ts';
import { forwardBudgetMs } from '../forward/forwarder.ts';

export interface DispatcherSettings {
  /** Deliveries handled at once; deliveries that share an ordering key never run together. */
  concurrency: number;
  handlerTimeoutMs: number;
  /** After this many failed attempts a delivery is dead. */
  maxAttempts: number;
  /** The first retry waits about this long; each further one about twice as long, up to an hour. */
  retryBaseMs: number;
  /** How often to look for deliveries stored by other processes. */
  pollIntervalMs: number;
}

const setting = (variable: string, option: string): Setting => ({ variable, option });

export function readDispatcherSettings(reader: SettingsReader): DispatcherSettings {
  return {
    concurrency: reader.read(setting('DISPATCHER_CONCURRENCY', 'concurrency'), 8, integerIn(1, 1000), '8'),
    pollIntervalMs: reader.read(setting('DISPATCHER_POLL_MS', 'pollIntervalMs'), 500, integerIn(10, 60_000), '500'),
    handlerTimeoutMs: 1000 * reader.read(setting('HANDLER_TIMEOUT_SECONDS', 'handlerTimeoutSeconds'), 30, integerIn(1, 3600), '30'),
    maxAttempts: reader.read(setting('HANDLER_MAX_ATTEMPTS', 'maxAttempts'), 8, integerIn(1, 100), '8'),
    retryBaseMs: reader.read(setting('HANDLER_RETRY_BASE_MS', 'retryBaseMs'), 5000, integerIn(1, 3_600_000), '5000'),
  };
}

/**
 * How long a claim leases a delivery: longer than an attempt can take (its forward, when
 * forwarding, then its handler), so that a lease runs out only when its process died or hangs.
 * Twice the handler timeout leaves the settlement a whole handler timeout of room.
 */
export function leaseMsOf({ handlerTimeoutMs }: DispatcherSettings, { forwarding }: { forwarding: boolean }): number {
  return (forwarding ? forwardBudgetMs : 0) + 2 * handlerTimeoutMs;
}
