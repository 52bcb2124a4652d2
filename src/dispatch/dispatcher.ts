// Runs the handlers of stored deliveries: claims them from the inbox with a lease (and, while it
// has room, takes those that intake leased to it as they were stored), forwards each
// to the broker when forwarding is configured, then runs its handler with a timeout, and records
// done, retry (exponential backoff with jitter) or dead. A forward confirmed by the broker is kept
// with the outcome, so that a retry runs only what failed; while the broker is unreachable,
// nothing is claimed, and an attempt that could not reach it is given back without counting.
// Each attempt is a process span in the delivery's trace (see telemetry/tracing.ts). A transactional
// handler's writes commit with its settlement (see transactional.ts).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { eventTypeLabel } from '../contract/events.ts';
import { BrokerUnavailable } from '../forward/forwarder.ts';
import type { ForwardOutcome, Forwarding } from '../forward/forwarding.ts';
import type { HandlerTransactions } from '../inbox/handler-transactions.ts';
import type { ClaimedDelivery, Inbox, Settlement } from '../inbox/inbox.ts';
import type { Metrics, TransactionOutcome } from '../telemetry/metrics.ts';
import { endProcessSpan, inActiveSpan, startProcessSpan, type ActiveSpan } from '../telemetry/tracing.ts';
import { describeFailure } from './failure.ts';
import { leaseMsOf, type DispatcherSettings } from './settings.ts';
import type { HandlerRegistry, HandlingContext, RegisteredHandler, TransactionalHandlingContext } from './handler-registry.ts';
import { LeaseLost, SettlementWithin, runInTransaction, transactionMarginMs } from './transactional.ts';

type FailedStep = 'read' | 'forward' | 'handler';

/** How one forward ended: `failed` when the broker refused it, `unavailable` when it could not be reached. */
type ForwardMetricOutcome = ForwardOutcome | 'failed' | 'unavailable';

interface DispatcherOptions extends DispatcherSettings {
  inbox: Inbox;
  handlers: HandlerRegistry;
  logger: Logger;
  metrics: Metrics;
  /** Publishes each delivery to a broker before its handler runs. */
  forwarding?: Forwarding | undefined;
  /** The inbox's transactions for transactional handlers (PostgreSQL). */
  transactions?: HandlerTransactions | undefined;
}

const maxRetryDelayMs = 60 * 60 * 1000;

/** The abort reason of attempts that stop() gives back to the inbox unfinished. */
const stopping = new Error('the dispatcher is stopping');

