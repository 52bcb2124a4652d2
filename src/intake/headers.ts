// Reading request headers by name, as every adapter hands them over: Node's lower-case record.
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderReader } from './signature.ts';

/** A header's value; undefined when absent (or, as Node gives repeated ones, an array). */
export function headerReader(headers: IncomingHttpHeaders): HeaderReader {
  return (name) => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };
}

/** The headers of `names` that the request has, by name. */
export function headersNamed(header: HeaderReader, names: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of names) {
    const value = header(name);
    if (value !== undefined) found[name] = value;
  }
  return found;
}
