// The service's settings, from environment variables: the service's only reader of the
// environment. Validated once at start-up, every problem reported at once, naming the variable,
// what is wrong with it, and an example of a good value.
import { join, relative } from 'node:path';
import { ContractError } from '../contract/document.ts';
import { readDatabase, type DatabaseSettings } from '../inbox/settings.ts';
import { parseSecrets, readBodyLimit, readSecrets, readTolerance, secretPlaceholder, secretsSetting } from '../intake/settings.ts';
import { readReceiverSettings, readWebhookPath, type ReceiverSettings } from '../receiver-settings.ts';
import { ConfigError, Invalid, SettingsReader, anyText, integerIn, oneOf, parseBoolean, type Setting } from '../support/settings-reader.ts';
import type { HttpLimits } from './http-server.ts';
import { logFormats, logLevels, type LogFormat, type LogLevel } from './logger.ts';
import { dataDirectory, projectDirectory } from './project.ts';
import { readTracing, type TracingSettings } from './tracing-sdk.ts';
import { describeStray, strayVariables } from './variables.ts';

export { ConfigError };

interface Settings {
  port: number;
  host: string;
  /**
   * What the receiver takes: its `secrets` are those of ADA_WEBHOOK_SECRET, or the development
   * secret when `developmentSecret` says so.
   */
  receiver: ReceiverSettings;
  /** No ADA_WEBHOOK_SECRET outside production: the receiver uses a development secret of its own. */
  developmentSecret: boolean;
  http: HttpLimits;
  logLevel: LogLevel;
  logFormat: LogFormat;
  production: boolean;
  /** After a stop signal, how long requests and handlers in flight may take to finish. */
  shutdownGraceMs: number;
  /** `on`: receiver and dispatcher; `off`: receiver only; `only`: dispatcher only (a worker). */
  dispatcherMode: DispatcherMode;
  /** Set when the OTEL_* variables ask for traces. */
  tracing: TracingSettings | undefined;
  /** Behind a proxy that sets X-Forwarded-For and X-Forwarded-Proto: the client and the protocol are read from them. */
  trustProxy: boolean;
  /** Variables that look like the service's but are not, outside production (where they are refused): for the log. */
  warnings: string[];
}

const dispatcherModes = ['on', 'off', 'only'] as const;
type DispatcherMode = (typeof dispatcherModes)[number];

type Environment = Record<string, string | undefined>;

/** The inbox of `npm start`, in the project's data/ folder whatever the working directory. */
const defaultSqliteUrl = `sqlite:${join(dataDirectory, 'inbox.sqlite')}`;
const defaultSqliteExample = `sqlite:${relative(projectDirectory, join(dataDirectory, 'inbox.sqlite'))}`;

/**
 * Every well-formed secret that this project publishes (documentation, test vectors, test
 * support): anyone can sign with them, so production refuses them. A test keeps the list complete.
 */