export class Dispatcher {
  /** Identifies this dispatcher's leases in the inbox. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #options: DispatcherOptions;
  readonly #inFlight = new Map<string, { settled: Promise<void>; abort: AbortController }>();
  #running = false;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void)[] = [];
  #wake: (() => void) | undefined;
  /** A wake-up that came while the loop was claiming rather than idle. */
  #wokenWhileBusy = false;
  /** Slots set aside for deliveries whose intake may lease them to this dispatcher. */
  #reserved = 0;
  #reservationsOver: PromiseWithResolvers<void> | undefined;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { inbox, forwarding, transactions, handlers, concurrency, logger } = this.#options;
    if (transactions && handlers.anyTransactional && transactions.poolSize <= concurrency) {
      logger.warn(
        { poolSize: transactions.poolSize, concurrency },
        'every running transactional handler holds a connection of the pool of the inbox, which is not larger than the concurrency of the dispatcher: ' +
          'intake, claims and settlements wait for a connection while handlers run. Make the pool (DATABASE_POOL_SIZE) larger than the concurrency.',
      );
    }
    this.#unsubscribe.push(
      inbox.onNewDeliveries(() => {
        this.wake();
        return this.#canClaim();
      }),
      inbox.leaseAtIntake({
        owner: this.owner,
        leaseMs: this.#leaseMs,
        reserve: () => {
          if (!this.#canClaim()) return false;
          this.#reserved += 1;
          return true;
        },
        leased: (delivery) => {
          if (!delivery) return this.#releaseReservation();
          // After the intake's own continuation, so that a handler never holds up the 200.
          setImmediate(() => {
            this.#handle(delivery);
            this.#releaseReservation();
          });
        },
      }),
    );
    if (forwarding) this.#unsubscribe.push(forwarding.onAvailabilityChange(() => this.wake()));
    this.#loop = this.#run();
  }

  /** Looks for work now rather than at the next poll. */
  wake(): void {
    if (this.#wake) this.#wake();
    else this.#wokenWhileBusy = true;
  }

  /**
   * Stops claiming; waits up to `graceMs` for handlers in flight, then gives the unfinished
   * deliveries back to the inbox so that they are handled again, here or elsewhere.
   */
  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.wake();
    await this.#loop;
    await this.#intakeReservations();
    const unfinished = [...this.#inFlight.values()];
    const deadline = sleep(graceMs, undefined, { ref: false });
    await Promise.race([Promise.all(unfinished.map(({ settled }) => settled)), deadline]);
    const released = [...this.#inFlight.entries()];
    for (const [, { abort }] of released) abort.abort(stopping);
    if (released.length > 0) {
      await this.#options.inbox.settle(
        this.owner,
        released.map(([id]) => ({ id, outcome: 'released' })),
      );
      this.#options.logger.warn(
        { released: released.map(([id]) => id), graceMs },
        'handlers still running after the grace period: their deliveries are released, to be handled again',
      );
    }
  }

  async #run(): Promise<void> {
    const { inbox, concurrency, pollIntervalMs, logger } = this.#options;
    while (this.#running) {
      const free = concurrency - this.#inFlight.size - this.#reserved;
      let claimed: ClaimedDelivery[] = [];
      if (this.#canClaim()) {
        try {
          claimed = await inbox.claim({ owner: this.owner, limit: free, leaseMs: this.#leaseMs });
        } catch (error) {
          logger.error({ err: error }, 'could not claim deliveries; trying again at the next poll');
        }
      }
      for (const delivery of claimed) this.#handle(delivery);
      // A claim takes every ready lane it has room for; new deliveries and freed slots wake the loop.
      await this.#idle(pollIntervalMs);
    }
  }

  /** A free slot, and a broker to forward to (while it is unreachable, deliveries stay in their lanes: its return wakes the loop). */
  #canClaim(): boolean {
    const { concurrency, forwarding } = this.#options;
    return this.#inFlight.size + this.#reserved < concurrency && forwarding?.available !== false;
  }

  get #leaseMs(): number {
    return leaseMsOf(this.#options, { forwarding: this.#options.forwarding !== undefined });
  }

  #releaseReservation(): void {
    this.#reserved -= 1;
    if (this.#reserved === 0) this.#reservationsOver?.resolve();
  }

  /** Resolves once every delivery whose intake was offered a lease to this dispatcher is written, and handed over if leased. */
  async #intakeReservations(): Promise<void> {
    if (this.#reserved === 0) return;
    this.#reservationsOver = Promise.withResolvers();
    await this.#reservationsOver.promise;
    this.#reservationsOver = undefined;
  }

  /** Waits for a wake-up or the poll interval, whichever comes first. */
  async #idle(ms: number): Promise<void> {
    if (!this.#running || this.#wokenWhileBusy) {
      this.#wokenWhileBusy = false;
      return;
    }
    // A plain timer rather than an aborted `sleep`: aborting builds an AbortError with its stack
    // trace, which would be paid after nearly every delivery.
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.#wake = undefined;
  }

  #handle(delivery: ClaimedDelivery): void {
    // Its lease ran out while its attempt here still runs (a process that stalled), and this dispatcher
    // claimed it again: the attempt under way settles it, under the new lease.
    if (this.#inFlight.has(delivery.id)) {
      this.#options.logger.warn(
        { deliveryId: delivery.id, attempt: delivery.attempt },
        'claimed a delivery whose attempt still runs here: its lease ran out; the attempt under way settles it',
      );
      return;
    }
    const abort = new AbortController();
    // In flight before the attempt starts: an attempt can end before its first await (a handler that throws at once).
    const settled = Promise.withResolvers<void>();
    this.#inFlight.set(delivery.id, { settled: settled.promise, abort });
    settled.resolve(this.#attempt(delivery, abort));
  }

  async #attempt(delivery: ClaimedDelivery, abort: AbortController): Promise<void> {
    const { inbox, handlers, logger, metrics, maxAttempts, forwarding, transactions } = this.#options;
    const log = logger.child({ deliveryId: delivery.id, eventType: delivery.eventType, attempt: delivery.attempt });
    const eventType = eventTypeLabel(delivery.eventType);
    const started = performance.now();
    const span = startProcessSpan(delivery, eventType);
    let settlement: Settlement;
    let failure: unknown;
    let forwarded: { outcome: ForwardOutcome; confirmedAt?: Date } | undefined;
    /** What failed: its content that cannot be read, the forward when it has no outcome yet, else the handler. */
    let failedStep: FailedStep = 'handler';
    const within = new SettlementWithin(transactions, { owner: this.owner, id: delivery.id, forwardedAt: () => forwarded?.confirmedAt });
    let transaction: TransactionOutcome | undefined;
    let handler: RegisteredHandler | undefined;
    try {
      if (delivery.unreadable !== null) {
        failedStep = 'read';
        throw new Error(`its content cannot be read: ${delivery.unreadable}`);
      }
      const event = JSON.parse(delivery.body) as { type: string };
      if (forwarding) {
        failedStep = 'forward';
        forwarded = await inActiveSpan(span, () => forwarding.forward(delivery, event));
        failedStep = 'handler';
      }
      handler = handlers.handlerFor(event.type);
      if (handler) transaction = await this.#runHandler(handler, event, { delivery, abort, log, span, within });
      settlement = { id: delivery.id, outcome: 'done' };
    } catch (error) {
      failure = error;
      if (error instanceof LeaseLost) transaction = 'lease_lost';
      else if (handler?.transactional) transaction = 'rolled_back';
      // Content that cannot be read now never will be: no attempt runs, and none is retried.
      const message = failedStep === 'read' ? (error as Error).message : describeFailure(error);
      if (error instanceof BrokerUnavailable) settlement = { id: delivery.id, outcome: 'released' };
      else if (failedStep === 'read' || delivery.attempt >= maxAttempts) settlement = { id: delivery.id, outcome: 'dead', error: message };
      else
        settlement = {
          id: delivery.id,
          outcome: 'retry',
          error: message,
          retryAt: new Date(Date.now() + this.#retryDelay(delivery.attempt)),
        };
    }
    settlement.forwardedAt = forwarded?.confirmedAt;
    if (abort.signal.reason === stopping) {
      // stop() has released it.
      endProcessSpan(span.span, 'released', failure);
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    if (transaction !== undefined) metrics.recordTransaction(transaction, eventType);
    if (transaction === 'lease_lost') {
      // Not this attempt's to settle any more: another attempt handles the delivery.
      this.#inFlight.delete(delivery.id);
      this.wake();
      endProcessSpan(span.span, 'lease_lost', undefined, transaction);
      log.warn(
        { outcome: 'lease_lost', durationMs: Math.round(seconds * 1e5) / 100 },
        'the attempt lost its lease: its settlement touched nothing, its transaction rolls back, and another attempt handles the delivery',
      );
      return;
    }
    // Done in a transaction: its settlement committed with it.
    const settledWithin = settlement.outcome === 'done' && (transaction === 'committed' || transaction === 'settled_within');
    const recorded = settledWithin ? Promise.resolve() : inbox.settle(this.owner, [settlement]);
    // The slot is free now: the claim that this wakes joins the settlement's commit, and so the
    // next delivery of a busy lane is claimed in the transaction that moved the lane on.
    this.#inFlight.delete(delivery.id);
    this.wake();
    try {
      await recorded;
    } catch (error) {
      // The lease runs out and the delivery is handled again: at least once, never lost.
      log.error({ err: error }, 'could not record the outcome of an attempt');
      endProcessSpan(span.span, settlement.outcome, error, transaction);
      return;
    }
    endProcessSpan(span.span, settlement.outcome, failure, transaction);
    const forwardOutcome: ForwardMetricOutcome | undefined =
      failedStep === 'forward' ? (settlement.outcome === 'released' ? 'unavailable' : 'failed') : forwarded?.outcome;
    if (forwardOutcome !== undefined && forwardOutcome !== 'skipped') metrics.recordForward(forwardOutcome, eventType);
    metrics.recordHandling(settlement.outcome, eventType, seconds);
    this.#log(log, settlement, failedStep, { durationMs: Math.round(seconds * 1e5) / 100, forwarded: forwardOutcome });
  }

  /**
   * Runs the handler with its timeout: in a transaction that commits with the settlement when it
   * is transactional. How its transaction ended, if it had one or settled within its own.
   */
  async #runHandler(
    handler: RegisteredHandler,
    event: unknown,
    {
      delivery,
      abort,
      log,
      span,
      within,
    }: { delivery: ClaimedDelivery; abort: AbortController; log: Logger; span: ActiveSpan; within: SettlementWithin },
  ): Promise<TransactionOutcome | undefined> {
    const { handlerTimeoutMs, transactions } = this.#options;
    const context: HandlingContext = {
      deliveryId: delivery.id,
      attempt: delivery.attempt,
      receivedAt: delivery.receivedAt,
      signal: abort.signal,
      log,
      settleWithin: (transaction) => within.settle(transaction),
    };
    const run = (given: HandlingContext | TransactionalHandlingContext) =>
      withTimeout(Promise.resolve(inActiveSpan(span, () => handler.run(event, given))), handlerTimeoutMs, abort);
    if (handler.transactional) {
      // The registry takes transactional handlers only where the inbox has transactions.
      return runInTransaction(transactions!, {
        boundMs: handlerTimeoutMs + transactionMarginMs,
        within,
        handle: (client) => run({ ...context, transaction: client }),
        stillRunning: () => abort.signal.aborted,
      });
    }
    await run(context);
    if (within.state === 'settled') return 'settled_within';
    return within.state === 'lease lost' ? 'lease_lost' : undefined;
  }

  #log(
    log: Logger,
    settlement: Settlement,
    failedStep: FailedStep,
    facts: { durationMs: number; forwarded: ForwardMetricOutcome | undefined },
  ): void {
    const line = { outcome: settlement.outcome, ...facts };
    const failed = failedStep === 'forward' ? 'forwarding failed' : 'handler failed';
    switch (settlement.outcome) {
      case 'done':
        return log.info(line, 'handled');
      case 'released':
        return log.debug(line, 'the broker is unreachable: the delivery waits in its lane');
      case 'dead':
        if (failedStep === 'read')
          return log.error({ ...line, error: settlement.error }, 'the delivery is dead: its content cannot be read');
        return log.error({ ...line, error: settlement.error }, `${failed} for the last time: the delivery is dead`);
      case 'retry':
        return log.warn({ ...line, error: settlement.error, retryAt: settlement.retryAt }, failed);
    }
  }

  /** Exponential backoff with "equal jitter": between half and all of base * 2^(attempt - 1). */
  #retryDelay(attempt: number): number {
    const ceiling = Math.min(maxRetryDelayMs, this.#options.retryBaseMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

/**
 * Waits for `work`; after `ms`, aborts `abort` and rejects with a TimeoutError instead. Stops
 * waiting, with the abort's reason, as soon as `abort` is aborted otherwise (stop() releasing the
 * attempt): a handler that ignores its signal must not hold the process open until the timeout.
 */
async function withTimeout(work: Promise<unknown>, ms: number, abort: AbortController): Promise<void> {
  // A plain timer, cleared when the work ends, rather than a sleep aborted each time (see #idle).
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`the handler took longer than ${ms} ms`);
      error.name = 'TimeoutError';
      abort.abort(error);
    }, ms);
    abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true });
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
