// What telemetry reads of the parts it reports on, as the few members it reads: the inbox, the
// forwarding and the contract drift meet these shapes without telemetry importing them, since
// they import telemetry to record their own metrics and spans.
import type { Readiness } from '../../generated/ada-webhooks.ts';
import type { Availability } from '../support/availability.ts';

export interface ObservedInbox {
  /** Every state present, zero when none is in it. */
  countByState(): Promise<Readonly<Record<string, number>>>;
  oldestPending(): Promise<Date | undefined>;
  /** How many deliveries are erased (their end user's data). */
  countErased(): Promise<number>;
  /** Resolves when the inbox can be reached and written. */
  ping(): Promise<void>;
  /** Calls `listener` each time it becomes unavailable, or available again. Returns a function that removes it. */
  onAvailabilityChange(listener: (availability: Availability) => void): () => void;
}

export interface ObservedForwarding {
  readonly broker: NonNullable<Readiness['forwarding']>['broker'];
  /** Whether the broker takes messages now. */
  readonly available: boolean;
  /** Age of the oldest pending delivery that waits to be forwarded (0 when none waits). */
  lagSeconds(): Promise<number>;
}

export interface ObservedDrift {
  /** The differences from the contract seen so far, counted by event type and kind. */
  differences(): ReadonlyMap<string, { eventType: string; kind: string; count: number }>;
}
