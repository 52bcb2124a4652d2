// Numbers that JSON allows and a double cannot hold. JSON's grammar sets no limit, and JSON.parse
// reads a number beyond a double's range (1e400) as Infinity, which an open object of the contract
// takes as any value and a handler would then receive. The bytes stay as they were signed; the
// delivery is a contract violation, quarantined like any other.
import { escapePointerToken, ViolationReport, type Violation } from './validation.ts';

type Container = Record<string, unknown> | unknown[];

/** A container on the way down, and how far the walk has looked into it. */
interface Level {
  container: Container;
  /** An object's keys; undefined for an array. */
  keys: string[] | undefined;
  /** The index of the next item (or key) to look at. */
  next: number;
}

const message = (value: number) =>
  `is a number out of the range of a double (${Number.MAX_VALUE} either way), which would be read as ${value}`;

/** A violation for each number out of the range of a double, anywhere in `value`, in document order. */
export function numbersOutOfRange(value: unknown): Violation[] {
  const report = new ViolationReport();
  reportNumbersOutOfRange(value, report);
  return report.violations;
}

/** Adds a violation for each number out of the range of a double in `value` to a report, in document order. */
export function reportNumbersOutOfRange(value: unknown, report: ViolationReport): void {
  // The walk keeps a stack of its own, as a body may nest deeper than calls can; a pointer is
  // built only for a number that the report keeps.
  const levels: Level[] = [];
  const pointer = () => levels.map(({ keys, next }) => `/${escapePointerToken(keys ? keys[next - 1]! : String(next - 1))}`).join('');
  const look = (item: unknown) => {
    if (typeof item === 'number') {
      if (Number.isFinite(item)) return;
      if (report.full) report.countBeyond();
      else report.add({ pointer: pointer(), message: message(item) });
    } else if (typeof item === 'object' && item !== null) {
      levels.push({ container: item as Container, keys: Array.isArray(item) ? undefined : Object.keys(item), next: 0 });
    }
  };
  look(value);
  while (levels.length > 0) {
    const level = levels.at(-1)!;
    const { container, keys } = level;
    if (level.next === (keys ?? (container as unknown[])).length) {
      levels.pop();
      continue;
    }
    const index = level.next;
    level.next += 1;
    look(keys ? (container as Record<string, unknown>)[keys[index]!] : (container as unknown[])[index]);
  }
}
