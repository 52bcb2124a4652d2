// Leases at intake, shared by the backends (see LeaseAtIntake in inbox.ts): the claimer is asked
// for room before a delivery is written, the write leases the delivery when it heads a ready lane
// (most often one it created), and the claimer is handed what was leased once the write is over.
import type { ClaimedDelivery, LeaseAtIntake, NewDelivery, StoreOutcome } from './inbox.ts';
import type { DerivedFields } from './ordering.ts';
import { timeOrNull, traceContextColumn, traceContextFromColumn } from './rows.ts';

/** Whom a write leases the delivery to, when it heads a ready lane: the claimer, until a time in milliseconds. */
export interface IntakeLease {
  owner: string;
  until: number;
}

/** How a leased delivery's attempt started, as the store recorded it. */
export interface StartedAttempt {
  attempts: number;
  forwardedAt: number | null;
}

/** A write of one delivery: its outcome, and its attempt when the write leased it. */
export interface IntakeResult {
  outcome: StoreOutcome;
  started?: StartedAttempt | undefined;
}

/** What a leased delivery is handed over with, besides the delivery itself. */
type LeasedFields = Pick<DerivedFields, 'eventType' | 'lane'>;

export class IntakeLeases {
  #claimer: LeaseAtIntake | undefined;

  register(claimer: LeaseAtIntake): () => void {
    if (this.#claimer) throw new Error(`this inbox already leases at intake to ${this.#claimer.owner}: one claimer per inbox`);
    this.#claimer = claimer;
    return () => {
      if (this.#claimer === claimer) this.#claimer = undefined;
    };
  }

  /**
   * Writes one delivery (`fields`: what the backend derived from it), with a lease to offer when
   * the claimer has room; `leased` when the write gave it one.
   */
  async write(
    delivery: NewDelivery,
    fields: LeasedFields,
    store: (lease: IntakeLease | undefined) => Promise<IntakeResult>,
  ): Promise<{ outcome: StoreOutcome; leased: boolean }> {
    const claimer = this.#claimer;
    if (!claimer?.reserve()) return { outcome: (await store(undefined)).outcome, leased: false };
    let claimed: ClaimedDelivery | undefined;
    try {
      const { outcome, started } = await store({ owner: claimer.owner, until: Date.now() + claimer.leaseMs });
      claimed = started && claimedAtIntake(delivery, fields, started);
      return { outcome, leased: claimed !== undefined };
    } finally {
      claimer.leased(claimed);
    }
  }
}

/** A delivery leased by its own intake, as a claim would have returned it. */
function claimedAtIntake(
  delivery: NewDelivery,
  { eventType, lane }: LeasedFields,
  { attempts, forwardedAt }: StartedAttempt,
): ClaimedDelivery {
  return {
    id: delivery.id,
    eventType,
    body: delivery.body,
    receivedAt: delivery.receivedAt,
    lane,
    attempt: attempts,
    forwardedAt: timeOrNull(forwardedAt),
    traceContext: traceContextFromColumn(traceContextColumn(delivery.traceContext)),
    unreadable: null,
  };
}
