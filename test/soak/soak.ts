// One soak run: the plan drawn from the seed, the system started, traffic and faults on their
// schedules, a wait until the system is quiet, then the checker and one printed report.
import { setTimeout as sleep } from 'node:timers/promises';
import { driftFlushIntervalMs } from '../../src/intake/contract-drift.ts';
import { allDeliveries, check, deathOf, readRuns, type InvariantResult, type Observed } from './checker.ts';
import { runFaultSchedule, type InjectedFault } from './fault-schedule.ts';
import { readInspector, type InspectorRead } from './inspector-reads.ts';
import type { SoakOptions } from './options.ts';
import { planSoak, type SoakPlan } from './plan.ts';
import { formatReport, tally } from './report.ts';
import { startSoakSystem, type SoakSystem } from './system.ts';
import { sendTraffic, type Answered } from './traffic.ts';

/** How long the system may take to become quiet after the traffic: leases of killed processes run out, retries come due. */
const quietWithinMs = 120_000;

export interface SoakResult {
  plan: SoakPlan;
  answers: Answered[];
  faults: InjectedFault[];
  results: InvariantResult[];
  passed: boolean;
  report: string;
}

/** Waits until nothing is pending or waits to be forwarded, and drift had time to be flushed; false when that did not come in time. */
async function quiet(system: SoakSystem, forwarding: boolean): Promise<boolean> {
  const deadline = Date.now() + quietWithinMs;
  await sleep(2 * driftFlushIntervalMs);
  while (Date.now() < deadline) {
    const { pending } = await system.inbox.countByState().catch(() => ({ pending: -1 }));
    const unforwarded = forwarding && (await system.inbox.oldestUnforwarded({ except: [] }).catch(() => new Date()));
    if (pending === 0 && !unforwarded) return true;
    await sleep(250);
  }
  return false;
}

async function forwardingLag(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^ada_webhook_forwarding_lag_seconds (\S+)$/m.exec(metrics)?.[1] ?? NaN);
}

async function observe(system: SoakSystem): Promise<Omit<Observed, 'inspectorReads'>> {
  const deliveries = await allDeliveries(system.inbox);
  const readBodies = new Map(deliveries.map(({ id, body }) => [id, body]));
  const stored = await allDeliveries(system.atRest);
  const lanes = [...new Set(deliveries.map((delivery) => delivery.lane))];
  const heldLanes: string[] = [];
  for (const lane of lanes) if (await system.inbox.lane(lane)) heldLanes.push(lane);
  return {
    deliveries,
    runs: readRuns(system.recordDirectory),
    brokerCopies: await system.broker?.messages(),
    broker: system.broker?.name,
    drift: await system.inbox.drift(),
    pending: (await system.inbox.countByState()).pending,
    heldLanes,
    forwardingLags: system.broker ? await Promise.all(system.receivers.map((receiver) => forwardingLag(receiver.url))) : [],
    memory: new Map(system.receivers.flatMap((receiver) => [...receiver.memory])),
    spans: system.otlp.spans.length,
    inClear: stored.filter(({ id, body }) => body !== '' && body === readBodies.get(id)).map(({ id }) => id),
  };
}

/** What the system did, for the report and BENCHMARKS.md. */
function figuresOf(observed: Observed): string[] {
  const states = new Map<string, number>();
  for (const delivery of observed.deliveries) states.set(delivery.state, (states.get(delivery.state) ?? 0) + 1);
  const peaks = [...observed.memory.values()].map((samples) => Math.round(Math.max(...samples)));
  return [
    `inbox: ${[...states].map(([state, count]) => `${count} ${state}`).join(', ')}; ${observed.drift.length} drift summaries`,
    `dead: ${tally(observed.deliveries.filter((delivery) => delivery.state === 'dead').map(deathOf)) || 'none'}`,
    `handler runs: ${observed.runs.length}; broker messages: ${observed.brokerCopies?.length ?? 'no forwarding'}; spans: ${observed.spans}; inspector reads: ${observed.inspectorReads.length}`,
    `peak resident memory per receiver process: ${peaks.join(', ')} MB`,
  ];
}

export async function runSoak(options: SoakOptions, log: (line: string) => void = console.log): Promise<SoakResult> {
  const plan = planSoak(options);
  log(
    `soak: seed ${options.seed}, plan ${plan.digest}: ${plan.requests.length} requests, ${plan.faults.length} faults over ${options.minutes} min, ${options.backend} × ${options.forward}`,
  );
  const started = Date.now();
  const system = await startSoakSystem(options);
  try {
    const sampler = setInterval(() => system.receivers.forEach((receiver) => receiver.sampleMemory()), 1000);
    let answers: Answered[];
    let faults: InjectedFault[];
    let inspectorReads: InspectorRead[];
    try {
      const reading = new AbortController();
      const reads = readInspector(system.url, system.inspectorToken, options.seed, reading.signal);
      [answers, faults] = await Promise.all([sendTraffic(system.url, plan.requests), runFaultSchedule(system, plan.faults)]);
      reading.abort();
      inspectorReads = await reads;
    } finally {
      clearInterval(sampler);
    }
    log(`soak: traffic sent in ${Math.round((Date.now() - started) / 1000)} s; waiting for the system to be quiet`);
    const becameQuiet = await quiet(system, options.forward !== 'none');
    const observed = { ...(await observe(system)), inspectorReads };
    const results = check(plan, answers, faults, observed);
    if (!becameQuiet)
      results.push({ name: `the system became quiet within ${quietWithinMs / 1000} s`, checked: 1, violations: ['it did not'] });
    const exits = await Promise.all(system.receivers.map((receiver) => receiver.stop()));
    results.push({
      name: 'every receiver stops cleanly on SIGTERM',
      checked: exits.length,
      violations: exits.flatMap((code, receiver) => (code === 0 ? [] : [`receiver ${receiver + 1} exited with ${code}`])),
    });
    const passed = results.every((result) => result.violations.length === 0);
    const report = formatReport({ plan, answers, faults, results, passed, figures: figuresOf(observed), elapsedMs: Date.now() - started });
    log(report);
    return { plan, answers, faults, results, passed, report };
  } finally {
    await system.close();
  }
}
