// Settings from environment variables, validated once at start-up. Every problem is reported
// at once, naming the variable, what is wrong with it, and an example of a good value.
import { resolve } from 'node:path';
import type { DispatcherSettings } from './dispatcher/dispatcher.ts';
import type { HttpLimits } from './server/http-server.ts';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** `auto`: readable lines on a terminal outside production, JSON otherwise. */
export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

export interface Settings {
  port: number;
  host: string;
  /** `whsec_` secrets from ADA_WEBHOOK_SECRET; empty outside production means "use the development secret". */
  secrets: string[];
  toleranceSeconds: number;
  bodyLimitBytes: number;
  http: HttpLimits;
  database: DatabaseSettings;
  logLevel: LogLevel;
  logFormat: LogFormat;
  production: boolean;
  /** `on`: receiver and dispatcher; `off`: receiver only; `only`: dispatcher only (a worker). */
  dispatcherMode: DispatcherMode;
  dispatcher: DispatcherSettings;
}

export type DatabaseSettings =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'postgres';
      /** The `postgres://` URL as given, password included: never log it (see databaseLabel). */
      url: string;
      schema: string;
      poolSize: number;
      connectTimeoutMs: number;
      queryTimeoutMs: number;
    };

export const dispatcherModes = ['on', 'off', 'only'] as const;
export type DispatcherMode = (typeof dispatcherModes)[number];

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Environment = Record<string, string | undefined>;

/** What a parser returns for a value it cannot accept. */
class Invalid {
  readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }
}

/** Variables whose values never appear in an error message. */
const secretVariables = new Set(['ADA_WEBHOOK_SECRET']);

const defaultSqlitePath = 'data/inbox.sqlite';

