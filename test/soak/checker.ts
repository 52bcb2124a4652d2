// The soak's checker: once the system is quiet, it reads the inbox, the broker and the handlers'
// record, and checks the history of the run (the plan, the answers, the faults) against the
// receiver's promises, one invariant at a time. Each invariant says how many cases it checked and
// which deliveries break it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forwardBudgetMs } from '../../src/forward/forwarder.ts';
import { driftFlushIntervalMs } from '../../src/intake/contract-drift.ts';
import type { Inbox, StoredDelivery } from '../../src/inbox/inbox.ts';
import type { BrokerCopy } from './broker.ts';
import type { InjectedFault } from './fault-schedule.ts';
import type { InspectorRead } from './inspector-reads.ts';
import type { RunLine } from './handlers.ts';
import type { ExpectedDrift, FaultKind, PlannedRequest, SoakPlan } from './plan.ts';
import type { Answered } from './traffic.ts';

export interface InvariantResult {
  name: string;
  checked: number;
  /** The deliveries that break it, each with what was seen. */
  violations: string[];
  /** How many cases each kind of fault excused, where faults excuse some. */
  excused?: Record<string, number>;
}

/** One handler run, from its start and end lines. */
export interface Run {
  id: string;
  attempt: number;
  pid: number;
  start: number;
  behaviour: string;
  end?: number;
  outcome?: 'succeeded' | 'failed';
}

/** What the checker reads once the system is quiet. */
export interface Observed {
  deliveries: StoredDelivery[];
  runs: Run[];
  /** Every message the broker holds, in order; undefined without forwarding. */
  brokerCopies: BrokerCopy[] | undefined;
  broker: 'nats' | 'rabbitmq' | undefined;
  drift: Awaited<ReturnType<Inbox['drift']>>;
  pending: number;
  /** Lanes that still have pending deliveries, by key. */
  heldLanes: string[];
  /** Each receiver's forwarding lag as its metrics say, when it forwards. */
  forwardingLags: number[];
  /** Resident memory samples in megabytes, by process. */
  memory: Map<number, number[]>;
  spans: number;
  /** The inspector's list, read while traffic was sent. */
  inspectorReads: InspectorRead[];
  /** The deliveries whose body the database holds as it was received, unencrypted. */
  inClear: string[];
}

/** The faults that stop the store, or the process, and so can make intake or the inspector answer
 * 503 or not at all, and lose a settlement: a broker's outage or a timestamp near the tolerance cannot. */
const storeStoppers: readonly FaultKind[] = ['receiver-kill', 'postgres-terminate', 'full-disk'];
/** How long after a fault is healed a valid delivery may still be refused or go unanswered. */
const recoveryMs = 3000;
/** A handler's timeout in the soak (HANDLER_TIMEOUT_SECONDS=1). */
const handlerTimeoutMs = 1000;
/** How long a claim leases a delivery in the soak: the forward's budget, then twice the handler's timeout. */
const leaseMs = forwardBudgetMs + 2 * handlerTimeoutMs;
/** The most resident memory a receiver may take, in megabytes. */
export const memoryLimitMb = Number(process.env['SOAK_MEMORY_LIMIT_MB'] ?? 700);

/** Every delivery of the inbox, page by page. */
export async function allDeliveries(inbox: Inbox): Promise<StoredDelivery[]> {
  const deliveries: StoredDelivery[] = [];
  for (;;) {
    const last = deliveries.at(-1);
    const page = await inbox.list({ limit: 500, ...(last ? { after: { receivedAt: last.receivedAt, id: last.id } } : {}) });
    deliveries.push(...page);
    if (page.length < 500) return deliveries;
  }
}

/** The handlers' record: every run, from the files of every process. An end line closes the
 * earliest open run of its delivery and attempt in its process: the same attempt can run twice in
 * one process (a claim lost and taken again), and each run counts. */
