// The service's environment variables by name, and the variables that look like one of them but
// are not: a misspelt name would otherwise be ignored without a word, and the service would start
// on a default (a development secret, no inspector, another port, a fresh local inbox).
import { closestName } from '../support/settings-reader.ts';

/**
 * Every variable that the service and its commands read (a test keeps the list complete), except
 * the OpenTelemetry SDK's: the SDK reads many more OTEL_* variables than the service checks. Each
 * with its meaning in one line, for `npm start -- --help`; docs/reference.md says more.
 */
export const variableMeanings: Readonly<Record<string, string>> = {
  NODE_ENV: '`production`: a signing secret is required and a misspelt variable is refused',
  ADA_WEBHOOK_SECRET: 'signing secret of the Ada webhook (whsec_...), several comma-separated while rotating',
  PORT: 'port to listen on (3000)',
  HOST: 'address to listen on (0.0.0.0)',
  WEBHOOK_TOLERANCE_SECONDS: "largest distance between the signed timestamp and the receiver's clock (300)",
  WEBHOOK_PATH: "the path that takes deliveries (the contract's, /webhooks/ada)",
  TRUST_PROXY: 'true behind a proxy that sets X-Forwarded-For and X-Forwarded-Proto (false)',
  BODY_LIMIT: 'largest accepted body, such as 1mb (1mb, at most 64mb)',
  DATABASE_URL: 'the inbox: sqlite:<path> or postgres://user:password@host:5432/database (sqlite:data/inbox.sqlite)',
  DATABASE_SCHEMA: "PostgreSQL: the schema of the inbox's tables (ada_webhooks)",
  DATABASE_POOL_SIZE: 'PostgreSQL: connections per process (10)',
  DATABASE_CONNECT_TIMEOUT_SECONDS: 'PostgreSQL: wait for a connection before answering 503 (5)',
  DATABASE_QUERY_TIMEOUT_SECONDS: 'PostgreSQL: wait for a statement before answering 503 (10)',
  HEADERS_TIMEOUT_SECONDS: 'time a client has to send the request line and headers (10)',
  REQUEST_TIMEOUT_SECONDS: 'time a client has to send the whole request (30)',
  KEEP_ALIVE_TIMEOUT_SECONDS: "idle keep-alive connections close after this; above a load balancer's idle timeout (5)",
  SHUTDOWN_GRACE_SECONDS: 'after SIGTERM or SIGINT, time for work in flight to finish (10)',
  LOG_LEVEL: 'fatal, error, warn, info, debug, trace or silent (info)',
  LOG_FORMAT: 'json, pretty, or auto: pretty on a terminal outside production (auto)',
  DISPATCHER: 'on: receive and run handlers; off: receive only; only: run handlers only (on)',
  DISPATCHER_CONCURRENCY: 'handlers running at once, never two of one conversation (8)',
  DISPATCHER_POLL_MS: 'how often to look for deliveries stored by other processes (500)',
  HANDLER_TIMEOUT_SECONDS: 'a handler attempt that takes longer fails (30)',
  HANDLER_MAX_ATTEMPTS: 'attempts before a delivery is dead (8)',
  HANDLER_RETRY_BASE_MS: 'delay before the first retry, doubled each time up to an hour (5000)',
  INSPECTOR_TOKEN: 'turns on the inspector page at /inspector and signs in to it (off)',
  INSPECTOR_READ_ONLY: 'true: the inspector shows deliveries and refuses every action (false)',
  FORWARD_URL: 'forwards accepted deliveries to nats://[user:password@]host:4222 or amqp://user:password@host:5672 (off)',
  FORWARD_TYPES: 'the event types forwarded, comma-separated; unknown for types the contract lacks (all)',
  FORWARD_STREAM: 'JetStream: the stream, created if missing (ADA_WEBHOOKS)',
  FORWARD_SUBJECT: 'JetStream: the subject, with {type}, {conversation}, {end_user} filled in (ada.{type})',
  FORWARD_DUPLICATE_WINDOW_SECONDS: 'JetStream: how long a created stream remembers message ids (600)',
  FORWARD_EXCHANGE: 'RabbitMQ: the durable topic exchange, declared if missing (ada-webhooks)',
  INBOX_RETENTION: 'how long done deliveries are kept, such as 90d, at least 28h; forever keeps every one (30d)',
  INBOX_ENCRYPTION_KEY: 'encrypts deliveries at rest: openssl rand -base64 32; new,old while rotating (off)',
  DRIFT_EXAMPLE_VALUES: 'true: contract drift keeps an example value of each undescribed field (false)',
  MOCK_PORT: 'npm run mock: the port of the partner mock (4010)',
  MOCK_HOST: 'npm run mock: the address it listens on (127.0.0.1)',
};

export const serviceVariables: readonly string[] = Object.keys(variableMeanings);

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