export function loadSettings(env: Environment = process.env): Settings {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (raw: string) => T | Invalid, example: string): T => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const parsed = parse(raw);
    if (parsed instanceof Invalid) {
      const got = secretVariables.has(name) ? `${raw.length} characters (not shown)` : JSON.stringify(withoutPassword(raw));
      problems.push(`${name} ${parsed.reason}, got ${got}. Example: ${name}=${example}`);
      return fallback;
    }
    return parsed;
  };

  const production = env['NODE_ENV'] === 'production';
  // The pool and schema settings are read, and checked, only for PostgreSQL.
  const readDatabase = (): DatabaseSettings => {
    const database = read('DATABASE_URL', { kind: 'sqlite', path: resolve(defaultSqlitePath) }, parseDatabaseUrl, `sqlite:${defaultSqlitePath}`);
    if (database.kind === 'sqlite') return database;
    return {
      ...database,
      schema: read('DATABASE_SCHEMA', 'ada_webhooks', parseSchemaName, 'ada_webhooks'),
      poolSize: read('DATABASE_POOL_SIZE', 10, integerIn(2, 100), '10'),
      connectTimeoutMs: 1000 * read('DATABASE_CONNECT_TIMEOUT_SECONDS', 5, integerIn(1, 120), '5'),
      queryTimeoutMs: 1000 * read('DATABASE_QUERY_TIMEOUT_SECONDS', 10, integerIn(1, 600), '10'),
    };
  };
  const settings: Settings = {
    port: read('PORT', 3000, integerIn(0, 65535), '3000'),
    host: read('HOST', '0.0.0.0', (raw) => raw, '127.0.0.1'),
    secrets: read('ADA_WEBHOOK_SECRET', [], parseSecrets, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'),
    toleranceSeconds: read('WEBHOOK_TOLERANCE_SECONDS', 300, integerIn(1, 86_400), '300'),
    bodyLimitBytes: read('BODY_LIMIT', 1024 * 1024, parseByteSize, '1mb'),
    http: {
      headersTimeoutMs: 1000 * read('HEADERS_TIMEOUT_SECONDS', 10, integerIn(1, 300), '10'),
      requestTimeoutMs: 1000 * read('REQUEST_TIMEOUT_SECONDS', 30, integerIn(1, 600), '30'),
      keepAliveTimeoutMs: 1000 * read('KEEP_ALIVE_TIMEOUT_SECONDS', 5, integerIn(1, 600), '65'),
    },
    database: readDatabase(),
    logLevel: read('LOG_LEVEL', 'info', oneOf(logLevels), 'info'),
    logFormat: read('LOG_FORMAT', 'auto', oneOf(logFormats), 'json'),
    production,
    dispatcherMode: read('DISPATCHER', 'on', oneOf(dispatcherModes), 'off'),
    dispatcher: {
      concurrency: read('DISPATCHER_CONCURRENCY', 8, integerIn(1, 1000), '8'),
      pollIntervalMs: read('DISPATCHER_POLL_MS', 500, integerIn(10, 60_000), '500'),
      handlerTimeoutMs: 1000 * read('HANDLER_TIMEOUT_SECONDS', 30, integerIn(1, 3600), '30'),
      maxAttempts: read('HANDLER_MAX_ATTEMPTS', 8, integerIn(1, 100), '8'),
      retryBaseMs: read('HANDLER_RETRY_BASE_MS', 5000, integerIn(1, 3_600_000), '5000'),
    },
  };
  if (settings.http.headersTimeoutMs > settings.http.requestTimeoutMs) {
    problems.push(
      `HEADERS_TIMEOUT_SECONDS (${settings.http.headersTimeoutMs / 1000}) must not exceed REQUEST_TIMEOUT_SECONDS (${settings.http.requestTimeoutMs / 1000}): ` +
        'the headers are part of the request. Example: HEADERS_TIMEOUT_SECONDS=10 REQUEST_TIMEOUT_SECONDS=30',
    );
  }
  if (production && !env['ADA_WEBHOOK_SECRET']?.trim()) {
    problems.push(
      'ADA_WEBHOOK_SECRET is required when NODE_ENV=production: set it to the signing secret of your Ada webhook ' +
        '(several, comma-separated, while rotating). Example: ADA_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/** The settings, or the problems printed and exit code 1: for processes and scripts. */
export function settingsOrExit(env: Environment = process.env): Settings {
  try {
    return loadSettings(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const integerIn = (min: number, max: number) => (raw: string) => {
  const value = Number(raw);
  return /^\d+$/.test(raw) && value >= min && value <= max ? value : new Invalid(`must be a whole number from ${min} to ${max}`);
};

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string) =>
    (values as readonly string[]).includes(raw) ? (raw as T) : new Invalid(`must be one of ${values.join(', ')}`);

const byteUnits: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2 };

function parseByteSize(raw: string): number | Invalid {
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw);
  const size = match ? Number(match[1]) * byteUnits[(match[2] ?? '').toLowerCase()]! : 0;
  return size >= 1 ? size : new Invalid('must be a size in bytes, optionally with a unit b, kb or mb (1kb = 1024 bytes)');
}

function parseSecrets(raw: string): string[] | Invalid {
  const secrets = raw.split(',').map((secret) => secret.trim()).filter(Boolean);
  const malformed = secrets.findIndex((secret) => !isWellFormedSecret(secret));
  if (malformed !== -1) {
    return new Invalid(
      `must be a comma-separated list of "whsec_" followed by base64 of at least 24 bytes; entry ${malformed + 1} is not`,
    );
  }
  return secrets;
}

function isWellFormedSecret(secret: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  return match !== null && Buffer.from(match[1]!, 'base64').length >= 24;
}

function parseDatabaseUrl(raw: string): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | Invalid {
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) {
    return { kind: 'sqlite', path: resolve(raw.slice('sqlite:'.length)) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    return URL.canParse(raw) ? { kind: 'postgres', url: raw } : new Invalid('is not a valid URL');
  }
  return new Invalid('must be sqlite:<path to a database file> or postgres://user:password@host:5432/database');
}

function parseSchemaName(raw: string): string | Invalid {
  return /^[a-z_][a-z0-9_]{0,47}$/.test(raw) ? raw : new Invalid('must be a schema name of lower-case letters, digits and underscores (at most 48)');
}

/** Text with the password of a PostgreSQL URL replaced by stars, fit for logs and error messages, even when the URL is malformed. */
function withoutPassword(raw: string): string {
  return raw.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** Where the inbox is, for the start-up line: the SQLite file, or the PostgreSQL URL without its password and the schema. */
export function databaseLabel(database: DatabaseSettings): string {
  return database.kind === 'sqlite' ? database.path : `${withoutPassword(database.url)} (schema ${database.schema})`;
}
