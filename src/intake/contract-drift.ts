// Contract drift as the receiver watches it: what each delivery it stores shows of the contract's
// gaps (contract/drift.ts) is counted in memory and added to the inbox's summaries once a second,
// so that intake pays a microsecond or two and no write of its own. Bounded whatever a sender
// does: per event type at most `maxDifferencesPerType` differences are kept apart, and at most
// `maxUnknownTypes` unknown event types; the rest is counted as `beyond_cap`. The first sighting
// of a difference is one log line, for an alert; the metric counts the differences known. Paths
// and values are bounded by the observer (contract/drift.ts), and so are those the inbox holds from
// before there was a bound, once learnt.
import type { Logger } from 'pino';
import {
  createDriftObserver,
  describeDrift,
  driftKey,
  keptPath,
  keptValue,
  type DriftDifference,
  type DriftObserver,
  type DriftObservation,
} from '../contract/drift.ts';
import type { ContractDocument } from '../contract/document.ts';
import { eventTypeLabel } from '../contract/events.ts';
import type { Violation } from '../contract/validation.ts';
import { addSightings, type DriftSummary, type Inbox } from '../inbox/inbox.ts';

const maxDifferencesPerType = 200;
const maxUnknownTypes = 100;
export const driftFlushIntervalMs = 1000;

interface ContractDriftOptions {
  inbox: Inbox;
  logger: Logger;
  /** The contract, dereferenced. */
  contract: ContractDocument;
  /** Keep an example value of each unknown field, not only its type. */
  exampleValues: boolean;
}

export class ContractDrift {
  readonly #inbox: Inbox;
  readonly #logger: Logger;
  readonly #observer: DriftObserver;
  /** Every difference the inbox holds or this process saw, by key. */
  readonly #known = new Map<string, DriftDifference>();
  readonly #differencesOfType = new Map<string, number>();
  #unknownTypes = 0;
  /** Sightings not added to the inbox yet. */
  #pending = new Map<string, DriftSummary>();
  #flushing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  /** Starts watching, knowing the differences the inbox already holds. */
  static async open(options: ContractDriftOptions): Promise<ContractDrift> {
    // Read before the watcher starts its timer: a read that fails leaves nothing running.
    const held = await options.inbox.drift();
    const drift = new ContractDrift(options);
    for (const summary of held) drift.#learn({ ...summary, path: keptPath(summary.path), detail: keptValue(summary.detail) });
    return drift;
  }

  private constructor({ inbox, logger, contract, exampleValues }: ContractDriftOptions) {
    this.#inbox = inbox;
    this.#logger = logger;
    this.#observer = createDriftObserver(contract, { exampleValues });
    this.#timer = setInterval(() => void this.flush(), driftFlushIntervalMs).unref();
  }

  /** A delivery stored as pending. */
  accepted(id: string, event: unknown): void {
    this.#count(id, this.#observer.accepted(event));
  }

  /** A delivery stored in quarantine. */
  quarantined(id: string, event: unknown, violations: readonly Violation[]): void {
    this.#count(id, this.#observer.quarantined(event, violations));
  }

  /** How many differences are known, by event type (as the metrics name it) and kind. */
  differences(): Map<string, { eventType: string; kind: string; count: number }> {
    const counts = new Map<string, { eventType: string; kind: string; count: number }>();
    for (const { eventType, kind } of this.#known.values()) {
      const label = eventTypeLabel(eventType);
      const key = `${label} ${kind}`;
      const entry = counts.get(key) ?? { eventType: label, kind, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    return counts;
  }

  /** Adds what was seen since the last time to the inbox; what it cannot add waits for the next time. One at a time. */
  flush(): Promise<void> {
    // Cleared in a callback of its own, which runs after the assignment even when there was nothing to write.
    this.#flushing ??= this.#record().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flushing;
    await this.flush();
  }

  async #record(): Promise<void> {
    const batch = this.#pending;
    if (batch.size === 0) return;
    this.#pending = new Map();
    try {
      await this.#inbox.recordDrift([...batch.values()]);
    } catch (error) {
      // Back before what was seen meanwhile: the example stays the first one.
      for (const [key, summary] of batch) {
        const meanwhile = this.#pending.get(key);
        this.#pending.set(key, meanwhile ? addSightings(summary, meanwhile) : summary);
      }
      this.#logger.debug({ err: error }, 'could not record contract drift; trying again in a second');
    }
  }

  #count(id: string, observations: DriftObservation[]): void {
    const now = new Date();
    /** Each difference counts a delivery once, those beyond the cap included. */
    const counted = new Set<string>();
    for (const seen of observations) {
      let observation = seen;
      let key = driftKey(observation);
      if (!this.#known.has(key)) {
        if (this.#full(observation)) {
          observation = {
            eventType: seen.kind === 'unknown_event_type' ? 'unknown' : seen.eventType,
            kind: 'beyond_cap',
            path: '',
            detail: '',
          };
          key = driftKey(observation);
        }
        if (!this.#known.has(key)) {
          this.#learn(observation);
          this.#logger.warn(
            {
              deliveryId: id,
              eventType: observation.eventType,
              kind: observation.kind,
              path: observation.path,
              detail: observation.detail,
            },
            `contract drift in ${observation.eventType}: ${describeDrift(observation)}`,
          );
        }
      }
      if (counted.has(key)) continue;
      counted.add(key);
      const { eventType, kind, path, detail, exampleValue = null } = observation;
      this.#add(key, { eventType, kind, path, detail, deliveries: 1, firstSeenAt: now, lastSeenAt: now, exampleId: id, exampleValue });
    }
  }

  #full({ eventType, kind }: DriftObservation): boolean {
    if (kind === 'unknown_event_type') return this.#unknownTypes >= maxUnknownTypes;
    return (this.#differencesOfType.get(eventType) ?? 0) >= maxDifferencesPerType;
  }

  #learn(observation: DriftDifference): void {
    this.#known.set(driftKey(observation), {
      eventType: observation.eventType,
      kind: observation.kind,
      path: observation.path,
      detail: observation.detail,
    });
    if (observation.kind === 'unknown_event_type') this.#unknownTypes += 1;
    else if (observation.kind !== 'beyond_cap')
      this.#differencesOfType.set(observation.eventType, (this.#differencesOfType.get(observation.eventType) ?? 0) + 1);
  }

  #add(key: string, summary: DriftSummary): void {
    const before = this.#pending.get(key);
    this.#pending.set(key, before ? addSightings(before, summary) : summary);
  }
}
