// Puts stored deliveries back to pending so that the dispatcher handles them again. A quarantined
// delivery is first validated against the contract as it is now: "Ada sent something new ->
// edit the spec -> regenerate -> replay". Each replayed delivery starts a new trace, linked to the
// one it had.
import { eventTypeLabel } from '../contract/events.ts';
import type { Validate, Violation } from '../contract/validation.ts';
import type { DeliveryFilter, DeliveryState, Inbox, StoredDelivery } from '../inbox/inbox.ts';
import { startReplayTrace } from '../operations/tracing.ts';

export const replayableStates = ['dead', 'quarantined'] as const satisfies readonly DeliveryState[];
type ReplayableState = (typeof replayableStates)[number];

export const isReplayableState = (state: string | undefined): state is ReplayableState =>
  replayableStates.some((replayable) => replayable === state);

/** One delivery by id (in any state but pending), or every delivery in a replayable state that the rest of the filter matches. */
export type ReplayFilter = { id: string } | ({ state: ReplayableState } & Pick<DeliveryFilter, 'eventType' | 'lane' | 'since' | 'until'>);

export type ReplayOutcome =
  | { id: string; outcome: 'requeued'; from: DeliveryState }
  | { id: string; outcome: 'still quarantined'; violations: Violation[] }
  | { id: string; outcome: 'already pending' };

interface ReplayOptions {
  inbox: Inbox;
  /** Validates a delivery body against the current contract. */
  validateDelivery: Validate;
  dryRun?: boolean;
}

export async function replay({ inbox, validateDelivery, dryRun = false }: ReplayOptions, filter: ReplayFilter): Promise<ReplayOutcome[]> {
  const deliveries =
    'id' in filter
      ? [await inbox.get(filter.id)].filter((delivery) => delivery !== undefined)
      : await inbox.list({ ...filter, limit: Number.MAX_SAFE_INTEGER });

  const outcomes: ReplayOutcome[] = deliveries.map((delivery) => decide(delivery, validateDelivery));
  if (dryRun) return outcomes;

  for (const outcome of outcomes) {
    if (outcome.outcome === 'still quarantined') await inbox.updateViolations(outcome.id, outcome.violations);
  }
  const requeued = deliveries.filter((_delivery, index) => outcomes[index]!.outcome === 'requeued');
  await inbox.requeue(
    requeued.map((delivery) => ({ id: delivery.id, traceContext: startReplayTrace(delivery, eventTypeLabel(delivery.eventType)) })),
  );
  return outcomes;
}

function decide(delivery: StoredDelivery, validateDelivery: Validate): ReplayOutcome {
  const { id, state } = delivery;
  if (state === 'pending') return { id, outcome: 'already pending' };
  if (state === 'quarantined') {
    const violations = validateDelivery(JSON.parse(delivery.body));
    if (violations.length > 0) return { id, outcome: 'still quarantined', violations };
  }
  return { id, outcome: 'requeued', from: state };
}
