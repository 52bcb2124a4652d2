// Group commit's first half, shared by the backends: the writes requested during one turn of the
// event loop travel together, so that concurrent deliveries share a round trip and a commit.

interface Queued<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class TurnBatch<Item, Result> {
  readonly #flush: (items: Item[]) => Promise<PromiseSettledResult<Result>[]>;
  readonly #maxInFlight: number;
  #queued: Queued<Item, Result>[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idleWaiters: (() => void)[] = [];

  /**
   * `flush` carries out one batch and returns how each item went, in order: an item that failed
   * fails alone, and `flush` rejects to fail them all. At most `maxInFlight` batches run at once:
   * what is requested meanwhile waits and joins the next batch.
   */
  constructor(flush: (items: Item[]) => Promise<PromiseSettledResult<Result>[]>, maxInFlight = Number.POSITIVE_INFINITY) {
    this.#flush = flush;
    this.#maxInFlight = maxInFlight;
  }

  add(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#send();
        });
      }
    });
  }

  /** Sends what is queued now, and resolves once every batch has been carried out. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#send();
    });
  }

  #send(): void {
    if (this.#queued.length === 0 && this.#inFlight === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
      return;
    }
    if (this.#queued.length === 0 || this.#inFlight >= this.#maxInFlight) return;
    const batch = this.#queued;
    this.#queued = [];
    this.#inFlight += 1;
    this.#flush(batch.map(({ item }) => item))
      .then(
        (results) =>
          batch.forEach(({ resolve, reject }, index) => {
            const result = results[index]!;
            if (result.status === 'fulfilled') resolve(result.value);
            else reject(result.reason);
          }),
        (error: unknown) => batch.forEach(({ reject }) => reject(error)),
      )
      .finally(() => {
        this.#inFlight -= 1;
        this.#send();
      });
  }
}
