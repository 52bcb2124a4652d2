// Puts stored deliveries back to pending so that the dispatcher handles them again. A quarantined
// delivery is first validated against the contract as it is now: "Ada sent something new ->
// edit the spec -> regenerate -> replay". Each replayed delivery starts a new trace, linked to the
// one it had. The inspector and `npm run replay` both replay through here.
import { eventTypeLabel } from '../contract/events.ts';
import type { Validate, Violation } from '../contract/validation.ts';
import type { DeliveryQuery, DeliveryState, Inbox, StoredDelivery } from '../inbox/inbox.ts';
import { startReplayTrace } from '../telemetry/tracing.ts';

/** Every state but pending, which is about to run anyway. */
export const replayableStates = ['dead', 'quarantined', 'done'] as const satisfies readonly DeliveryState[];
type ReplayableState = (typeof replayableStates)[number];

export const isReplayableState = (state: string | undefined): state is ReplayableState =>
  replayableStates.some((replayable) => replayable === state);

/** More matching deliveries than this are replayed only once a person confirms, having seen what would be. */
export const confirmationThreshold = 100;

/** One delivery by id (in any state but pending), or every delivery in a replayable state that the rest of the filter matches. */
export type ReplayFilter = { id: string } | ({ state: ReplayableState } & Omit<DeliveryQuery, 'state'>);

export type ReplayOutcome =
  | { id: string; outcome: 'requeued'; from: DeliveryState }
  | { id: string; outcome: 'still quarantined'; violations: Violation[] }
  | { id: string; outcome: 'already pending' }
  /** Set aside for good from quarantine: a replay leaves it. */
  | { id: string; outcome: 'discarded' }
  /** Its content cannot be read (its end user's data was erased, or it failed to decrypt): nothing to run again. */
  | { id: string; outcome: 'unreadable'; reason: string };

interface ReplayOptions {
  inbox: Inbox;
  /** Validates a delivery body against the current contract. */
  validateDelivery: Validate;
  dryRun?: boolean;
}

/** Deliveries read and replayed at a time, so that replaying a million holds a page in memory, not the million. */
const pageSize = 500;

export async function replay({ inbox, validateDelivery, dryRun = false }: ReplayOptions, filter: ReplayFilter): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  for await (const page of matching(inbox, filter)) {
    const decided = page.map((delivery) => decide(delivery, validateDelivery));
    outcomes.push(...decided);
    if (dryRun) continue;
    for (const outcome of decided) {
      if (outcome.outcome === 'still quarantined') await inbox.updateViolations(outcome.id, outcome.violations);
    }
    const requeued = page.filter((_delivery, index) => decided[index]!.outcome === 'requeued');
    await inbox.requeue(
      requeued.map((delivery) => ({ id: delivery.id, traceContext: startReplayTrace(delivery, eventTypeLabel(delivery.eventType)) })),
    );
  }
  return outcomes;
}

/** The deliveries a filter selects, a page at a time, newest first. */
export async function* matching(inbox: Inbox, filter: { id: string } | DeliveryQuery): AsyncGenerator<StoredDelivery[]> {
  if ('id' in filter) {
    const delivery = await inbox.get(filter.id);
    if (delivery) yield [delivery];
    return;
  }
  let after: StoredDelivery | undefined;
  do {
    const page = await inbox.list({ ...filter, after, limit: pageSize });
    if (page.length > 0) yield page;
    after = page.length === pageSize ? page.at(-1) : undefined;
  } while (after);
}

function decide(delivery: StoredDelivery, validateDelivery: Validate): ReplayOutcome {
  const { id, state, unreadable } = delivery;
  if (unreadable !== null) return { id, outcome: 'unreadable', reason: unreadable };
  if (state === 'pending') return { id, outcome: 'already pending' };
  if (state === 'discarded') return { id, outcome: 'discarded' };
  if (state === 'quarantined') {
    const violations = validateDelivery(JSON.parse(delivery.body));
    if (violations.length > 0) return { id, outcome: 'still quarantined', violations };
  }
  return { id, outcome: 'requeued', from: state };
}
