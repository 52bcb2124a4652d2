// The one report of a soak run: what was sent by kind, the faults injected, each invariant with
// how many cases it checked, and on a violation the seed to replay and the deliveries that show it.
import type { InvariantResult } from './checker.ts';
import type { InjectedFault } from './fault-schedule.ts';
import type { SoakPlan } from './plan.ts';
import type { Answered } from './traffic.ts';

/** Violations listed per invariant; the rest are counted. */
const shownViolations = 20;

/** `a 3, b 1`: how often each key comes, in the order they first come. */
export const tally = (keys: readonly string[]): string => {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].map(([key, count]) => `${key} ${count}`).join(', ');
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const replayCommand = ({ seed, minutes, backend, forward }: SoakPlan['options']): string =>
  `npm run soak -- --seed ${seed} --minutes ${minutes} --backend ${backend} --forward ${forward}`;

export function formatReport({
  plan,
  answers,
  faults,
  results,
  passed,
  figures,
  elapsedMs,
}: {
  plan: SoakPlan;
  answers: readonly Answered[];
  faults: readonly InjectedFault[];
  results: readonly InvariantResult[];
  passed: boolean;
  figures: readonly string[];
  elapsedMs: number;
}): string {
  const { options } = plan;
  const start = Math.min(...answers.map((answer) => answer.sentAt));
  const lines = [
    `soak report: seed ${options.seed} (plan ${plan.digest}), ${options.minutes} min of traffic, ${options.backend} × ${options.forward}, ${Math.round(elapsedMs / 1000)} s in all`,
    `  operations sent (${answers.length} requests): ${tally(answers.map((answer) => plan.requests[answer.index]!.kind))}`,
    `  answers: ${tally(answers.map((answer) => String(answer.status ?? 'none')))}`,
    `  idle gaps: ${plan.idleGaps.length} (${plan.idleGaps.map((gap) => `${(gap.durationMs / 1000).toFixed(1)} s`).join(', ') || 'none'})`,
    `  faults injected: ${tally(faults.filter((fault) => !fault.skipped).map((fault) => fault.name)) || 'none'}`,
    ...faults
      .filter((fault) => !fault.skipped)
      .map(
        (fault) => `    ${fault.name}: at ${seconds(fault.injectedAt - start)}, healed after ${seconds(fault.healedAt - fault.injectedAt)}`,
      ),
    ...[...new Set(faults.flatMap((fault) => (fault.skipped ? [fault.skipped] : [])))].map((note) => `  skipped: ${note}`),
    ...figures.map((figure) => `  ${figure}`),
    '  invariants:',
  ];
  for (const { name, checked, violations, excused } of results) {
    lines.push(
      `    ${violations.length === 0 ? 'ok  ' : 'FAIL'} ${name}: ${checked} checked${checked === 0 ? ', vacuous' : ''}${violations.length ? `, ${violations.length} violated` : ''}`,
    );
    if (excused)
      lines.push(
        `           excused by a fault: ${
          Object.entries(excused)
            .map(([kind, count]) => `${kind} ${count}`)
            .join(', ') || 'none'
        }`,
      );
    for (const violation of violations.slice(0, shownViolations)) lines.push(`           ${violation}`);
    if (violations.length > shownViolations) lines.push(`           and ${violations.length - shownViolations} more`);
  }
  lines.push(passed ? `  passed (seed ${options.seed})` : `  FAILED: replay with  ${replayCommand(options)}`);
  return lines.join('\n');
}
