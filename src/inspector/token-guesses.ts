// The throttle of wrong tokens (guess-throttle.ts) as the inspector's entry uses it: a client
// address that guessed too often is refused before it can guess again, and what it tried is logged,
// its first wrong token at once and the rest in a report once a period.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { GuessThrottle, type ThrottleLimits } from './guess-throttle.ts';

export class TokenGuesses {
  readonly #throttle: GuessThrottle;
  readonly #logger: Logger;
  readonly #reports: NodeJS.Timeout;

  constructor(limits: ThrottleLimits, logger: Logger, reportMs: number) {
    this.#throttle = new GuessThrottle(limits);
    this.#logger = logger;
    this.#reports = setInterval(() => this.#report(), reportMs).unref();
  }

  /** Refuses, before it can guess again, a client address that sent too many wrong tokens. */
  refuseTooMany(ctx: Context): void {
    const retryAfter = this.#throttle.refusal(ctx.ip);
    if (retryAfter === undefined) return;
    ctx.set('Retry-After', String(retryAfter));
    ctx.throw(429, `Too many wrong tokens from your address: try again in ${retryAfter} seconds.`);
  }

  /** Counts a guess of the token; the first wrong one of an address is logged at once, the others in the next report. */
  count(ctx: Context, right: boolean, via: 'sign-in' | 'bearer'): void {
    if (right) return this.#throttle.right(ctx.ip);
    if (this.#throttle.wrong(ctx.ip)) {
      this.#logger.warn(
        { client: ctx.ip, via },
        'inspector: a wrong token was refused (more from this address are counted, and logged once a minute)',
      );
    }
  }

  close(): void {
    clearInterval(this.#reports);
  }

  #report(): void {
    for (const { address, wrong, refused, since } of this.#throttle.report()) {
      this.#logger.warn(
        { client: address, wrongTokens: wrong, throttled: refused, since },
        `inspector: ${wrong} more wrong tokens, and ${refused} attempts refused as too many, from ${address}`,
      );
    }
  }
}