const publishedSecrets: ReadonlySet<string> = new Set(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX']);

export const isPublishedSecret = (secret: string): boolean => publishedSecrets.has(secret);

const variable = (name: string): Setting => ({ variable: name, option: name });
const readPort = (reader: SettingsReader) => reader.read(variable('PORT'), 3000, integerIn(0, 65535), '3000');

/** In production a missing directory is created only for the default inbox: a typo must not start a fresh, empty one. */
const serviceDatabaseDefaults = (production: boolean) => ({
  url: defaultSqliteUrl,
  createDirectory: !production,
  example: defaultSqliteExample,
});

/**
 * The signing secrets, decided once on the parsed list: none outside production means the
 * development secret; none in production, or one that this project publishes, is refused.
 */
function readSigningSecrets(reader: SettingsReader, production: boolean): { secrets: string[]; developmentSecret: boolean } {
  const secrets = readSecrets(reader);
  if (reader.rejected(secretsSetting)) return { secrets, developmentSecret: false };
  if (secrets.length === 0 && !production) return { secrets, developmentSecret: true };
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
  return { secrets, developmentSecret: false };
}

/**
 * The variables that look like the service's but are not: problems of `reader` in production,
 * warnings returned otherwise.
 */
function checkStrayVariables(reader: SettingsReader, env: Environment): string[] {
  const production = env['NODE_ENV'] === 'production';
  const described = strayVariables(env).map((stray) => describeStray(stray, production));
  if (!production) return described;
  reader.problems.push(...described);
  return [];
}

/** The service's settings. */
export function loadSettings(env: Environment = process.env): Settings {
  const reader = new SettingsReader(env, 'variable');
  const read = <T>(name: string, fallback: T, parse: (raw: string) => T | Invalid, example: string) =>
    reader.read(variable(name), fallback, parse, example);
  const production = env['NODE_ENV'] === 'production';
  const port = readPort(reader);
  const host = read('HOST', '0.0.0.0', anyText, '127.0.0.1');
  const { secrets, developmentSecret } = readSigningSecrets(reader, production);
  const settings: Settings = {
    port,
    host,
    receiver: readReceiverSettings(reader, serviceDatabaseDefaults(production), secrets, production),
    developmentSecret,
    http: {
      headersTimeoutMs: 1000 * read('HEADERS_TIMEOUT_SECONDS', 10, integerIn(1, 300), '10'),
      requestTimeoutMs: 1000 * read('REQUEST_TIMEOUT_SECONDS', 30, integerIn(1, 600), '30'),
      keepAliveTimeoutMs: 1000 * read('KEEP_ALIVE_TIMEOUT_SECONDS', 5, integerIn(1, 600), '65'),
    },
    logLevel: read('LOG_LEVEL', 'info', oneOf(logLevels), 'info'),
    logFormat: read('LOG_FORMAT', 'auto', oneOf(logFormats), 'json'),
    production,
    shutdownGraceMs: 1000 * read('SHUTDOWN_GRACE_SECONDS', 10, integerIn(1, 3600), '10'),
    dispatcherMode: read('DISPATCHER', 'on', oneOf(dispatcherModes), 'off'),
    tracing: readTracing(reader),
    trustProxy: read('TRUST_PROXY', false, parseBoolean, 'true'),
    warnings: checkStrayVariables(reader, env),
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

/**
 * Only the inbox's settings: what `npm run inbox`, `replay` and `drift` need, in production too.
 * A variable that looks like the service's but is not is refused in production, and otherwise
 * named on standard error: a misspelt DATABASE_URL would show another inbox.
 */
export function loadDatabaseSettings(env: Environment = process.env): DatabaseSettings {
  const reader = new SettingsReader(env, 'variable');
  const database = readDatabase(reader, serviceDatabaseDefaults(env['NODE_ENV'] === 'production'));
  const warnings = checkStrayVariables(reader, env);
  reader.done();
  for (const warning of warnings) console.error(`Warning: ${warning}`);
  return database;
}

/** Only the tracing settings: what `npm run replay` needs to start the traces of the deliveries it replays. */
export function loadTracingSettings(env: Environment = process.env): TracingSettings | undefined {
  const reader = new SettingsReader(env, 'variable');
  const tracing = readTracing(reader);
  reader.done();
  return tracing;
}

/**
 * What `npm run send` reads when its options do not say: the local receiver's URL, from its port
 * and path, and the signing secrets.
 */
export function loadSenderSettings(env: Environment = process.env, { url, secret }: { url: boolean; secret: boolean }) {
  const reader = new SettingsReader(env, 'variable');
  const settings = {
    url: url ? `http://localhost:${readPort(reader)}${readWebhookPath(reader) ?? '/webhooks/ada'}` : undefined,
    secrets: secret ? readSecrets(reader) : [],
  };
  reader.done();
  return settings;
}

/** Where `npm run send` sends without --url in an environment that sets neither PORT nor WEBHOOK_PATH. */
export const defaultSendUrl = loadSenderSettings({}, { url: true, secret: false }).url!;

/** What `npm run mock` reads: where it listens, and the receiver's limits it reproduces. */
export function loadMockSettings(env: Environment = process.env) {
  const reader = new SettingsReader(env, 'variable');
  const settings = {
    port: reader.read(variable('MOCK_PORT'), 4010, integerIn(0, 65535), '4010'),
    host: reader.read(variable('MOCK_HOST'), '127.0.0.1', anyText, '0.0.0.0'),
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

/** What `load` returns, or its problems (of the configuration or of the contract) printed and exit code 1. */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof ContractError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
