// What the receiver, the dispatcher and the commands need from a store. Small on purpose, so that
// another backend (PostgreSQL) can implement it with the same guarantees: every write is durable
// when its promise resolves.
import type { Violation } from '../contract.ts';

export const deliveryStates = ['pending', 'quarantined', 'done', 'dead'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

export interface NewDelivery {
  /** The delivery id (`svix-id`), the same on every retry: the inbox's key. */
  id: string;
  /** The body's `type` when it is a string; null when the body has none. */
  eventType: string | null;
  receivedAt: Date;
  /** The signature headers and a few others, kept for audit. */
  headers: Record<string, string>;
  /** The body exactly as received. */
  body: string;
  /** Deliveries that share a key are handled one at a time (see dispatcher/ordering.ts). */
  orderingKey: string | null;
  /** The event's own time in milliseconds, which orders deliveries that share a key. */
  eventTime: number | null;
}

export interface StoredDelivery extends NewDelivery {
  state: DeliveryState;
  /** Why a quarantined delivery violates the contract; empty otherwise. */
  violations: Violation[];
  /** Handler attempts so far. */
  attempts: number;
  /** The error of the last failed attempt. */
  lastError: string | null;
}

/** A pending delivery leased to one dispatcher until it settles it or the lease runs out. */
export interface ClaimedDelivery {
  id: string;
  eventType: string | null;
  body: string;
  receivedAt: Date;
  /** 1 for the first attempt. */
  attempt: number;
}

export type Settlement =
  | { id: string; outcome: 'done' }
  | { id: string; outcome: 'retry'; error: string; retryAt: Date }
  | { id: string; outcome: 'dead'; error: string }
  /** Given back unfinished (the dispatcher is stopping): the attempt does not count. */
  | { id: string; outcome: 'released' };

/** `duplicate`: the inbox already held this delivery id, and nothing was written. */
export type StoreOutcome = 'stored' | 'duplicate';

export interface DeliveryFilter {
  state?: DeliveryState;
  eventType?: string;
  /** Received at or after. */
  since?: Date;
  limit: number;
}

export interface ClaimOptions {
  /** Who claims: only the owner of a lease can settle it. */
  owner: string;
  limit: number;
  leaseMs: number;
  now?: Date;
}

export interface Inbox {
  /** Stores a valid delivery as pending. It replaces a quarantined delivery with the same id. */
  accept(delivery: NewDelivery): Promise<StoreOutcome>;
  /** Stores a delivery that violates the contract, with its violations. */
  quarantine(delivery: NewDelivery, violations: Violation[]): Promise<StoreOutcome>;
  get(id: string): Promise<StoredDelivery | undefined>;
  /** Newest first. */
  list(filter: DeliveryFilter): Promise<StoredDelivery[]>;
  countByState(): Promise<Record<DeliveryState, number>>;
  /** When the oldest pending delivery was received, if any is pending. */
  oldestPending(): Promise<Date | undefined>;

  /**
   * Leases up to `limit` pending deliveries that are due, oldest event first. A delivery is not
   * claimed while another one with its ordering key is leased or older and still pending.
   */
  claim(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Records how attempts ended; ignores deliveries whose lease `owner` no longer holds. */
  settle(owner: string, settlements: Settlement[]): Promise<void>;
  /** Puts deliveries that are dead, quarantined or done back to pending, as if new. Returns how many. */
  requeue(ids: string[]): Promise<number>;
  /** Replaces the violations of a delivery that is still quarantined. */
  updateViolations(id: string, violations: Violation[]): Promise<void>;

  /** Rejects when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
