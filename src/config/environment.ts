// Settings from environment variables, validated once at start-up. Every problem is reported
// at once, naming the variable, what is wrong with it, and an example of a good value.
import { join, relative, resolve } from 'node:path';
import type { DispatcherSettings } from '../dispatch/dispatcher.ts';
import { dataDirectory, projectDirectory } from '../service/project.ts';
import type { HttpLimits } from '../service/http-server.ts';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** `auto`: readable lines on a terminal outside production, JSON otherwise. */
export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

export interface Settings {
  port: number;
  host: string;
  /**
   * `whsec_` secrets from ADA_WEBHOOK_SECRET, at least one; `development` when none is set
   * outside production: the receiver then uses a development secret of its own.
   */
  secrets: string[] | 'development';
  toleranceSeconds: number;
  bodyLimitBytes: number;
  http: HttpLimits;
  database: DatabaseSettings;
  logLevel: LogLevel;
  logFormat: LogFormat;
  production: boolean;
  /** After a stop signal, how long requests and handlers in flight may take to finish. */
  shutdownGraceMs: number;
  /** `on`: receiver and dispatcher; `off`: receiver only; `only`: dispatcher only (a worker). */
  dispatcherMode: DispatcherMode;
  dispatcher: DispatcherSettings;
}

export type DatabaseSettings =
  | {
      kind: 'sqlite';
      path: string;
      /**
       * Whether a missing directory on the way to the file is created. In production only the
       * default's is: a typo in DATABASE_URL must not start a fresh, empty inbox somewhere else.
       */
      createDirectory: boolean;
    }
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
  /** An example closer to the value given than the variable's usual one. */
  readonly example: string | undefined;

  constructor(reason: string, example?: string) {
    this.reason = reason;
    this.example = example;
  }
}

/** Variables whose values never appear in an error message. */
const secretVariables = new Set(['ADA_WEBHOOK_SECRET']);

/** The inbox of `npm start`, in the project's data/ folder whatever the working directory. */
const defaultSqlitePath = join(dataDirectory, 'inbox.sqlite');

/** Reads variables with their parsers, gathering every problem, to report them all at once. */
class EnvironmentReader {
  readonly problems: string[] = [];
  readonly #env: Environment;
  readonly #rejected = new Set<string>();

  constructor(env: Environment) {
    this.#env = env;
  }

  /** The variable parsed, or `fallback` when it is unset or empty (or invalid, with a problem noted). */
  read<T>(name: string, fallback: T, parse: (raw: string) => T | Invalid, example: string): T {
    const raw = this.#env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const parsed = parse(raw);
    if (parsed instanceof Invalid) {
      const got = secretVariables.has(name) ? `${raw.length} characters (not shown)` : JSON.stringify(withoutPassword(raw));
      this.problems.push(`${name} ${parsed.reason}, got ${got}. Example: ${name}=${parsed.example ?? example}`);
      this.#rejected.add(name);
      return fallback;
    }
    return parsed;
  }

  /** Whether the variable was set but its value refused (a problem is noted already). */
  rejected(name: string): boolean {
    return this.#rejected.has(name);
  }

