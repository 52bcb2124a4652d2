// `npm run inbox -- tail`: follows the inbox as it changes, by reading it, so that it sees what
// every process on the same store does (every replica on PostgreSQL). Each round reads the
// deliveries received lately, then the pending ones (a replayed delivery is pending again), then
// once more each delivery it watched that is no longer pending, to learn how it ended.
import type { DeliveryQuery, DeliveryState, Inbox, StoredDelivery } from '../../src/inbox/inbox.ts';

export type Change = 'received' | 'retrying' | 'requeued' | Exclude<DeliveryState, 'pending'>;

export interface FollowedChange {
  change: Change;
  delivery: StoredDelivery;
}

/** What a round compares to tell that a delivery changed. */
const snapshotOf = ({ state, attempts, nextAttemptAt }: StoredDelivery) => `${state}/${attempts}/${nextAttemptAt?.getTime() ?? ''}`;

/**
 * Deliveries commit a little after the time they are stamped with (a group commit, another
 * replica's clock), so each round reads this far back, and remembers what it reported that long.
 */
const lookBackMs = 10_000;
const pageSize = 500;

export class InboxFollower {
  readonly #inbox: Inbox;
  readonly #query: DeliveryQuery;
  /** Deliveries reported lately, to report each once: by id, the time received. */
  readonly #recent = new Map<string, number>();
  /** Pending deliveries reported, until they end: by id, their last snapshot. */
  readonly #watched = new Map<string, string>();
  /** Deliveries received before the follower started are reported only when they change. */
  readonly #startAt: number;
  #since: number;
  /** The pending deliveries of the first round were pending before: watched, not reported. */
  #firstRound = true;

  constructor(inbox: Inbox, query: Omit<DeliveryQuery, 'state' | 'since' | 'until'>, startAt = new Date()) {
    this.#inbox = inbox;
    this.#query = query;
    this.#startAt = this.#since = startAt.getTime();
  }

  /** One round: what changed since the last, in the order it is found. */
  async round(): Promise<FollowedChange[]> {
    const changes: FollowedChange[] = [];
    for (const delivery of await this.#receivedLately()) {
      this.#recent.set(delivery.id, delivery.receivedAt.getTime());
      this.#since = Math.max(this.#since, delivery.receivedAt.getTime());
      changes.push({ change: 'received', delivery });
      this.#watch(delivery);
    }
    const pending = await this.#inbox.list({ ...this.#query, state: 'pending', limit: 1000 });
    for (const delivery of pending) {
      const before = this.#watched.get(delivery.id);
      if (before === undefined) {
        if (!this.#firstRound) changes.push({ change: 'requeued', delivery });
      } else if (before !== snapshotOf(delivery)) changes.push({ change: 'retrying', delivery });
      this.#watch(delivery);
    }
    const stillPending = new Set(pending.map(({ id }) => id));
    for (const id of [...this.#watched.keys()].filter((watched) => !stillPending.has(watched))) {
      const delivery = await this.#inbox.get(id);
      this.#watched.delete(id);
      if (delivery && delivery.state !== 'pending') changes.push({ change: delivery.state, delivery });
    }
    this.#firstRound = false;
    for (const [id, receivedAt] of this.#recent) if (receivedAt < this.#since - 2 * lookBackMs) this.#recent.delete(id);
    return changes;
  }

  #watch(delivery: StoredDelivery): void {
    if (delivery.state === 'pending') this.#watched.set(delivery.id, snapshotOf(delivery));
  }

  /** Deliveries received since the last round (and a little before), not reported yet, oldest first. */
  async #receivedLately(): Promise<StoredDelivery[]> {
    const since = new Date(this.#since - lookBackMs);
    const found: StoredDelivery[] = [];
    let after: StoredDelivery | undefined;
    for (;;) {
      const page = await this.#inbox.list({ ...this.#query, since, after, limit: pageSize });
      found.push(...page.filter(({ id, receivedAt }) => !this.#recent.has(id) && receivedAt.getTime() >= this.#startAt));
      if (page.length < pageSize) break;
      after = page.at(-1);
    }
    return found.reverse();
  }
}
