// A soak run's plan, drawn from its seed alone: every request to send (when, what, signed how,
// and what answer and fate it calls for) and every fault to inject (when, which, for how long).
// The same seed and options give the same plan, whatever happens while it runs: a failing seed
// replays.
import { createHash } from 'node:crypto';
import { loadContract, webhookExamples } from '../../src/contract/document.ts';
import { knownEventNames } from '../../src/contract/events.ts';
import { defaultToleranceSeconds } from '../../src/intake/signature.ts';
import { maxDeliveryIdBytes } from '../../src/inbox/storable.ts';
import type { SoakOptions } from './options.ts';
import { SeededRandom } from './random.ts';

/** The receiver's body limit in the soak: the service's default (BODY_LIMIT unset). */
export const bodyLimit = 1024 * 1024;
/**
 * What the broker's proxy cuts the connection on, whenever a client sends it: a refusal that
 * nobody foresaw, as a broker that closes the connection on one message makes. A delivery that
 * carries it must end dead with the reason, and hold its lane no longer than that.
 */
export const poisonMarker = 'soak-poison-7f3a';

/** The longest that AMQP's short strings (a message id) take, in bytes. */
const amqpShortStringBytes = 255;

/**
 * What a request calls for: `stored` (2xx, then done or dead with its reason), `quarantined`
 * (422, stored with its violations), and refusals that store nothing: `unsigned` (401),
 * `too-large` (413), `refused` (400, an id no store keys).
 */
export type Expectation = 'stored' | 'quarantined' | 'unsigned' | 'too-large' | 'refused';

export const operationKinds = [
  'event',
  'unknown-type',
  'twin',
  'retry',
  'near-limit',
  'past-limit',
  'broker-limit-id',
  'overlong-id',
  'odd-ids',
  'deep',
  'new-field',
  'new-enum-value',
  'violation',
  'unsigned',
  'wrong-signature',
  'stale',
  'future',
  'stray-parts',
  'poison',
] as const;
export type OperationKind = (typeof operationKinds)[number];

/** A difference from the contract that a request shows, to be found in the inbox's drift. */
export interface ExpectedDrift {
  eventType: string;
  kind: 'unknown_field' | 'unlisted_value';
  path: string;
}

export interface PlannedRequest {
  /** Its place in the plan. */
  index: number;
  kind: OperationKind;
  /** When to send it, from the start of traffic. */
  atMs: number;
  id: string;
  body: string;
  signing: 'valid' | 'none' | 'wrong';
  /** Added to the current time for its signed timestamp. */
  timestampOffsetSeconds: number;
  /** Sent twice at once. */
  twin: boolean;
  query: string;
  headers: Record<string, string>;
  expect: Expectation;
  drift?: ExpectedDrift;
}

