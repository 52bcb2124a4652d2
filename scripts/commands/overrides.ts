// `npm run send -- <type> --set data.rating=5`: a field of the example replaced, by its dotted
// path (a number is an array index), with a JSON value, or text where the value is not JSON.
export interface Override {
  path: string[];
  value: unknown;
}

/** `data.ended_by.role=system` as a path and a value; a problem as text. */
export function parseOverride(raw: string): Override | string {
  const equals = raw.indexOf('=');
  const path = equals === -1 ? [] : raw.slice(0, equals).split('.');
  if (path.length === 0 || path.some((segment) => segment === '')) {
    return `--set takes a dotted path and a value, such as --set data.rating=5 or --set data.ended_by.role=system, got ${JSON.stringify(raw)}.`;
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

/** Sets the field, creating the objects on its way; a problem as text when the way crosses a value that holds no fields. */
export function applyOverride(target: Record<string, unknown>, { path, value }: Override): string | undefined {
  let container: Container = target;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (Array.isArray(container) && !/^\d+$/.test(segment)) {
      return `--set ${path.join('.')}: ${path.slice(0, index).join('.')} is an array, so the next part must be an index such as 0.`;
    }
    const fields = container as Record<string, unknown>;
    if (last) {
      fields[segment] = value;
      return undefined;
    }
    const next = fields[segment];
    if (next === undefined) fields[segment] = {};
    else if (!isContainer(next)) {
      return `--set ${path.join('.')}: ${path.slice(0, index + 1).join('.')} is ${JSON.stringify(next)}, which has no fields.`;
    }
    container = fields[segment] as Container;
  }
  return undefined;
}
