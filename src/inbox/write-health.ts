// Whether the store can be reached and written, shared by the backends: what readiness reports,
// and what the operator is told when it changes. A full disk or a database that turned read-only
// can leave reads working while every write fails, and a load balancer must then stop sending
// deliveries here; once writes work again, readiness must say so without a restart, even when no
// delivery arrives to show it. So while the store is failing, a probe write runs every second
// until one succeeds.
import { Signal } from './signal.ts';

/** `unavailable` carries the store's own error: what the operator must act on. */
export type StoreAvailability = { available: true } | { available: false; reason: string };

const probeIntervalMs = 1000;

export class WriteHealth {
  readonly #probe: () => Promise<void>;
  readonly #changes = new Signal<StoreAvailability>();
  #failing = false;
  #probing: NodeJS.Timeout | undefined;

  /** `probe`: a real write that stores nothing of value. */
  constructor(probe: () => Promise<void>) {
    this.#probe = probe;
  }

  /**
   * Follows a write that stores something (a delivery, a replay): its failure marks the store as
   * failing. Only a probe that succeeds marks it healthy again: a write that was under way on a
   * connection about to be cut can still succeed after the first failure, and must not make the
   * store look back. Claims and settlements are not followed: one that finds nothing to change
   * succeeds even on a full disk.
   */
  async track<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      this.#change({ available: false, reason: (error as Error).message });
      throw error;
    }
  }

  /** The store showed it is failing without a write of ours failing (a connection it closed). */
  lost(reason: string): void {
    this.#change({ available: false, reason });
  }

  /** Resolves at once while writes work; after a failure, only once a probe write succeeds. */
  async check(): Promise<void> {
    if (!this.#failing) return;
    await this.#probe();
    this.#change({ available: true });
  }

  /** Calls `listener` each time the store becomes unavailable, or available again. Returns a function that removes it. */
  onChange(listener: (availability: StoreAvailability) => void): () => void {
    return this.#changes.subscribe(listener);
  }

  /** Stops probing: the store is being closed. */
  stop(): void {
    clearInterval(this.#probing);
    this.#probing = undefined;
  }

  #change(availability: StoreAvailability): void {
    const failing = !availability.available;
    if (failing === this.#failing) return;
    this.#failing = failing;
    this.stop();
    if (failing) {
      this.#probing = setInterval(() => void this.check().catch(() => {}), probeIntervalMs);
      this.#probing.unref();
    }
    this.#changes.emit(availability);
  }
}
