// Guesses of the inspector's token (a sign-in, or a script's Bearer token), counted per client
// address: after `limit` wrong ones within `windowMs` of the first, that address is refused (429)
// until the window ends, whatever it sends, the right token included. Counted in this process's
// memory, which is enough to slow guessing down (each replica counts on its own), and bounded
// whatever an attacker sends: past `maxAddresses`, the address whose window began first is
// forgotten. For the log, each address's first wrong guess is told at once, then what followed is
// counted and told once per report.

export interface ThrottleLimits {
  /** Wrong guesses allowed per address in a window. */
  limit: number;
  windowMs: number;
  /** Addresses remembered at once. */
  maxAddresses: number;
}

export const defaultThrottleLimits: ThrottleLimits = { limit: 5, windowMs: 15 * 60_000, maxAddresses: 10_000 };

interface Guesses {
  /** When the first wrong guess of the window was made. */
  since: number;
  wrong: number;
  /** Wrong guesses and refused attempts since the last report. */
  unreportedWrong: number;
  unreportedRefused: number;
}

/** What happened from one address since the last report. */
export interface GuessReport {
  address: string;
  wrong: number;
  refused: number;
  since: Date;
}

export class GuessThrottle {
  readonly #limits: ThrottleLimits;
  readonly #now: () => number;
  /** By address, in the order their windows began: the oldest first. */
  readonly #guesses = new Map<string, Guesses>();

  constructor(limits: ThrottleLimits = defaultThrottleLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.#guesses.size;
  }

  /** Seconds until `address` may guess again (and the attempt counts as refused), or undefined when it may now. */
  refusal(address: string): number | undefined {
    const guesses = this.#guesses.get(address);
    if (!guesses || this.#ended(guesses) || guesses.wrong < this.#limits.limit) return undefined;
    guesses.unreportedRefused += 1;
    return Math.max(1, Math.ceil((guesses.since + this.#limits.windowMs - this.#now()) / 1000));
  }

  /** Counts a wrong guess; true when it is the first of its window (to be told at once). */
  wrong(address: string): boolean {
    const guesses = this.#guesses.get(address);
    if (guesses && !this.#ended(guesses)) {
      guesses.wrong += 1;
      guesses.unreportedWrong += 1;
      return false;
    }
    // A new window, at the end of the order; what the last one did is still to be reported.
    this.#guesses.delete(address);
    if (this.#guesses.size >= this.#limits.maxAddresses) this.#guesses.delete(this.#guesses.keys().next().value!);
    this.#guesses.set(address, {
      since: this.#now(),
      wrong: 1,
      unreportedWrong: guesses?.unreportedWrong ?? 0,
      unreportedRefused: guesses?.unreportedRefused ?? 0,
    });
    return true;
  }

  /** The right token: the address starts afresh. */
  right(address: string): void {
    this.#guesses.delete(address);
  }

  /** What each address did since the last report (those that did something), and forgets the windows that ended. */
  report(): GuessReport[] {
    const reports: GuessReport[] = [];
    for (const [address, guesses] of this.#guesses) {
      if (guesses.unreportedWrong + guesses.unreportedRefused > 0) {
        reports.push({ address, wrong: guesses.unreportedWrong, refused: guesses.unreportedRefused, since: new Date(guesses.since) });
        guesses.unreportedWrong = 0;
        guesses.unreportedRefused = 0;
      }
      if (this.#ended(guesses)) this.#guesses.delete(address);
    }
    return reports;
  }

  #ended(guesses: Guesses): boolean {
    return this.#now() >= guesses.since + this.#limits.windowMs;
  }
}
