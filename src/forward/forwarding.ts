// Forwarding as the dispatcher and the operator see it: which deliveries are published, whether
// the broker takes them now, and how far behind it is.
//
// No single delivery holds its lane for ever. A delivery whose publish found the broker unreachable
// (or that RabbitMQ nacked) is published alone the next time, with nothing else under way; if it
// fails so again, the fault is the delivery's own (a message that the broker closes the connection
// on, an ack that never comes: refusals that nobody foresaw), and the attempt counts as failed. A
// broker that refuses every message for a reason of its own (a full stream) suspects nobody.
import type { Logger } from 'pino';
import { isSelected, type ClaimedDelivery, type EventTypeSelection, type Inbox } from '../inbox/inbox.ts';
import type { Availability } from '../support/availability.ts';
import { inSendSpan } from '../telemetry/tracing.ts';
import {
  BrokerRefusesAll,
  BrokerUnavailable,
  CredentialsRefused,
  MessageRefused,
  turnWaitLimitMs,
  type Broker,
  type Forwarder,
  type PublishOutcome,
} from './forwarder.ts';
import { forwardedMessage } from './message.ts';
import { PublishGate, TurnNotCome } from './publish-gate.ts';

/** `skipped`: its type is not forwarded, or an earlier attempt had it confirmed already. */
export type ForwardOutcome = PublishOutcome | 'skipped';

/** How many suspects are remembered (the oldest are forgotten first). */
const suspectsAtMost = 10_000;

interface ForwardingOptions {
  forwarder: Forwarder;
  types: EventTypeSelection;
  inbox: Inbox;
  logger: Logger;
}

export class Forwarding {
  readonly #forwarder: Forwarder;
  readonly #types: EventTypeSelection;
  readonly #inbox: Inbox;
  readonly #stopLogging: () => void;
  readonly #gate = new PublishGate(turnWaitLimitMs);
  /** Deliveries whose last publish found the broker unreachable: the next is published alone. */
  readonly #suspects = new Set<string>();

  constructor({ forwarder, types, inbox, logger }: ForwardingOptions) {
    this.#forwarder = forwarder;
    this.#types = types;
    this.#inbox = inbox;
    const destination = forwarder.destination;
    let failureLogged = false;
    const failing = (reason: string) => {
      failureLogged = true;
      logger.warn({ destination, brokerError: reason }, 'forwarding is failing: deliveries wait in their lanes until the broker is back');
    };
    this.#stopLogging = forwarder.onAvailabilityChange((availability) => {
      if (!availability.available) return failing(availability.reason);
      // The first connection at start is no return: it is said once connect() resolves.
      if (!failureLogged) return;
      failureLogged = false;
      logger.info({ destination }, 'forwarding works again: waiting deliveries go out in order');
    });
    forwarder.connect().then(
      () => logger.info({ destination }, 'forwarding accepted deliveries'),
      (error: unknown) => {
        if (!(error instanceof CredentialsRefused)) return failing((error as Error).message);
        failureLogged = true;
        logger.error(
          { destination, brokerError: error.message },
          'forwarding cannot start: the broker refused authentication with the user and password of FORWARD_URL; correct them (deliveries wait in their lanes, and it keeps trying)',
        );
      },
    );
  }

  get broker(): Broker {
    return this.#forwarder.broker;
  }

  /** Whether the broker takes messages now; while it does not, nothing is claimed. */
  get available(): boolean {
    return this.#forwarder.availability().available;
  }

  onAvailabilityChange(listener: (availability: Availability) => void): () => void {
    return this.#forwarder.onAvailabilityChange(listener);
  }

  /**
   * Publishes a claimed delivery, in a send span, unless its type is not forwarded or an earlier
   * attempt did. Resolves once the broker confirmed it, with when that was; rejects as the
   * forwarder does, and with BrokerUnavailable when its turn to publish did not come in time. Takes
   * at most forwardBudgetMs.
   */
  async forward(delivery: ClaimedDelivery, event: { type: string }): Promise<{ outcome: ForwardOutcome; confirmedAt?: Date }> {
    if (delivery.forwardedAt !== null || !isSelected(this.#types, event.type)) return { outcome: 'skipped' };
    const forwarder = this.#forwarder;
    // The broker's name is the system's name in the messaging conventions.
    const target = { system: forwarder.broker, destination: forwarder.destinationName, messageId: delivery.id };
    const alone = this.#suspects.has(delivery.id);
    // A publish tried while the broker is known to be unreachable sends nothing, and shows nothing of the delivery.
    let sent = false;
    const publish = () => {
      sent = this.available;
      return inSendSpan(target, (traceContext) => forwarder.publish(forwardedMessage(delivery, event, traceContext)));
    };
    let outcome: PublishOutcome;
    try {
      outcome = await (alone ? this.#gate.alone(publish) : this.#gate.beside(publish));
    } catch (error) {
      if (error instanceof TurnNotCome) {
        throw new BrokerUnavailable(`waited ${turnWaitLimitMs} ms for its turn to publish, behind deliveries published alone`, {
          cause: error,
        });
      }
      throw sent ? this.#judged(delivery.id, error, alone) : error;
    }
    this.#suspects.delete(delivery.id);
    return { outcome, confirmedAt: new Date() };
  }

  /**
   * What a failed publish that was sent means: an unreachable broker the first time, the delivery's
   * own failure when it went alone; never the delivery's when the broker refuses every message.
   */
  #judged(id: string, error: unknown, alone: boolean): unknown {
    if (error instanceof BrokerRefusesAll) return error;
    if (!(error instanceof BrokerUnavailable)) {
      this.#suspects.delete(id);
      return error;
    }
    if (alone) {
      return new MessageRefused(
        `the broker failed each time this delivery was published, the last time with nothing else under way: ${error.message}`,
        { cause: error },
      );
    }
    this.#suspects.add(id);
    if (this.#suspects.size > suspectsAtMost) this.#suspects.delete(this.#suspects.values().next().value!);
    return error;
  }

  /** Age of the oldest pending delivery that waits to be forwarded, in seconds (0 when none waits). */
  async lagSeconds(): Promise<number> {
    const oldest = await this.#inbox.oldestUnforwarded(this.#types);
    return oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0;
  }

  async close(): Promise<void> {
    this.#stopLogging();
    await this.#forwarder.close();
  }
}