  /** Throws a ConfigError naming every problem found. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/**
 * Every well-formed secret that this project publishes (documentation, test vectors, test
 * support): anyone can sign with them, so production refuses them. A test keeps the list complete.
 */
const publishedSecrets: ReadonlySet<string> = new Set(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX']);

export const isPublishedSecret = (secret: string): boolean => publishedSecrets.has(secret);

/** What error messages suggest for a secret: a placeholder that is not one, so that it cannot be pasted and work. */
const secretPlaceholder = 'whsec_<the signing secret from Ada>';

const readPort = (reader: EnvironmentReader) => reader.read('PORT', 3000, integerIn(0, 65535), '3000');
const readSecrets = (reader: EnvironmentReader) => reader.read('ADA_WEBHOOK_SECRET', [], parseSecrets, secretPlaceholder);
const readBodyLimit = (reader: EnvironmentReader) => reader.read('BODY_LIMIT', 1024 * 1024, parseByteSize, '1mb');
const readTolerance = (reader: EnvironmentReader) => reader.read('WEBHOOK_TOLERANCE_SECONDS', 300, integerIn(1, 86_400), '300');

/** The inbox's settings; the pool and schema are read, and checked, only for PostgreSQL. */
function readDatabase(reader: EnvironmentReader, production: boolean): DatabaseSettings {
  const database = reader.read(
    'DATABASE_URL',
    { kind: 'sqlite', path: defaultSqlitePath },
    parseDatabaseUrl,
    `sqlite:${relative(projectDirectory, defaultSqlitePath)}`,
  );
  if (database.kind === 'sqlite') return { ...database, createDirectory: !production || database.path === defaultSqlitePath };
  return {
    ...database,
    schema: reader.read('DATABASE_SCHEMA', 'ada_webhooks', parseSchemaName, 'ada_webhooks'),
    poolSize: reader.read('DATABASE_POOL_SIZE', 10, integerIn(2, 100), '10'),
    connectTimeoutMs: 1000 * reader.read('DATABASE_CONNECT_TIMEOUT_SECONDS', 5, integerIn(1, 120), '5'),
    queryTimeoutMs: 1000 * reader.read('DATABASE_QUERY_TIMEOUT_SECONDS', 10, integerIn(1, 600), '10'),
  };
}

/**
 * The signing secrets, decided once on the parsed list: none outside production means the
 * development secret; none in production, or one that this project publishes, is refused.
 */
function readSigningSecrets(reader: EnvironmentReader, production: boolean): Settings['secrets'] {
  const secrets = readSecrets(reader);
  if (reader.rejected('ADA_WEBHOOK_SECRET')) return [];
  if (secrets.length === 0 && !production) return 'development';
  if (secrets.length === 0) {
    reader.problems.push(
      'ADA_WEBHOOK_SECRET is required when NODE_ENV=production: set it to the signing secret of your Ada webhook ' +
        `(several, comma-separated, while rotating). Example: ADA_WEBHOOK_SECRET=${secretPlaceholder}`,
    );
  }
  const published = production ? secrets.findIndex(isPublishedSecret) : -1;
  if (published !== -1) {
    reader.problems.push(
      `ADA_WEBHOOK_SECRET entry ${published + 1} is an example secret published with ada-webhooks (in its documentation or tests), ` +
        `which anyone can sign with; it is refused when NODE_ENV=production. Set the signing secret of your Ada webhook: ADA_WEBHOOK_SECRET=${secretPlaceholder}`,
    );
  }
  return secrets;
}

/** The receiver's settings. */
export function loadSettings(env: Environment = process.env): Settings {
  const reader = new EnvironmentReader(env);
  const read = reader.read.bind(reader);
  const production = env['NODE_ENV'] === 'production';
  const settings: Settings = {
    port: readPort(reader),
    host: read('HOST', '0.0.0.0', (raw) => raw, '127.0.0.1'),
    secrets: readSigningSecrets(reader, production),
    toleranceSeconds: readTolerance(reader),
    bodyLimitBytes: readBodyLimit(reader),
    http: {
      headersTimeoutMs: 1000 * read('HEADERS_TIMEOUT_SECONDS', 10, integerIn(1, 300), '10'),
      requestTimeoutMs: 1000 * read('REQUEST_TIMEOUT_SECONDS', 30, integerIn(1, 600), '30'),
      keepAliveTimeoutMs: 1000 * read('KEEP_ALIVE_TIMEOUT_SECONDS', 5, integerIn(1, 600), '65'),
    },
    database: readDatabase(reader, production),
    logLevel: read('LOG_LEVEL', 'info', oneOf(logLevels), 'info'),
    logFormat: read('LOG_FORMAT', 'auto', oneOf(logFormats), 'json'),
    production,
    shutdownGraceMs: 1000 * read('SHUTDOWN_GRACE_SECONDS', 10, integerIn(1, 3600), '10'),
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
    reader.problems.push(
      `HEADERS_TIMEOUT_SECONDS (${settings.http.headersTimeoutMs / 1000}) must not exceed REQUEST_TIMEOUT_SECONDS (${settings.http.requestTimeoutMs / 1000}): ` +
        'the headers are part of the request. Example: HEADERS_TIMEOUT_SECONDS=10 REQUEST_TIMEOUT_SECONDS=30',
    );
  }
  reader.done();
  return settings;
}

/** Only the inbox's settings: what `npm run inbox` and `npm run replay` need, in production too. */
export function loadDatabaseSettings(env: Environment = process.env): DatabaseSettings {
  const reader = new EnvironmentReader(env);
  const database = readDatabase(reader, env['NODE_ENV'] === 'production');
  reader.done();
  return database;
}

/** What `npm run send` reads when its options do not say: the receiver's port, and the signing secrets. */
export function loadSenderSettings(env: Environment = process.env, { port, secret }: { port: boolean; secret: boolean }) {
  const reader = new EnvironmentReader(env);
  const settings = { port: port ? readPort(reader) : undefined, secrets: secret ? readSecrets(reader) : [] };
  reader.done();
  return settings;
}

/** What `npm run mock` reads: where it listens, and the receiver's limits it reproduces. */
export function loadMockSettings(env: Environment = process.env) {
  const reader = new EnvironmentReader(env);
  const settings = {
    port: reader.read('MOCK_PORT', 4010, integerIn(0, 65535), '4010'),
    host: reader.read('MOCK_HOST', '127.0.0.1', (raw) => raw, '0.0.0.0'),
    bodyLimitBytes: readBodyLimit(reader),
    toleranceSeconds: readTolerance(reader),
  };
  reader.done();
  return settings;
}

/** A `--secret` given on the command line, checked like ADA_WEBHOOK_SECRET. */
export function parseSecretOption(raw: string): string | ConfigError {
  const parsed = parseSecrets(raw);
  if (parsed instanceof Invalid || parsed.length !== 1) {
    return new ConfigError([
      `--secret must be "whsec_" followed by base64 of at least 24 bytes (${raw.length} characters given, not shown). Example: --secret ${secretPlaceholder}`,
    ]);
  }
  return parsed[0]!;
}

/** The settings, or the problems printed and exit code 1: for processes and scripts. */
export function settingsOrExit(env: Environment = process.env): Settings {
  return orExit(() => loadSettings(env));
}

/** What `load` returns, or its configuration problems printed and exit code 1. */
export function orExit<T>(load: () => T): T {
  try {
    return load();
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
  const secrets = raw
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.length === 0) return new Invalid('lists no secret, only separators');
  const malformed = secrets.findIndex((secret) => !isWellFormedSecret(secret));
  if (malformed !== -1) {
    return new Invalid(`must be a comma-separated list of "whsec_" followed by base64 of at least 24 bytes; entry ${malformed + 1} is not`);
  }
  return secrets;
}

function isWellFormedSecret(secret: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  return match !== null && Buffer.from(match[1]!, 'base64').length >= 24;
}

const postgresExample = 'postgres://user:password@host:5432/database';

function parseDatabaseUrl(raw: string): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | Invalid {
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) {
    return { kind: 'sqlite', path: resolve(raw.slice('sqlite:'.length)) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    return URL.canParse(raw) ? { kind: 'postgres', url: raw } : new Invalid('is not a valid URL', postgresExample);
  }
  // A misspelt scheme (postgress://, postgre://, pgsql://): the same URL with the right one.
  const misspelt = /^(p\w*g\w*|psql):\/\//i.exec(raw);
  return new Invalid(
    'must be sqlite:<path to a database file> or postgres://user:password@host:5432/database',
    misspelt ? withoutPassword(`postgres://${raw.slice(misspelt[0].length)}`) : undefined,
  );
}

function parseSchemaName(raw: string): string | Invalid {
  return /^[a-z_][a-z0-9_]{0,47}$/.test(raw)
    ? raw
    : new Invalid('must be a schema name of lower-case letters, digits and underscores (at most 48)');
}

/**
 * Text with the password of any URL in it replaced by stars, fit for logs and error messages,
 * even when the URL is malformed: whatever the scheme, and up to the last `@` (a password may hold
 * one unescaped), and a `password=` query parameter too.
 */
export function withoutPassword(raw: string): string {
  return raw.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^\s]*@/gi, '$1***@').replace(/([?&]password=)[^&\s]*/gi, '$1***');
}

/** Where the inbox is, for the start-up line: the SQLite file, or the PostgreSQL URL without its password and the schema. */
export function databaseLabel(database: DatabaseSettings): string {
  return database.kind === 'sqlite' ? database.path : `${withoutPassword(database.url)} (schema ${database.schema})`;
}
