// `npm run send -- <type> --set data.ended_by.role=system`: a field of the example replaced, by
// its dotted path (a number is an array index), with a JSON value, or text where the value is not
// JSON; `--add` for a field that the example does not have.
import { closestName } from '../../src/support/settings-reader.ts';

export interface Override {
  path: string[];
  value: unknown;
}

/** `data.ended_by.role=system` as a path and a value; a problem as text, naming the option it was given to. */
export function parseOverride(raw: string, option: '--set' | '--add'): Override | string {
  const equals = raw.indexOf('=');
  const path = equals === -1 ? [] : raw.slice(0, equals).split('.');
  if (path.length === 0 || path.some((segment) => segment === '')) {
    return `${option} takes a dotted path and a value, such as ${option} data.ended_by.role=system or ${option} data.ended_by.id=null, got ${JSON.stringify(raw)}.`;
  }
  const text = raw.slice(equals + 1);
  try {
    return { path, value: JSON.parse(text) };
  } catch {
    return { path, value: text };
  }
}

type Container = Record<string, unknown> | unknown[];

const isContainer = (value: unknown): value is Container => typeof value === 'object' && value !== null;

/**
 * Sets the field. A path that the example does not have is refused, with the closest one it has:
 * a misspelt path would otherwise add a field and leave the one meant unchanged. With `add`, the
 * field and the objects on its way are created. A problem as text.
 */
export function applyOverride(target: Record<string, unknown>, { path, value }: Override, { add = false } = {}): string | undefined {
  const option = add ? '--add' : '--set';
  let container: Container = target;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (Array.isArray(container) && !/^\d+$/.test(segment)) {
      return `${option} ${path.join('.')}: ${path.slice(0, index).join('.')} is an array, so the next part must be an index such as 0.`;
    }
    const fields = container as Record<string, unknown>;
    if (!add && !Object.hasOwn(fields, segment)) return missingPath(target, path);
    if (last) {
      fields[segment] = value;
      return undefined;
    }
    const next = fields[segment];
    if (next === undefined) fields[segment] = {};
    else if (!isContainer(next)) {
      return `${option} ${path.join('.')}: ${path.slice(0, index + 1).join('.')} is ${JSON.stringify(next)}, which has no fields.`;
    }
    container = fields[segment] as Container;
  }
  return undefined;
}

function missingPath(example: Record<string, unknown>, path: string[]): string {
  const dotted = path.join('.');
  const closest = closestName(dotted, [...pathsOf(example)], (candidate) => Math.ceil(candidate.length / 4));
  return (
    `--set ${dotted}: the example has no ${dotted}${closest ? `; did you mean ${closest}?` : '.'}` +
    ` To add a field it does not have, use --add ${dotted}=...`
  );
}

/** Every dotted path of a value's fields and items, at every depth. */
function* pathsOf(value: unknown, prefix = ''): Generator<string> {
  if (!isContainer(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const path = `${prefix}${key}`;
    yield path;
    yield* pathsOf(child, `${path}.`);
  }
}
