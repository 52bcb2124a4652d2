// Whether something the receiver depends on works, learnt from what it does and, while it fails,
// from a probe every second: what readiness reports, and what the operator is told when it
// changes. The inbox's backends follow their writes with it (a full disk or a database that
// turned read-only can leave reads working while every write fails, and a load balancer must then
// stop sending deliveries here; once writes work again, readiness must say so without a restart,
// even when no delivery arrives to show it). A forwarder follows its broker with it.
import { Signal } from './signal.ts';

/** `unavailable` carries the dependency's own error: what the operator must act on. */
export type Availability = { available: true } | { available: false; reason: string };

const probeIntervalMs = 1000;

export class ProbedAvailability {
  readonly #probe: () => Promise<void>;
  readonly #isOutage: (error: unknown) => boolean;
  readonly #changes = new Signal<Availability>();
  #current: Availability = { available: true };
  /** The timer that probes every second while it fails. */
  #probes: NodeJS.Timeout | undefined;
  /** The probe under way, which later checks wait for rather than start another. */
  #probing: Promise<void> | undefined;

  /**
   * `probe`: a real use that changes nothing of value (a write for the inbox, a connection for a
   * broker). `isOutage`: whether a use's failure shows that it fails; by default every failure
   * does, but a refusal of what one use carried (a value the store cannot keep) is that use's
   * failure alone.
   */
  constructor(probe: () => Promise<void>, isOutage: (error: unknown) => boolean = () => true) {
    this.#probe = probe;
    this.#isOutage = isOutage;
  }

  /**
   * Follows a use whose failure means it fails, unless `isOutage` says the failure is the use's
   * own (for the inbox, a write that stores something: a delivery, a replay). Only a probe that succeeds marks it healthy again: a write that was under
   * way on a connection about to be cut can still succeed after the first failure, and must not
   * make the store look back. (The inbox follows no claim or settlement: one that finds nothing to
   * change succeeds even on a full disk.)
   */
  async track<T>(use: Promise<T>): Promise<T> {
    try {
      return await use;
    } catch (error) {
      if (this.#isOutage(error)) this.#change({ available: false, reason: (error as Error).message });
      throw error;
    }
  }

  /** It showed that it fails without a use of ours failing (a connection it closed). */
  lost(reason: string): void {
    this.#change({ available: false, reason });
  }

  /** Whether it works, or the reason it failed last. */
  get current(): Availability {
    return this.#current;
  }

  /** Resolves at once while it works; after a failure, only once a probe succeeds. One probe at a time. */
  async check(): Promise<void> {
    if (this.#current.available) return;
    this.#probing ??= this.#probe().finally(() => (this.#probing = undefined));
    await this.#probing;
    this.#change({ available: true });
  }

  /** Calls `listener` each time it becomes unavailable, or available again. Returns a function that removes it. */
  onChange(listener: (availability: Availability) => void): () => void {
    return this.#changes.subscribe(listener);
  }

  /** Stops probing: what it follows is being closed. */
  stop(): void {
    clearInterval(this.#probes);
    this.#probes = undefined;
  }

  #change(availability: Availability): void {
    const changed = availability.available !== this.#current.available;
    this.#current = availability;
    if (!changed) return;
    this.stop();
    if (!availability.available) {
      this.#probes = setInterval(() => void this.check().catch(() => {}), probeIntervalMs);
      this.#probes.unref();
    }
    this.#changes.emit(availability);
  }
}
