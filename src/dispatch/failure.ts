// What is kept of a handler's failure, in the inbox and the log: the error, its chain of causes
// (where `TypeError: fetch failed` keeps the `ECONNREFUSED` that explains it) and their stacks,
// bounded so that a delivery's record stays small.

/** The most kept of one failure, in characters. */
export const failureLimit = 4096;

/** `Name: message`, the stack, then `Caused by: ...` for each cause, cut at `failureLimit`. */
export function describeFailure(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error, depth = 0; current !== undefined && !seen.has(current) && depth < 8; depth += 1) {
    seen.add(current);
    parts.push(`${depth === 0 ? '' : 'Caused by: '}${describeOne(current)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  const text = parts.join('\n');
  return text.length <= failureLimit ? text : `${text.slice(0, failureLimit - 14)}\n… (truncated)`;
}

/** One error with its stack, or any other thrown value as text. */
function describeOne(value: unknown): string {
  if (!(value instanceof Error)) return String(value);
  const code = (value as { code?: unknown }).code;
  const headline = `${value.name}: ${value.message}${typeof code === 'string' && !value.message.includes(code) ? ` (${code})` : ''}`;
  const frames = value.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')) ?? [];
  return [headline, ...frames].join('\n');
}
