// Numbers that JSON allows and a double cannot hold. JSON's grammar sets no limit, and JSON.parse
// reads a number beyond a double's range (1e400) as Infinity, which an open object of the contract
// takes as any value and a handler would then receive. The bytes stay as they were signed; the
// delivery is a contract violation, quarantined like any other.
import { escapePointerToken, type Violation } from './validation.ts';

const message = (value: number) =>
  `is a number out of the range of a double (${Number.MAX_VALUE} either way), which would be read as ${value}`;

/** A violation for each number out of the range of a double, anywhere in `value`. */
export function numbersOutOfRange(value: unknown): Violation[] {
  const found: Violation[] = [];
  // The keys and indexes down to the node visited, by depth; a pointer is built only for a number found.
  const path: (string | number)[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (typeof node === 'number') {
      if (Number.isFinite(node)) return;
      const pointer = path.slice(0, depth).map((token) => `/${escapePointerToken(String(token))}`);
      found.push({ pointer: pointer.join(''), message: message(node) });
    } else if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index += 1) {
        path[depth] = index;
        visit(node[index], depth + 1);
      }
    } else if (typeof node === 'object' && node !== null) {
      // A parsed object's keys are all its own: for...in allocates nothing, unlike Object.entries.
      for (const key in node) {
        path[depth] = key;
        visit((node as Record<string, unknown>)[key], depth + 1);
      }
    }
  };
  visit(value, 0);
  return found;
}
