// When the writer thread commits what it has received. Each commit pays a fixed cost, its fsync
// above all, which is most of the writer's CPU when a commit carries few writes. Deliveries are
// committed at once: their 200 waits for it. The dispatcher's writes (settlements and claims) are
// answered to no sender; under load they came between the deliveries' commits and paid for
// commits of their own, most of the commits (BENCHMARKS.md). So while deliveries keep coming, the
// dispatcher's writes wait for the next delivery's commit and ride it; when none has come for a
// while (a drain, an idle receiver), they are committed at once. A settlement committed later
// changes no promise: its handler already ran, and until its commit a crash hands the delivery
// out again, as it would a moment earlier; its lane moves on at that commit.
import type { WriteOperation } from './writes.ts';

/** How long the dispatcher's writes wait for a delivery's commit to ride, at most. */
export const rideWindowMs = 20;
/** Deliveries keep coming when the last one came no longer ago than this. */
export const deliveriesFlowingMs = 20;

const dispatcherWrites = new Set<WriteOperation['kind']>(['settle', 'claim']);

/** Whether `operations` hold a delivery to store, whose sender waits for the commit. */
export const holdsDelivery = (operations: readonly WriteOperation[]): boolean =>
  operations.some(({ kind }) => kind === 'accept' || kind === 'quarantine');

/**
 * How long to wait before committing `operations`, in milliseconds: 0 to commit at once, which is
 * always the case for anything but the dispatcher's writes. `lastDeliveryAt`: when the writer last
 * received a delivery, on the clock of `now`.
 */
export function commitDelay(operations: readonly WriteOperation[], lastDeliveryAt: number, now: number): number {
  if (!operations.every(({ kind }) => dispatcherWrites.has(kind))) return 0;
  return now - lastDeliveryAt <= deliveriesFlowingMs ? rideWindowMs : 0;
}