export function readRuns(directory: string): Run[] {
  const runs: Run[] = [];
  const open = new Map<string, Run[]>();
  for (const file of readdirSync(directory)) {
    for (const text of readFileSync(join(directory, file), 'utf8').split('\n')) {
      if (!text) continue;
      const line = JSON.parse(text) as RunLine;
      const key = JSON.stringify([line.id, line.attempt, line.pid]);
      if (line.phase === 'start') {
        const run: Run = { id: line.id, attempt: line.attempt, pid: line.pid, start: line.at, behaviour: line.behaviour };
        runs.push(run);
        open.set(key, [...(open.get(key) ?? []), run]);
      } else {
        const run = open.get(key)?.shift();
        if (!run) throw new Error(`the handlers' record ends a run it never started: ${text}`);
        Object.assign(run, { end: line.at, outcome: line.outcome });
      }
    }
  }
  return runs.sort((a, b) => a.start - b.start);
}

/** The violation of an invariant that every run must have cases for, and this one had none. */
export const vacuous = 'vacuous: no case to check, where every run must have some';

const isSuccess = (status: number | null) => status !== null && status >= 200 && status < 300;
const expectedStatus = { stored: 200, quarantined: 422, unsigned: 401, 'too-large': 413, refused: 400 } as const;
const shown = (id: string) => JSON.stringify(id.length > 80 ? `${id.slice(0, 77)}...` : id);

/** When the delivery's lane could have been settled at the earliest after this run: its end, or its timeout for a run that ignored it. */
const settledNoEarlierThan = (run: Run) => (run.behaviour === 'ignore-abort' ? run.start + handlerTimeoutMs - 100 : run.end);

interface DeliveryHistory {
  id: string;
  requests: PlannedRequest[];
  firstSentAt: number;
  firstAcceptedAt: number | undefined;
  /** When it was first answered 422, stored in quarantine. */
  firstQuarantinedAt: number | undefined;
  runs: Run[];
  stored: StoredDelivery | undefined;
}

/** What a dead delivery died of, by its last error. */
export function deathOf({ lastError }: Pick<StoredDelivery, 'lastError'>): string {
  if (!lastError) return 'no reason';
  if (lastError.includes('soak: this attempt')) return 'its handler failed';
  if (/timed out|abort/i.test(lastError)) return 'its handler timed out';
  if (lastError.includes('each time this delivery was published')) return 'the broker failed it each time';
  return `the broker refused it: ${lastError.replace(/\d+/g, 'N').slice(0, 60)}`;
}

