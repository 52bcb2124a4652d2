// Numbers that JSON allows and a double cannot hold. JSON's grammar sets no limit, and JSON.parse
// reads a number beyond a double's range (1e400) as Infinity, which an open object of the contract
// takes as any value and a handler would then receive. The bytes stay as they were signed; the
// delivery is a contract violation, quarantined like any other.
import { escapePointerToken, type Violation } from './validation.ts';

type Token = string | number;
type Container = Record<string, unknown> | unknown[];

const message = (value: number) =>
  `is a number out of the range of a double (${Number.MAX_VALUE} either way), which would be read as ${value}`;

/** A violation for each number out of the range of a double, anywhere in `value`: a container's own first, then those nested in it. */
export function numbersOutOfRange(value: unknown): Violation[] {
  const found: Violation[] = [];
  // The keys and indexes down to the container looked at, by depth; a pointer is built only for a
  // number found. The walk keeps a stack of its own, as a body may nest deeper than calls can.
  const path: Token[] = [];
  const pending: [container: Container, depth: number, token: Token][] = [];
  const look = (item: unknown, depth: number, token: Token) => {
    if (typeof item === 'number') {
      if (Number.isFinite(item)) return;
      const pointer = [...path.slice(0, depth), token].map((each) => `/${escapePointerToken(String(each))}`).join('');
      found.push({ pointer, message: message(item) });
    } else if (typeof item === 'object' && item !== null) pending.push([item as Container, depth + 1, token]);
  };
  if (typeof value === 'number' && !Number.isFinite(value)) return [{ pointer: '', message: message(value) }];
  if (typeof value === 'object' && value !== null) pending.push([value as Container, 0, '']);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [container, depth, token] = next;
    if (depth > 0) path[depth - 1] = token;
    // From its last item to its first: the last pushed is the first looked at.
    const first = found.length;
    if (Array.isArray(container)) for (let index = container.length - 1; index >= 0; index -= 1) look(container[index], depth, index);
    else {
      const keys = Object.keys(container);
      for (let index = keys.length - 1; index >= 0; index -= 1) look(container[keys[index]!], depth, keys[index]!);
    }
    // Its own numbers out of range were found last to first too: put them in order.
    if (found.length - first > 1) found.push(...found.splice(first).reverse());
  }
  return found;
}
