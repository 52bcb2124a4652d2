// The soak's checker, fed short histories that break one promise each: the invariant that guards
// the promise must fail. No services: the histories are written by hand.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredDelivery } from '../../src/inbox/inbox.ts';
import { check, readRuns, vacuous, type InvariantResult, type Observed, type Run } from './checker.ts';
import type { InjectedFault } from './fault-schedule.ts';
import type { RunLine } from './handlers.ts';
import { formatReport } from './report.ts';
import type { PlannedRequest, SoakPlan } from './plan.ts';
import type { Answered } from './traffic.ts';

const t0 = 1_800_000_000_000;

function planOf(ids: readonly string[]): SoakPlan {
  const requests = ids.map((id, index): PlannedRequest => ({
    index,
    kind: 'event',
    atMs: index * 100,
    id,
    body: '{}',
    signing: 'valid',
    timestampOffsetSeconds: 0,
    twin: false,
    query: '',
    headers: {},
    expect: 'stored',
  }));
  return { options: { seed: 1, minutes: 0.35, backend: 'sqlite', forward: 'none' }, requests, faults: [], idleGaps: [], digest: 'test' };
}

const accepted = (index: number, at = t0 + index * 100): Answered => ({
  index,
  copy: 0,
  resend: 0,
  sentAt: at,
  answeredAt: at + 5,
  status: 200,
});

function stored(id: string, overrides: Partial<StoredDelivery> = {}): StoredDelivery {
  return {
    id,
    state: 'done',
    eventType: 'message.created',
    receivedAt: new Date(t0),
    headers: {},
    body: '{}',
    lane: `delivery:${id}`,
    eventTime: t0,
    violations: [],
    attempts: 1,
    lastError: null,
    forwardedAt: null,
    traceContext: null,
    nextAttemptAt: null,
    discarded: null,
    endUserId: null,
    erasedAt: null,
    unreadable: null,
    ...overrides,
  };
}

const run = (id: string, attempt: number, start: number, end: number, overrides: Partial<Run> = {}): Run => ({
  id,
  attempt,
  pid: 100,
  start,
  end,
  behaviour: 'succeed',
  outcome: 'succeeded',
  ...overrides,
});

function observedOf(overrides: Partial<Observed>): Observed {
  return {
    deliveries: [],
    runs: [],
    brokerCopies: undefined,
    broker: undefined,
    drift: [],
    pending: 0,
    heldLanes: [],
    forwardingLags: [],
    memory: new Map(),
    spans: 1,
    inspectorReads: [],
    inClear: [],
    ...overrides,
  };
}

const resultOf = (results: InvariantResult[], name: string) => {
  const result = results.find((candidate) => candidate.name.startsWith(name));
  if (!result) throw new Error(`no invariant ${name}: ${results.map((candidate) => candidate.name).join('; ')}`);
  return result;
};