export function check(
  plan: SoakPlan,
  answers: readonly Answered[],
  faults: readonly InjectedFault[],
  observed: Observed,
): InvariantResult[] {
  const results: InvariantResult[] = [];
  /** Records an invariant; one `required` fails when it checked nothing, since every run has cases for it. */
  const invariant = (
    name: string,
    checked: number,
    violations: string[],
    { required = false, excused }: { required?: boolean; excused?: Map<string, number> } = {},
  ) =>
    results.push({
      name,
      checked,
      violations: required && checked === 0 ? [vacuous] : violations,
      ...(excused ? { excused: Object.fromEntries(excused) } : {}),
    });

  const histories = new Map<string, DeliveryHistory>();
  const historyOf = (id: string) => {
    let history = histories.get(id);
    if (!history)
      histories.set(
        id,
        (history = {
          id,
          requests: [],
          firstSentAt: Infinity,
          firstAcceptedAt: undefined,
          firstQuarantinedAt: undefined,
          runs: [],
          stored: undefined,
        }),
      );
    return history;
  };
  for (const answer of answers) {
    const request = plan.requests[answer.index]!;
    const history = historyOf(request.id);
    if (!history.requests.includes(request)) history.requests.push(request);
    history.firstSentAt = Math.min(history.firstSentAt, answer.sentAt);
    if (isSuccess(answer.status)) history.firstAcceptedAt = Math.min(history.firstAcceptedAt ?? Infinity, answer.answeredAt);
    if (answer.status === 422) history.firstQuarantinedAt = Math.min(history.firstQuarantinedAt ?? Infinity, answer.answeredAt);
  }
  for (const run of observed.runs) historyOf(run.id).runs.push(run);
  const storedCounts = new Map<string, number>();
  for (const delivery of observed.deliveries) {
    historyOf(delivery.id).stored = delivery;
    storedCounts.set(delivery.id, (storedCounts.get(delivery.id) ?? 0) + 1);
  }
  const all = [...histories.values()];

  // Answers. A 503, or no answer, is excused only by a fault that stops the store (or the process)
  // while the request is under way, or within the recovery after it.
  const storeStopperDuring = (from: number, to: number) =>
    faults.find(
      (fault) => storeStoppers.includes(fault.kind) && !fault.skipped && from <= fault.healedAt + recoveryMs && to >= fault.injectedAt,
    );
  const excuses = (status: number | null, from: number, to: number, counts: Map<string, number>) => {
    const fault = status === 503 || status === null ? storeStopperDuring(from, to) : undefined;
    if (fault) counts.set(fault.kind, (counts.get(fault.kind) ?? 0) + 1);
    return fault !== undefined;
  };
  const excusedAnswers = new Map<string, number>();
  const wrongAnswers: string[] = [];
  for (const answer of answers) {
    const request = plan.requests[answer.index]!;
    const expected = expectedStatus[request.expect];
    const right = request.expect === 'stored' ? isSuccess(answer.status) : answer.status === expected;
    if (!right && !excuses(answer.status, answer.sentAt, answer.answeredAt, excusedAnswers))
      wrongAnswers.push(`${shown(request.id)} (${request.kind}): ${answer.status ?? 'no answer'}, expected ${expected}`);
  }
  invariant(
    'every request got the answer its kind calls for (503 or none only while a fault stopped the store)',
    answers.length,
    wrongAnswers,
    { required: true, excused: excusedAnswers },
  );

  const excusedReads = new Map<string, number>();
  invariant(
    'the inspector answered every read (503 or none only while a fault stopped the store)',
    observed.inspectorReads.length,
    observed.inspectorReads
      .filter(({ status, sentAt, answeredAt }) => status !== 200 && !excuses(status, sentAt, answeredAt, excusedReads))
      .map(({ path, status }) => `${path}: ${status ?? 'no answer'}`),
    { excused: excusedReads },
  );

  const accepted = all.filter((history) => history.firstAcceptedAt !== undefined);
  invariant(
    'every delivery answered 2xx is stored, exactly once',
    accepted.length,
    [
      ...accepted.filter((history) => !history.stored).map((history) => `${shown(history.id)}: answered 2xx, not in the inbox`),
      ...[...storedCounts].filter(([, count]) => count > 1).map(([id, count]) => `${shown(id)}: stored ${count} times`),
    ],
    { required: true },
  );

  const signedIds = new Set(plan.requests.filter((request) => request.expect !== 'unsigned').map((request) => request.id));
  invariant(
    'nothing unsigned is stored',
    observed.deliveries.length,
    observed.deliveries
      .filter((delivery) => !signedIds.has(delivery.id))
      .map((delivery) => `${shown(delivery.id)}: stored, never sent signed`),
    { required: true },
  );

  const valid = observed.deliveries.filter((delivery) => delivery.state !== 'quarantined');
  const forwarding = observed.brokerCopies !== undefined;
  /** Why a dead delivery's death does not fit its runs and the run's configuration; undefined when it does. */
  const unexplainedDeath = (delivery: StoredDelivery): string | undefined => {
    const death = deathOf(delivery);
    if (death === 'no reason') return 'dead without a reason';
    const runs = histories.get(delivery.id)?.runs ?? [];
    if (death.startsWith('the broker')) return forwarding ? undefined : `dead of the broker (${death}) with forwarding off`;
    const failingBehaviours = death === 'its handler timed out' ? ['time-out', 'ignore-abort'] : ['throw', 'reject'];
    const lastAttempt = runs.filter((run) => run.attempt === delivery.attempts);
    // A forward's time-out reads like a handler's: then the last attempt's handler never ran.
    if (forwarding && death === 'its handler timed out' && lastAttempt.length === 0) return undefined;
    if (!lastAttempt.some((run) => run.outcome === 'failed' && failingBehaviours.includes(run.behaviour)))
      return `dead (${death}) after ${delivery.attempts} attempts, but no run of attempt ${delivery.attempts} failed that way (${runs.length} runs)`;
    return undefined;
  };
  invariant(
    'every stored valid delivery is done, or dead with a reason its runs show',
    valid.length,
    valid.flatMap((delivery) => {
      if (delivery.state === 'done') return [];
      const why = delivery.state === 'dead' ? unexplainedDeath(delivery) : delivery.state;
      return why ? [`${shown(delivery.id)}: ${why}`] : [];
    }),
    { required: true },
  );

  const violating = all.filter((history) => history.requests.some((request) => request.expect === 'quarantined'));
  invariant(
    'every violation is quarantined with its violations',
    violating.length,
    violating
      .filter(
        (history) => history.stored || answers.some((answer) => plan.requests[answer.index]!.id === history.id && answer.status === 422),
      )
      .filter((history) => history.stored?.state !== 'quarantined' || history.stored.violations.length === 0)
      .map(
        (history) =>
          `${shown(history.id)}: ${history.stored ? `${history.stored.state}, ${history.stored.violations.length} violations` : 'answered 422, not stored'}`,
      ),
  );

  const ran = all.filter((history) => history.runs.length > 0);
  invariant(
    "a delivery's handler ran at most as often as its attempts",
    ran.length,
    ran
      .filter((history) => history.runs.length > (history.stored?.attempts ?? 0))
      .map((history) => `${shown(history.id)}: ${history.runs.length} runs, ${history.stored?.attempts ?? 'not stored, no'} attempts`),
    { required: true },
  );

  // One lease at a time: a delivery's next run starts only once the one before it is settled (a
  // run cut short by a kill has no end, and its lease is left to expire).
  const overlapping = ran.flatMap((history) =>
    history.runs.flatMap((later, index) =>
      history.runs
        .slice(0, index)
        .filter((earlier) => later.start < (settledNoEarlierThan(earlier) ?? -Infinity))
        .map(
          (earlier) =>
            `${shown(history.id)}: attempt ${later.attempt} (process ${later.pid}) started while attempt ${earlier.attempt} (process ${earlier.pid}) ran`,
        ),
    ),
  );
  invariant("a delivery's runs never overlap (one lease at a time)", ran.length, overlapping, { required: true });

  // A run after a success is a violation unless a fault could have lost the success's settlement.
  const settlementLostBetween = (from: number, to: number) =>
    faults.some(
      (fault) => storeStoppers.includes(fault.kind) && !fault.skipped && fault.injectedAt <= to && fault.healedAt + recoveryMs >= from,
    );
  const succeeded = all.filter((history) => history.runs.some((run) => run.outcome === 'succeeded'));
  invariant(
    'no handler ran again after it succeeded (a retry of a done delivery runs nothing)',
    succeeded.length,
    succeeded.flatMap((history) => {
      const success = history.runs.find((run) => run.outcome === 'succeeded')!;
      const again = history.runs.filter((run) => run.start > success.end! && !settlementLostBetween(success.end!, run.start));
      const lastSucceeded = history.runs.at(-1) === success;
      const lost = settlementLostBetween(success.end!, success.end! + leaseMs);
      const notDone =
        lastSucceeded && !lost && history.stored?.state !== 'done'
          ? [`${shown(history.id)}: its last run succeeded, the delivery is ${history.stored?.state ?? 'not stored'}`]
          : [];
      return [
        ...notDone,
        ...again.map((run) => `${shown(history.id)}: attempt ${run.attempt} ran after attempt ${success.attempt} succeeded`),
      ];
    }),
  );

  // Order within a lane, among deliveries that waited together: B older than A, B stored before
  // A was sent, B still unsettled when A was answered (so both were pending at once). Then B's
  // handler, and B's message, come before A's.
  const lanes = new Map<string, DeliveryHistory[]>();
  for (const history of all) {
    const lane = history.stored?.lane;
    if (!lane || lane.startsWith('delivery:') || history.stored!.state === 'quarantined') continue;
    lanes.set(lane, [...(lanes.get(lane) ?? []), history]);
  }
  const firstCopy = new Map<string, number>();
  observed.brokerCopies?.forEach((copy, position) => {
    if (!firstCopy.has(copy.id)) firstCopy.set(copy.id, position);
  });
  const pairs: [before: DeliveryHistory, after: DeliveryHistory][] = [];
  for (const members of lanes.values()) {
    for (const older of members) {
      const lastRun = older.runs.at(-1);
      const settledAfter = lastRun && settledNoEarlierThan(lastRun);
      if (older.firstAcceptedAt === undefined || settledAfter === undefined) continue;
      for (const younger of members) {
        if (younger.stored!.eventTime <= older.stored!.eventTime || younger.firstAcceptedAt === undefined) continue;
        if (older.firstAcceptedAt < younger.firstSentAt && settledAfter > younger.firstAcceptedAt) pairs.push([older, younger]);
      }
    }
  }
  invariant(
    'within a conversation, handlers ran in event-time order among deliveries waiting together',
    pairs.length,
    pairs
      .filter(([older, younger]) => younger.runs.length > 0 && younger.runs[0]!.start < settledNoEarlierThan(older.runs.at(-1)!)!)
      .map(
        ([older, younger]) =>
          `${shown(younger.id)} ran before ${shown(older.id)}, older and waiting with it in ${older.stored!.lane}, was settled`,
      ),
    { required: true },
  );

  if (observed.brokerCopies) {
    const copies = new Map<string, number>();
    for (const copy of observed.brokerCopies) copies.set(copy.id, (copies.get(copy.id) ?? 0) + 1);
    const forwarded = observed.deliveries.filter((delivery) => delivery.forwardedAt);
    const storedIds = new Set(observed.deliveries.map((delivery) => delivery.id));
    const once = observed.broker === 'nats';
    invariant(`the broker holds every forwarded delivery ${once ? 'once' : 'at least once'}, and nothing else`, forwarded.length, [
      ...forwarded
        .filter((delivery) => (once ? copies.get(delivery.id) !== 1 : !copies.has(delivery.id)))
        .map((delivery) => `${shown(delivery.id)}: forwarded, held ${copies.get(delivery.id) ?? 0} times`),
      ...observed.deliveries
        .filter((delivery) => delivery.state === 'done' && !delivery.forwardedAt)
        .map((delivery) => `${shown(delivery.id)}: done, never forwarded`),
      ...[...copies.keys()].filter((id) => !storedIds.has(id)).map((id) => `${shown(id)}: held by the broker, not in the inbox`),
    ]);
    const poisoned = all.filter((history) => history.stored && history.requests.some((request) => request.kind === 'poison'));
    invariant(
      'no delivery holds its lane for ever: one the broker cuts the connection on is dead, with the reason',
      poisoned.length,
      poisoned
        .filter(({ stored }) => stored!.state !== 'dead' || !stored!.lastError?.includes('broker'))
        .map(({ id, stored }) => `${shown(id)}: ${stored!.state}${stored!.lastError ? ` (${stored!.lastError.slice(0, 120)})` : ''}`),
    );
    const poisonIds = new Set(poisoned.map(({ id }) => id));
    const diedOfOutages = observed.deliveries.filter(
      (delivery) => delivery.state === 'dead' && deathOf(delivery) === 'the broker failed it each time' && !poisonIds.has(delivery.id),
    );
    invariant(
      "only a poison message dies of the broker's failures: an outage kills no delivery",
      observed.deliveries.filter((delivery) => delivery.state === 'dead').length,
      diedOfOutages.map(({ id, lastError }) => `${shown(id)}: dead, ${lastError!.slice(0, 160)}`),
    );
    const forwardedPairs = pairs.filter(([older, younger]) => firstCopy.has(older.id) && firstCopy.has(younger.id));
    invariant(
      "each conversation's messages are in order",
      forwardedPairs.length,
      forwardedPairs
        .filter(([older, younger]) => firstCopy.get(younger.id)! < firstCopy.get(older.id)!)
        .map(
          ([older, younger]) =>
            `${shown(younger.id)} is held before ${shown(older.id)}, older and waiting with it in ${older.stored!.lane}`,
        ),
    );
  }

  // Drift is counted in memory and added to the inbox once a second: a kill loses what was seen in
  // the second before it, which a later delivery that shows the same difference records again.
  const storedAt = (id: string) => histories.get(id)?.firstAcceptedAt ?? histories.get(id)?.firstQuarantinedAt;
  const lostToAKill = (at: number) =>
    faults.some(
      (fault) =>
        fault.kind === 'receiver-kill' &&
        fault.injectedAt >= at - driftFlushIntervalMs &&
        fault.injectedAt <= at + 2 * driftFlushIntervalMs,
    );
  const drifting = [
    ...new Map(
      plan.requests.filter((request) => request.drift && storedAt(request.id) !== undefined).map((request) => [request.id, request]),
    ).values(),
  ];
  const recorded = (drift: ExpectedDrift) =>
    observed.drift.some((summary) => summary.eventType === drift.eventType && summary.kind === drift.kind && summary.path === drift.path);
  invariant(
    'drift was recorded for every new field and enum value sent, after idle gaps too (but what a kill took within its second)',
    drifting.length,
    drifting
      .filter((request) => !recorded(request.drift!) && !lostToAKill(storedAt(request.id)!))
      .map((request) => `${shown(request.id)}: no ${request.drift!.kind} at ${request.drift!.path} of ${request.drift!.eventType}`),
  );

  invariant('at the end no delivery is pending and no lane is held', observed.pending + observed.heldLanes.length + 1, [
    ...(observed.pending > 0
      ? [
          `${observed.pending} pending: ${observed.deliveries
            .filter((delivery) => delivery.state === 'pending')
            .map((delivery) => shown(delivery.id))
            .slice(0, 20)
            .join(', ')}`,
        ]
      : []),
    ...observed.heldLanes.map((lane) => `lane ${lane} still held`),
  ]);
  if (observed.brokerCopies) {
    invariant(
      'at the end the forwarding lag is back to 0',
      observed.forwardingLags.length,
      observed.forwardingLags.flatMap((lag, receiver) => (lag === 0 ? [] : [`receiver ${receiver + 1}: lag ${lag} s`])),
    );
  }

  const peaks = [...observed.memory].map(([pid, samples]) => [pid, Math.max(...samples)] as const);
  invariant(
    `resident memory stayed under ${memoryLimitMb} MB`,
    peaks.length,
    peaks.filter(([, peak]) => peak > memoryLimitMb).map(([pid, peak]) => `process ${pid}: ${Math.round(peak)} MB`),
  );
  invariant('traces reached the OTLP stand-in', 1, observed.spans > 0 ? [] : ['no span received']);
  invariant(
    "every stored delivery is kept encrypted, and decrypts with the run's key",
    observed.deliveries.length,
    [
      ...observed.inClear.map((id) => `${shown(id)}: its body is kept in clear`),
      ...observed.deliveries.flatMap(({ id, unreadable }) => (unreadable === null ? [] : [`${shown(id)}: unreadable: ${unreadable}`])),
    ],
    { required: true },
  );
  return results;
}