export const faultKinds = [
  'receiver-kill',
  'broker-cut',
  'nats-restart',
  'postgres-terminate',
  'full-disk',
  'timestamps-near-tolerance',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface PlannedFault {
  kind: FaultKind;
  atMs: number;
  durationMs: number;
  /** Which receiver process a kill takes (of two replicas on PostgreSQL). */
  target: number;
}

export interface SoakPlan {
  options: SoakOptions;
  requests: PlannedRequest[];
  faults: PlannedFault[];
  /** Idle gaps: no request is sent from `atMs` for `durationMs`. */
  idleGaps: { atMs: number; durationMs: number }[];
  /** A digest of everything above: two plans are the same when their digests are. */
  digest: string;
}

const weights: Record<OperationKind, number> = {
  event: 60,
  'unknown-type': 4,
  twin: 5,
  retry: 6,
  'near-limit': 0.4,
  'past-limit': 0.3,
  'broker-limit-id': 1,
  'overlong-id': 0.5,
  'odd-ids': 3,
  deep: 1,
  'new-field': 2,
  'new-enum-value': 2,
  violation: 3,
  unsigned: 1,
  'wrong-signature': 1,
  stale: 1,
  future: 1,
  'stray-parts': 3,
  // Planned at its own times, not drawn.
  poison: 0,
};
/** Weights in thousandths, for the integer draw. */
const drawWeights = Object.fromEntries(Object.entries(weights).map(([kind, weight]) => [kind, weight * 10])) as Record<
  OperationKind,
  number
>;

/** The faults a configuration can have. */
export function faultKindsOf({ backend, forward }: Pick<SoakOptions, 'backend' | 'forward'>): FaultKind[] {
  return faultKinds.filter((kind) => {
    if (kind === 'broker-cut') return forward !== 'none';
    if (kind === 'nats-restart') return forward === 'nats';
    if (kind === 'postgres-terminate') return backend === 'postgres';
    if (kind === 'full-disk') return backend === 'sqlite';
    return true;
  });
}

/** Conversations' ids as a sender may choose them: dots, unicode, NATS wildcards, CR/LF, long ones. */
const oddConversationIds = ['conv.with.dots', 'conv*star', 'conv>greater', 'conv\r\nline', 'разговор-ü-😀', ' ', 'c'.repeat(600)];

const eventTypesWithConversation = knownEventNames.filter((type) => type.startsWith('v1.conversation.'));

class PlanBuilder {
  readonly random: SeededRandom;
  readonly options: SoakOptions;
  readonly requests: PlannedRequest[] = [];
  readonly #examples = new Map<string, Record<string, unknown>[]>();
  /** Each conversation's event clock, in milliseconds from the plan's epoch. */
  readonly #clocks: number[];
  readonly #conversationIds: string[];
  readonly #epoch = Date.parse('2026-01-01T00:00:00Z');
  #deliveries = 0;

  constructor(options: SoakOptions) {
    this.options = options;
    this.random = new SeededRandom(options.seed);
    const contract = loadContract();
    for (const type of knownEventNames) this.#examples.set(type, [...webhookExamples(contract, type).values()]);
    const conversations = 12 + Math.round(options.minutes * 8);
    this.#conversationIds = Array.from({ length: conversations }, (_, n) =>
      n < oddConversationIds.length ? oddConversationIds[n]! : `conv-${n}`,
    );
    this.#clocks = this.#conversationIds.map(() => this.random.int(0, 86_400_000));
  }

  nextId(): string {
    this.#deliveries += 1;
    return `soak_${this.options.seed}_${this.#deliveries}`;
  }

  /** An event of `type` in a conversation of the pool, at a time that runs on, or back (out of order). */
  event(type: string = this.random.pick(knownEventNames)): Record<string, any> {
    const example = structuredClone(this.random.pick(this.#examples.get(type) ?? this.#examples.get('v1.conversation.created')!));
    const conversation = this.random.int(0, this.#conversationIds.length - 1);
    const step = this.random.chance(0.2) ? -this.random.int(1, 60_000) : this.random.int(1, 60_000);
    this.#clocks[conversation]! += step;
    const event = { ...example, type, timestamp: new Date(this.#epoch + this.#clocks[conversation]!).toISOString() } as Record<string, any>;
    const data = event['data'] as Record<string, unknown>;
    if ('conversation_id' in data) data['conversation_id'] = this.#conversationIds[conversation];
    if ('end_user_id' in data) data['end_user_id'] = `user-${conversation % 7}`;
    return event;
  }

  add(
    request: Omit<PlannedRequest, 'index' | 'signing' | 'timestampOffsetSeconds' | 'twin' | 'query' | 'headers' | 'expect'> &
      Partial<PlannedRequest>,
  ) {
    this.requests.push({
      signing: 'valid',
      timestampOffsetSeconds: 0,
      twin: false,
      query: '',
      headers: {},
      expect: 'stored',
      ...request,
      index: this.requests.length,
    });
  }

  /** Adds one operation of `kind` at `atMs`. */
  operation(kind: OperationKind, atMs: number): void {
    const random = this.random;
    const base = { kind, atMs };
    const plain = () => ({ ...base, id: this.nextId(), body: JSON.stringify(this.event()) });
    switch (kind) {
      case 'event':
        return this.add(plain());
      case 'unknown-type': {
        const event = this.event('v1.conversation.created');
        return this.add({
          ...base,
          id: this.nextId(),
          body: JSON.stringify({ ...event, type: `v1.soak_probe.event_${random.int(0, 3)}` }),
        });
      }
      case 'twin':
        return this.add({ ...plain(), twin: true });
      case 'retry': {
        const earlier = this.requests.filter((request) => request.expect === 'stored');
        if (earlier.length === 0) return this.add(plain());
        const again = random.pick(earlier.slice(-200));
        return this.add({ ...base, id: again.id, body: again.body, drift: again.drift });
      }
      case 'near-limit':
      case 'past-limit': {
        const event = this.event('v1.conversation.message');
        event['data'].content = { type: 'text', body: '' };
        const size = JSON.stringify(event).length;
        const target = kind === 'near-limit' ? bodyLimit - random.int(0, 4096) : bodyLimit + random.int(1, 4096);
        event['data'].content.body = 'soak '.repeat(Math.ceil((target - size) / 5)).slice(0, target - size);
        return this.add({
          ...base,
          id: this.nextId(),
          body: JSON.stringify(event),
          expect: kind === 'near-limit' ? 'stored' : 'too-large',
        });
      }
      case 'broker-limit-id': {
        const bytes = random.pick([amqpShortStringBytes, amqpShortStringBytes + 1, random.int(300, maxDeliveryIdBytes)]);
        const id = `${this.nextId()}_`.padEnd(bytes, 'i');
        return this.add({ ...base, id, body: JSON.stringify(this.event()) });
      }
      case 'overlong-id':
        return this.add({
          ...base,
          id: `${this.nextId()}_`.padEnd(maxDeliveryIdBytes + random.int(1, 200), 'o'),
          body: JSON.stringify(this.event()),
          expect: 'refused',
        });
      case 'odd-ids': {
        // HTTP headers carry Latin-1 at most: the rest of unicode, and CR/LF, go into the body's ids.
        const id = `${this.nextId()}${random.pick(['.a.b', '.*', '.>', '.é', ' with space', '%2E'])}`;
        const event = this.event(random.pick(eventTypesWithConversation));
        return this.add({ ...base, id, body: JSON.stringify(event) });
      }
      case 'deep': {
        const event = this.event('v1.conversation.created');
        let nested: Record<string, unknown> = { leaf: 'soak' };
        for (let depth = random.int(20, 120); depth > 0; depth -= 1) nested = { nested };
        event['data'].soak_deep = nested;
        return this.add({ ...base, id: this.nextId(), body: JSON.stringify(event) });
      }
      case 'new-field': {
        const event = this.event('v1.conversation.ended');
        const field = `soak_field_${random.int(0, 5)}`;
        event['data'][field] = random.int(0, 1_000_000).toString(36);
        return this.add({
          ...base,
          id: this.nextId(),
          body: JSON.stringify(event),
          drift: { eventType: event['type'], kind: 'unknown_field', path: `data.${field}` },
        });
      }
      case 'new-enum-value': {
        const event = this.event('v1.conversation.message');
        event['data'].author.role = `soak_role_${random.int(0, 5)}`;
        // The contract's enums are closed: a new value is quarantined, and its drift recorded.
        return this.add({
          ...base,
          id: this.nextId(),
          body: JSON.stringify(event),
          expect: 'quarantined',
          drift: { eventType: event['type'], kind: 'unlisted_value', path: 'data.author.role' },
        });
      }
      case 'violation': {
        const event = this.event('v1.conversation.created');
        event['data'].channel_id = random.int(0, 1000);
        return this.add({ ...base, id: this.nextId(), body: JSON.stringify(event), expect: 'quarantined' });
      }
      case 'unsigned':
        return this.add({ ...plain(), signing: 'none', expect: 'unsigned' });
      case 'wrong-signature':
        return this.add({ ...plain(), signing: 'wrong', expect: 'unsigned' });
      case 'stale':
        return this.add({ ...plain(), timestampOffsetSeconds: -defaultToleranceSeconds - random.int(30, 3600), expect: 'unsigned' });
      case 'future':
        return this.add({ ...plain(), timestampOffsetSeconds: defaultToleranceSeconds + random.int(30, 3600), expect: 'unsigned' });
      case 'poison': {
        const event = this.event('v1.conversation.message');
        event['data'].content = { type: 'text', body: `every broker connection that carries this ends: ${poisonMarker}` };
        return this.add({ ...base, id: this.nextId(), body: JSON.stringify(event) });
      }
      case 'stray-parts':
        return this.add({
          ...plain(),
          query: `?soak=${random.int(0, 9)}&type=v1.end_user.created&id=other`,
          headers: {
            traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`,
            'x-forwarded-for': '203.0.113.9',
            'x-soak-stray': 'stray',
            'webhook-id': 'a-stray-unbranded-id',
          },
        });
    }
  }
}

/** The faults of a run: one at a time, seeded gaps and lengths. */
function planFaults(random: SeededRandom, options: SoakOptions, trafficMs: number): PlannedFault[] {
  const kinds = faultKindsOf(options);
  const faults: PlannedFault[] = [];
  const short = options.minutes < 2;
  let atMs = random.int(2000, 4000);
  let round: FaultKind[] = [];
  while (atMs < trafficMs - 2000) {
    // Each kind in turn, in a seeded order; a receiver's kill first, the fault every run must have.
    if (round.length === 0)
      round =
        faults.length === 0
          ? ['receiver-kill', ...random.shuffle(kinds.filter((other) => other !== 'receiver-kill'))]
          : random.shuffle(kinds);
    const kind = round.shift()!;
    const durationMs = kind === 'postgres-terminate' ? 0 : short ? random.int(1000, 3000) : random.int(2000, 20_000);
    faults.push({ kind, atMs, durationMs, target: random.int(0, options.backend === 'postgres' ? 1 : 0) });
    atMs += durationMs + (short ? random.int(1000, 2500) : random.int(10_000, 40_000));
  }
  return faults;
}

export function planSoak(options: SoakOptions): SoakPlan {
  const builder = new PlanBuilder(options);
  const { random } = builder;
  const trafficMs = Math.round(options.minutes * 60_000);
  const short = options.minutes < 2;
  const faults = planFaults(random, options, trafficMs);
  const idleGaps: SoakPlan['idleGaps'] = [];
  let nextGapAtMs = short ? random.int(trafficMs / 4, trafficMs / 2) : random.int(30_000, 90_000);
  // The first before the first fault (which comes 2 s in at the earliest).
  let nextPoisonAtMs = options.forward === 'none' ? Infinity : random.int(200, 900);
  // Poison goes out between faults, so that its cuts are its own.
  const duringFault = (atMs: number) => faults.some((fault) => atMs >= fault.atMs - 1000 && atMs <= fault.atMs + fault.durationMs + 5000);
  const poisonEveryMs = short ? trafficMs / 2 : 120_000;
  let atMs = 0;
  while (atMs < trafficMs) {
    if (atMs >= nextPoisonAtMs && !duringFault(atMs)) {
      builder.operation('poison', atMs);
      nextPoisonAtMs += poisonEveryMs;
    }
    if (atMs >= nextGapAtMs) {
      const durationMs = short ? random.int(2500, 4000) : random.int(5000, 45_000);
      idleGaps.push({ atMs, durationMs });
      atMs += durationMs;
      nextGapAtMs = short ? Infinity : atMs + random.int(45_000, 120_000);
      // What runs on a timer must work after idle time as in the first second: drift first, after each gap.
      builder.operation('new-field', atMs);
      builder.operation('new-enum-value', atMs);
    }
    builder.operation(random.weighted(drawWeights), atMs);
    atMs += random.int(10, 110);
  }
  for (const fault of faults.filter(({ kind }) => kind === 'timestamps-near-tolerance')) {
    for (const request of builder.requests) {
      const during = request.atMs >= fault.atMs && request.atMs < fault.atMs + fault.durationMs;
      if (during && request.expect === 'stored' && request.timestampOffsetSeconds === 0) {
        request.timestampOffsetSeconds = random.pick([-1, 1]) * (defaultToleranceSeconds - random.int(10, 30));
      }
    }
  }
  const digest = createHash('sha256')
    .update(JSON.stringify([options, builder.requests, faults, idleGaps]))
    .digest('hex')
    .slice(0, 16);
  return { options, requests: builder.requests, faults, idleGaps, digest };
}
