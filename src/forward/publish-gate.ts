// Publishes side by side, or one alone: how a delivery whose publish found the broker unreachable
// is tried again without the others that would share its fate (a broker that closes the
// connection on one message ends every publish under way on it).

export class PublishGate {
  /** Publishes under way side by side. */
  #beside = 0;
  /** Called when the last publish under way side by side ends, while one waits to go alone. */
  #drained: (() => void) | undefined;
  /** Settles when the publish that goes alone (or waits to) has ended. */
  #alone: Promise<void> | undefined;

  /** Runs `publish` beside the others, once no publish goes alone. */
  async beside<T>(publish: () => Promise<T>): Promise<T> {
    while (this.#alone) await this.#alone;
    this.#beside += 1;
    try {
      return await publish();
    } finally {
      this.#beside -= 1;
      if (this.#beside === 0) this.#drained?.();
    }
  }

  /** Runs `publish` with nothing else under way: waits for the publishes under way, and holds back those that come meanwhile. */
  async alone<T>(publish: () => Promise<T>): Promise<T> {
    while (this.#alone) await this.#alone;
    const turn = Promise.withResolvers<void>();
    this.#alone = turn.promise;
    try {
      if (this.#beside > 0) {
        const drained = Promise.withResolvers<void>();
        this.#drained = drained.resolve;
        await drained.promise;
        this.#drained = undefined;
      }
      return await publish();
    } finally {
      this.#alone = undefined;
      turn.resolve();
    }
  }
}
