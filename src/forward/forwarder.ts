// What the dispatcher needs from a broker: publish one message and learn that the broker has it.
// Each broker's forwarder keeps its connection alive by itself and says when it cannot publish.
import type { Availability } from '../support/availability.ts';
import type { ForwardedMessage } from './message.ts';
import type { Broker } from './settings.ts';

/** `duplicate`: JetStream already held a message with this id, inside its duplicate window, and kept only the first. */
export type PublishOutcome = 'published' | 'duplicate';

/**
 * The broker could not be reached, or did not answer in time: no fault of the delivery's. The
 * attempt is given back without counting, and deliveries wait in their lanes until it is back.
 */
export class BrokerUnavailable extends Error {
  override name = 'BrokerUnavailable';
}

export interface Forwarder {
  readonly broker: Broker;
  /** The broker and its stream or exchange, for logs: no password. */
  readonly destination: string;
  /** The first attempt to connect; when it fails, the forwarder keeps trying every second. */
  connect(): Promise<void>;
  /** Whether it can publish: connected, with its stream or exchange in place. */
  availability(): Availability;
  /** Calls `listener` when it becomes unable to publish, and when it can again. Returns a function that removes it. */
  onAvailabilityChange(listener: (availability: Availability) => void): () => void;
  /**
   * Resolves once the broker confirmed that it holds the message. Rejects with BrokerUnavailable
   * when the broker cannot be reached; with another error when it refused the message.
   */
  publish(message: ForwardedMessage): Promise<PublishOutcome>;
  close(): Promise<void>;
}
