// Publishes side by side, or one alone: how a delivery whose publish found the broker unreachable
// is tried again without the others that would share its fate (a broker that closes the
// connection on one message ends every publish under way on it). A publish waits for its turn at
// most `waitLimitMs`, so that an attempt's time is bounded and its lease can cover it: suspects
// queue one behind the other, each for as long as the broker takes to answer.

/** A publish whose turn did not come within the wait limit: nothing was sent. */
export class TurnNotCome extends Error {
  override name = 'TurnNotCome';
}

export class PublishGate {
  readonly #waitLimitMs: number;
  /** Publishes under way side by side. */
  #beside = 0;
  /** Called when the last publish under way side by side ends, while one waits to go alone. */
  #drained: (() => void) | undefined;
  /** Settles when the publish that goes alone (or waits to) has ended. */
  #alone: Promise<void> | undefined;

  constructor(waitLimitMs: number) {
    this.#waitLimitMs = waitLimitMs;
  }

  /** Runs `publish` beside the others, once no publish goes alone. */
  async beside<T>(publish: () => Promise<T>): Promise<T> {
    if (this.#alone) await this.#whileAlone(Date.now() + this.#waitLimitMs);
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
    const deadline = Date.now() + this.#waitLimitMs;
    await this.#whileAlone(deadline);
    const turn = Promise.withResolvers<void>();
    this.#alone = turn.promise;
    try {
      if (this.#beside > 0) {
        const drained = Promise.withResolvers<void>();
        this.#drained = drained.resolve;
        try {
          await before(deadline, drained.promise);
        } finally {
          this.#drained = undefined;
        }
      }
      return await publish();
    } finally {
      this.#alone = undefined;
      turn.resolve();
    }
  }

  /** Waits until no publish goes alone, or throws TurnNotCome at `deadline`. */
  async #whileAlone(deadline: number): Promise<void> {
    while (this.#alone) await before(deadline, this.#alone);
  }
}

/** Waits for `turn`, or throws TurnNotCome at `deadline`. */
async function before(deadline: number, turn: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TurnNotCome('its turn to publish did not come in time')), deadline - Date.now());
  });
  try {
    await Promise.race([turn, late]);
  } finally {
    clearTimeout(timer);
  }
}
