// Whether the store takes writes, shared by the backends: what readiness reports. A full disk or a
// database that turned read-only can leave reads working while every write fails, and a load
// balancer must then stop sending deliveries here; once writes work again, readiness must say so
// without a restart, even when no delivery arrives to show it.

export class WriteHealth {
  #failing = false;

  /**
   * Follows a write that stores something (a delivery, a replay, a probe): its failure marks the
   * store as failing, its success as healthy again. Claims and settlements are not followed: one
   * that finds nothing to change succeeds even on a full disk.
   */
  async track<T>(write: Promise<T>): Promise<T> {
    try {
      const result = await write;
      this.#failing = false;
      return result;
    } catch (error) {
      this.#failing = true;
      throw error;
    }
  }

  /** Resolves at once while writes work; after a failure, only once `probe` (a real write) succeeds. */
  async check(probe: () => Promise<void>): Promise<void> {
    if (this.#failing) await this.track(probe());
  }
}
