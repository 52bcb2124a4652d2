// What the dispatcher needs from a broker: publish one message and learn that the broker has it.
// Each broker's forwarder keeps its connection alive by itself and says when it cannot publish.
import { withoutPassword } from '../support/settings-reader.ts';
import { ProbedAvailability, type Availability } from '../support/availability.ts';
import type { Readiness } from '../../generated/ada-webhooks.ts';
import type { ForwardedMessage } from './message.ts';

/** The brokers that deliveries can be forwarded to, as readiness names them. */
export type Broker = NonNullable<Readiness['forwarding']>['broker'];

/** `duplicate`: JetStream already held a message with this id, inside its duplicate window, and kept only the first. */
export type PublishOutcome = 'published' | 'duplicate';

/** How long a publish waits for the broker's confirm before the broker counts as unreachable. */
export const confirmTimeoutMs = 5000;

/** How long a publish waits at most for its turn, behind deliveries published alone (see PublishGate). */
export const turnWaitLimitMs = confirmTimeoutMs;

/** The longest that a forward takes: its wait for its turn, then for the confirm. A lease covers it. */
export const forwardBudgetMs = turnWaitLimitMs + confirmTimeoutMs;

/**
 * The broker could not be reached, or did not answer in time: no fault of the delivery's. The
 * attempt is given back without counting, and deliveries wait in their lanes until it is back.
 */
export class BrokerUnavailable extends Error {
  override name = 'BrokerUnavailable';
}

/**
 * The broker refused the user name or password of FORWARD_URL: a mistake of the configuration,
 * which no retry mends until someone corrects it (the forwarder still retries, so that a fix on
 * the broker's side needs no restart).
 */
export class CredentialsRefused extends BrokerUnavailable {
  override name = 'CredentialsRefused';
}

/**
 * The broker answers, and takes no message now, whatever it holds: a stream full with its limits
 * reached, out of resources, offline, or no longer taking the configured subjects. The system's
 * condition, not a message's: an outage like an unreachable broker, of which no delivery is
 * suspected, and which lasts until a probe finds that it takes messages again.
 */
export class BrokerRefusesAll extends BrokerUnavailable {
  override name = 'BrokerRefusesAll';
}

/**
 * The broker, or its client, refuses this message on its own merit (too large, a field too long,
 * no queue to route it to...): the delivery's failure, counted like a failing handler's, retried
 * with backoff, then dead with this reason. What can be checked before publishing is checked
 * then, so that nothing is sent that would be refused.
 */
export class MessageRefused extends Error {
  override name = 'MessageRefused';
}

export interface Forwarder {
  readonly broker: Broker;
  /** The broker and its stream or exchange, for logs: no password. */
  readonly destination: string;
  /** The stream or exchange alone: where a send span says the messages go. */
  readonly destinationName: string;
  /** The first attempt to connect; when it fails, the forwarder keeps trying every second. */
  connect(): Promise<void>;
  /** Whether it can publish: connected, with its stream or exchange in place. */
  availability(): Availability;
  /** Calls `listener` when it becomes unable to publish, and when it can again. Returns a function that removes it. */
  onAvailabilityChange(listener: (availability: Availability) => void): () => void;
  /**
   * Resolves once the broker confirmed that it holds the message. Rejects with BrokerUnavailable
   * when the broker cannot be reached, and with MessageRefused when it, or its client, refuses
   * this message.
   */
  publish(message: ForwardedMessage): Promise<PublishOutcome>;
  close(): Promise<void>;
}

/** The longest that publishes are held back after the broker refused every message again and again, with no way to learn that it takes them. */
const longestHoldMs = 30_000;

/**
 * What both forwarders share: the broker counts as unreachable until a probe (`prepare`, run
 * every second while it fails) connects and finds the stream or exchange in place and able to take
 * messages, and again whenever a publish gets no answer, or an answer that refuses every message.
 */
export abstract class ProbedForwarder {
  readonly destination: string;
  readonly destinationName: string;
  readonly #url: string;
  readonly #availability: ProbedAvailability;
  #closed = false;
  /** Times in a row that the broker refused every message, with none taken between. */
  #refusalsInARow = 0;
  /** No probe passes before this time: a refusal that the probe cannot see is not retried every second. */
  #heldUntil = 0;

  /** `target`: the stream or the exchange, and its name. */
  constructor(url: string, target: { kind: 'stream' | 'exchange'; name: string }) {
    this.#url = withoutPassword(url);
    this.destination = `${this.#url} ${target.kind} ${target.name}`;
    this.destinationName = target.name;
    this.#availability = new ProbedAvailability(async () => {
      try {
        if (this.#closed) throw new Error('the forwarder is closed');
        const held = this.#availability.current;
        if (Date.now() < this.#heldUntil && !held.available) throw new Error(held.reason);
        await this.prepare();
      } catch (error) {
        // What keeps it failing now, which may not be what made it fail.
        this.#availability.lost((error as Error).message);
        throw error;
      }
    });
    this.#availability.lost(`not connected to ${this.#url} yet`);
  }

  /**
   * Connects if need be, and checks that the stream or exchange is there and, after the broker
   * refused every message, that it can take one again as far as it tells; throws when it cannot.
   */
  protected abstract prepare(): Promise<void>;

  connect(): Promise<void> {
    return this.#availability.check();
  }

  availability(): Availability {
    return this.#availability.current;
  }

  onAvailabilityChange(listener: (availability: Availability) => void): () => void {
    return this.#availability.onChange(listener);
  }

  /** Throws BrokerUnavailable while the broker is unreachable: nothing is sent to find out. */
  protected requireAvailable(): void {
    const availability = this.#availability.current;
    if (!availability.available) throw new BrokerUnavailable(availability.reason);
  }

  /** The connection is gone: probing starts. */
  protected lost(reason: string): void {
    this.#availability.lost(reason);
  }

  /** A publish got no answer: the broker counts as unreachable, and this is what to throw. */
  protected unreachable(
    error: unknown,
    reason = `could not publish to ${this.destination}: ${(error as Error).message}`,
  ): BrokerUnavailable {
    this.#availability.lost(reason);
    return new BrokerUnavailable(reason, { cause: error });
  }

  /**
   * The broker refused a message for a reason of its own (see BrokerRefusesAll): it counts as
   * unable to take messages until a probe finds otherwise; each time it refuses again before
   * taking one, probes wait twice as long to let publishes find out, up to 30 s.
   */
  protected refusingAll(error: unknown, reason: string): BrokerRefusesAll {
    if (this.#availability.current.available) {
      this.#refusalsInARow += 1;
      this.#heldUntil = Date.now() + Math.min(longestHoldMs, 1000 * 2 ** (this.#refusalsInARow - 1));
      this.#availability.lost(reason);
    }
    return new BrokerRefusesAll(reason, { cause: error });
  }

  /** The broker took a message. */
  protected took(): void {
    this.#refusalsInARow = 0;
  }

  /** Stops probing; the subclass closes its connection. */
  protected stopProbing(): void {
    this.#closed = true;
    this.#availability.stop();
  }

  /** `reconnecting to <url>`, for a probe that finds the connection down. */
  protected reconnecting(): Error {
    return new Error(`reconnecting to ${this.#url}`);
  }
}