describe('the soak checker', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'soak-checker-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps each run of an attempt that ran twice in one process, so the extra run is caught', () => {
    const lines: RunLine[] = [
      { phase: 'start', id: 'a', attempt: 1, pid: 100, at: t0 + 10, behaviour: 'succeed' },
      { phase: 'end', id: 'a', attempt: 1, pid: 100, at: t0 + 11, outcome: 'succeeded' },
      { phase: 'start', id: 'a', attempt: 1, pid: 100, at: t0 + 20, behaviour: 'succeed' },
      { phase: 'end', id: 'a', attempt: 1, pid: 100, at: t0 + 21, outcome: 'succeeded' },
    ];
    writeFileSync(join(directory, 'runs-100.ndjson'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    const runs = readRuns(directory);
    expect(runs.map(({ start, end }) => [start, end])).to.deep.equal([
      [t0 + 10, t0 + 11],
      [t0 + 20, t0 + 21],
    ]);
    const results = check(planOf(['a']), [accepted(0, t0)], [], observedOf({ deliveries: [stored('a')], runs }));
    expect(resultOf(results, "a delivery's handler ran at most as often").violations).to.deep.equal(['"a": 2 runs, 1 attempts']);
  });
  it('fails two runs of one delivery that overlap, both succeeding on two processes', () => {
    const runs = [run('a', 1, t0 + 10, t0 + 400, { pid: 100 }), run('a', 2, t0 + 200, t0 + 300, { pid: 200 })];
    const results = check(planOf(['a']), [accepted(0, t0)], [], observedOf({ deliveries: [stored('a', { attempts: 2 })], runs }));
    expect(resultOf(results, "a delivery's runs never overlap").violations).to.deep.equal([
      '"a": attempt 2 (process 200) started while attempt 1 (process 100) ran',
    ]);
    expect(resultOf(results, 'no handler ran again after it succeeded').violations).to.deep.equal([]);
  });
  it('fails a delivery dead of its handler that no handler run failed, with forwarding off', () => {
    const dead = { state: 'dead', attempts: 3, lastError: 'Error: soak: this attempt throws' } as const;
    const results = check(planOf(['a']), [accepted(0, t0)], [], observedOf({ deliveries: [stored('a', dead)] }));
    expect(resultOf(results, 'every stored valid delivery is done, or dead').violations).to.deep.equal([
      '"a": dead (its handler failed) after 3 attempts, but no run of attempt 3 failed that way (0 runs)',
    ]);
    const explained = [run('a', 3, t0 + 10, t0 + 15, { behaviour: 'throw', outcome: 'failed' })];
    const passing = check(planOf(['a']), [accepted(0, t0)], [], observedOf({ deliveries: [stored('a', dead)], runs: explained }));
    expect(resultOf(passing, 'every stored valid delivery is done, or dead').violations).to.deep.equal([]);
  });

  it("fails a delivery dead of the broker's failures when nothing forwards", () => {
    const dead = { state: 'dead', lastError: 'the broker failed each time this delivery was published, ...' } as const;
    const results = check(planOf(['a']), [accepted(0, t0)], [], observedOf({ deliveries: [stored('a', dead)] }));
    expect(resultOf(results, 'every stored valid delivery is done, or dead').violations).to.have.length(1);
  });
  it('fails, as vacuous, an invariant every run must have cases for when it checked none', () => {
    const results = check(planOf(['a']), [accepted(0, t0)], [], observedOf({ deliveries: [stored('a')] }));
    for (const name of [
      "a delivery's handler ran at most as often",
      "a delivery's runs never overlap",
      'within a conversation, handlers ran in event-time order',
    ])
      expect(resultOf(results, name)).to.include({ checked: 0 }).and.to.have.property('violations').that.deep.equals([vacuous]);
    const none = check(planOf([]), [], [], observedOf({}));
    for (const name of ['every request got the answer', 'nothing unsigned is stored', 'every stored valid delivery is done'])
      expect(resultOf(none, name).violations).to.deep.equal([vacuous]);
    expect(resultOf(none, 'every violation is quarantined').violations).to.deep.equal([]);
    const report = formatReport({ plan: planOf([]), answers: [], faults: [], results: none, passed: false, figures: [], elapsedMs: 0 });
    expect(report).to.include('ok   every violation is quarantined with its violations: 0 checked, vacuous');
  });
  it('excuses a 503, or no answer, only by a fault that stops the store, and counts what each kind excused', () => {
    const fault = (kind: InjectedFault['kind'], injectedAt: number): InjectedFault => ({
      kind,
      name: kind,
      injectedAt,
      healedAt: injectedAt + 2000,
    });
    const answers: Answered[] = [
      { ...accepted(0, t0 + 1000), status: 503 },
      { ...accepted(1, t0 + 1100), status: null },
      { ...accepted(2, t0 + 20_000), status: 503 },
      accepted(2, t0 + 21_000),
      accepted(0, t0 + 22_000),
      accepted(1, t0 + 22_100),
    ];
    const deliveries = [stored('a'), stored('b'), stored('c')];
    const runs = [run('a', 1, t0 + 22_010, t0 + 22_011), run('b', 1, t0 + 22_110, t0 + 22_111), run('c', 1, t0 + 21_010, t0 + 21_011)];
    const faults = [fault('receiver-kill', t0 + 500), fault('broker-cut', t0 + 19_000), fault('timestamps-near-tolerance', t0 + 19_500)];
    const results = check(planOf(['a', 'b', 'c']), answers, faults, observedOf({ deliveries, runs }));
    const answered = resultOf(results, 'every request got the answer its kind calls for');
    expect(answered.violations).to.deep.equal(['"c" (event): 503, expected 200']);
    expect(answered.excused).to.deep.equal({ 'receiver-kill': 2 });
    const report = formatReport({ plan: planOf(['a', 'b', 'c']), answers, faults, results, passed: false, figures: [], elapsedMs: 0 });
    expect(report).to.include('excused by a fault: receiver-kill 2');
  });
  it('fails a delivery kept in clear or that does not decrypt', () => {
    const deliveries = [stored('a'), stored('b', { unreadable: 'its data key is missing' })];
    const results = check(planOf(['a', 'b']), [accepted(0, t0), accepted(1, t0)], [], observedOf({ deliveries, inClear: ['a'] }));
    expect(resultOf(results, 'every stored delivery is kept encrypted').violations).to.deep.equal([
      '"a": its body is kept in clear',
      '"b": unreadable: its data key is missing',
    ]);
  });
});
