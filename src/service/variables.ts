// The service's environment variables by name, and the variables that look like one of them but
// are not: a misspelt name would otherwise be ignored without a word, and the service would start
// on a default (a development secret, no inspector, another port, a fresh local inbox).
import { closestName } from '../support/settings-reader.ts';

/**
 * Every variable that the service and its commands read (a test keeps the list complete), except
 * the OpenTelemetry SDK's: the SDK reads many more OTEL_* variables than the service checks.
 */
export const serviceVariables: readonly string[] = [
  'NODE_ENV',
  'ADA_WEBHOOK_SECRET',
  'PORT',
  'HOST',
  'WEBHOOK_TOLERANCE_SECONDS',
  'WEBHOOK_PATH',
  'TRUST_PROXY',
  'BODY_LIMIT',
  'DATABASE_URL',
  'DATABASE_SCHEMA',
  'DATABASE_POOL_SIZE',
  'DATABASE_CONNECT_TIMEOUT_SECONDS',
  'DATABASE_QUERY_TIMEOUT_SECONDS',
  'HEADERS_TIMEOUT_SECONDS',
  'REQUEST_TIMEOUT_SECONDS',
  'KEEP_ALIVE_TIMEOUT_SECONDS',
  'SHUTDOWN_GRACE_SECONDS',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'DISPATCHER',
  'DISPATCHER_CONCURRENCY',
  'DISPATCHER_POLL_MS',
  'HANDLER_TIMEOUT_SECONDS',
  'HANDLER_MAX_ATTEMPTS',
  'HANDLER_RETRY_BASE_MS',
  'INSPECTOR_TOKEN',
  'INSPECTOR_READ_ONLY',
  'FORWARD_URL',
  'FORWARD_TYPES',
  'FORWARD_STREAM',
  'FORWARD_SUBJECT',
  'FORWARD_DUPLICATE_WINDOW_SECONDS',
  'FORWARD_EXCHANGE',
  'INBOX_RETENTION',
  'DRIFT_EXAMPLE_VALUES',
  'MOCK_PORT',
  'MOCK_HOST',
];

/** The prefixes that only the service's variables take: a name that starts with one is meant for the service. */
export const servicePrefixes: readonly string[] = [
  'ADA_WEBHOOK',
  'DATABASE_',
  'WEBHOOK_',
  'DISPATCHER_',
  'HANDLER_',
  'INSPECTOR_',
  'FORWARD_',
  'INBOX_',
  'DRIFT_',
  'MOCK_',
];

/** Variables of other programs that may share a look with the service's: npm's own, and the SDK's. */
const othersPrefixes = ['npm_', 'OTEL_'];

/** A near miss: an edit or two away from a name of the service, one for its short names (HOST is two away from HOME). */
const nearMissDistance = (name: string) => (name.length <= 6 ? 1 : 2);

export interface StrayVariable {
  name: string;
  /** The service's variable it most likely meant. */
  closest: string;
}

/** The variables of `env` that look like one of the service's (a near miss of a name, or one of its prefixes) but are not. */
export function strayVariables(env: Record<string, string | undefined>): StrayVariable[] {
  const strays: StrayVariable[] = [];
  for (const name of Object.keys(env)) {
    if (serviceVariables.includes(name) || othersPrefixes.some((prefix) => name.startsWith(prefix))) continue;
    const nearMiss = closestName(name, serviceVariables, nearMissDistance);
    const prefix = servicePrefixes.find((candidate) => name.toUpperCase().startsWith(candidate));
    if (nearMiss) strays.push({ name, closest: nearMiss });
    else if (prefix) strays.push({ name, closest: closestInFamily(name, prefix) });
  }
  return strays;
}

/** The variable of the prefix's family that shares the most words with `name`, the closest of those. */
function closestInFamily(name: string, prefix: string): string {
  const words = new Set(name.toUpperCase().split('_'));
  const shared = (variable: string) => variable.split('_').filter((word) => words.has(word)).length;
  const family = serviceVariables.filter((variable) => variable.startsWith(prefix));
  const most = Math.max(...family.map(shared));
  return closestName(
    name,
    family.filter((variable) => shared(variable) === most),
    () => Infinity,
  )!;
}

/** What is said of a stray variable: refused in production, a warning elsewhere. */
export function describeStray({ name, closest }: StrayVariable, production: boolean): string {
  const consequence = production
    ? 'refused when NODE_ENV=production, where a misspelt setting must not leave the default in place'
    : 'ignored';
  return `${name} is not a variable of ada-webhooks (${consequence}); did you mean ${closest}?`;
}
