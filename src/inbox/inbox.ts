// What the receiver needs from a store. Small on purpose, so that another backend (PostgreSQL)
// can implement it with the same guarantees: every write is durable when its promise resolves.
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
}

export interface StoredDelivery extends NewDelivery {
  state: DeliveryState;
  /** Why a quarantined delivery violates the contract; empty otherwise. */
  violations: Violation[];
}

/** `duplicate`: the inbox already held this delivery id, and nothing was written. */
export type StoreOutcome = 'stored' | 'duplicate';

export interface DeliveryFilter {
  state?: DeliveryState;
  limit: number;
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
  /** Rejects when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
