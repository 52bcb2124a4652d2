import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ConfigError,
  loadDatabaseSettings,
  loadMockSettings,
  loadSenderSettings,
  loadSettings,
  parseSecretOption,
} from '../../src/service/environment.ts';
import { serviceVariables, strayVariables } from '../../src/service/variables.ts';
import { databaseLabel } from '../../src/inbox/settings.ts';

const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
/** The secret of Svix's documentation, and of this project's tests. */
const publishedSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const inspectorToken = 'a'.repeat(16) + 'b'.repeat(16);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has defaults that need no configuration outside production', () => {
    expect(loadSettings({})).to.deep.equal({
      port: 3000,
      host: '0.0.0.0',
      receiver: {
        secrets: [],
        toleranceSeconds: 300,
        bodyLimitBytes: 1024 * 1024,
        path: undefined,
        database: { kind: 'sqlite', path: resolve('data/inbox.sqlite'), createDirectory: true },
        dispatcher: { concurrency: 8, pollIntervalMs: 500, handlerTimeoutMs: 30_000, maxAttempts: 8, retryBaseMs: 5000 },
        inspector: undefined,
        forward: undefined,
        retention: { keep: 30 * 86_400_000, byDefault: true, keepEverything: 'INBOX_RETENTION=forever' },
        driftExampleValues: false,
        explainSignatureFailures: true,
      },
      developmentSecret: true,
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5000 },
      logLevel: 'info',
      logFormat: 'auto',
      production: false,
      shutdownGraceMs: 10_000,
      dispatcherMode: 'on',
      tracing: undefined,
      trustProxy: false,
      warnings: [],
    });
  });

  it('reads every variable', () => {
    const settings = loadSettings({
      PORT: '8080',
      HOST: '127.0.0.1',
      ADA_WEBHOOK_SECRET: ` ${secret} , whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      WEBHOOK_TOLERANCE_SECONDS: '60',
      BODY_LIMIT: '256kb',
      HEADERS_TIMEOUT_SECONDS: '5',
      REQUEST_TIMEOUT_SECONDS: '20',
      KEEP_ALIVE_TIMEOUT_SECONDS: '65',
      DATABASE_URL: 'sqlite:/var/lib/ada/inbox.sqlite',
      WEBHOOK_PATH: '/hooks/ada',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      NODE_ENV: 'production',
      SHUTDOWN_GRACE_SECONDS: '25',
      DISPATCHER: 'only',
      DISPATCHER_CONCURRENCY: '2',
      DISPATCHER_POLL_MS: '50',
      HANDLER_TIMEOUT_SECONDS: '5',
      HANDLER_MAX_ATTEMPTS: '3',
      HANDLER_RETRY_BASE_MS: '100',
      INSPECTOR_TOKEN: inspectorToken,
      INSPECTOR_READ_ONLY: 'true',
      DRIFT_EXAMPLE_VALUES: 'true',
      INBOX_RETENTION: '45d',
      TRUST_PROXY: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_SERVICE_NAME: 'ada-webhooks-eu',
    });
    expect(settings).to.deep.equal({
      port: 8080,
      host: '127.0.0.1',
      receiver: {
        secrets: [secret, `whsec_${Buffer.alloc(32, 7).toString('base64')}`],
        toleranceSeconds: 60,
        bodyLimitBytes: 256 * 1024,
        path: '/hooks/ada',
        database: { kind: 'sqlite', path: '/var/lib/ada/inbox.sqlite', createDirectory: false },
        dispatcher: { concurrency: 2, pollIntervalMs: 50, handlerTimeoutMs: 5000, maxAttempts: 3, retryBaseMs: 100 },
        inspector: { token: inspectorToken, readOnly: true },
        forward: undefined,
        retention: { keep: 45 * 86_400_000, byDefault: false, keepEverything: 'INBOX_RETENTION=forever' },
        driftExampleValues: true,
        explainSignatureFailures: false,
      },
      developmentSecret: false,
      http: { headersTimeoutMs: 5000, requestTimeoutMs: 20_000, keepAliveTimeoutMs: 65_000 },
      logLevel: 'warn',
      logFormat: 'json',
      production: true,
      shutdownGraceMs: 25_000,
      dispatcherMode: 'only',
      tracing: {
        exporters: ['otlp'],
        otlp: { endpoint: 'https://collector.example.com:4318', protocol: 'http/json' },
        sampler: 'parentbased_traceidratio 0.1',
        defaultServiceName: undefined,
        disabledInstrumentations: [],
      },
      trustProxy: true,
      warnings: [],
    });
  });

  it('traces when the OTEL_* variables ask for it, as the standard reads them, and not otherwise', () => {
    const tracing = (env: Record<string, string>) => loadSettings(env).tracing;
    expect(tracing({ OTEL_SERVICE_NAME: 'ada', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).to.equal(undefined);
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp' })).to.deep.equal({
      exporters: ['otlp'],
      otlp: { endpoint: 'http://localhost:4318', protocol: 'http/protobuf' },
      sampler: 'parentbased_always_on',
      defaultServiceName: 'ada-webhooks',
      disabledInstrumentations: [],
    });
    expect(
      tracing({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http, undici' })?.disabledInstrumentations,
    ).to.deep.equal(['http', 'undici']);
    expect(tracing({ OTEL_TRACES_EXPORTER: 'console, zipkin', OTEL_RESOURCE_ATTRIBUTES: 'service.name=eu' })).to.deep.include({
      exporters: ['console', 'zipkin'],
      otlp: undefined,
      defaultServiceName: undefined,
    });
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' })?.otlp).to.deep.equal({
      endpoint: 'http://jaeger:4318/v1/traces',
      protocol: 'http/protobuf',
    });
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_TRACES_EXPORTER: 'none' })).to.equal(undefined);
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SDK_DISABLED: 'true' })).to.equal(undefined);
    expect(problemsOf({ OTEL_TRACES_EXPORTER: 'console,none' })).to.deep.equal([
      'OTEL_TRACES_EXPORTER must be none alone, or list exporters without none, got "console,none". Example: OTEL_TRACES_EXPORTER=otlp',
    ]);
    expect(
      problemsOf({
        OTEL_TRACES_EXPORTER: 'jaeger',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml',
        OTEL_TRACES_SAMPLER: 'ratio',
        OTEL_TRACES_SAMPLER_ARG: '10%',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
      }),
    ).to.deep.equal([
      'OTEL_TRACES_EXPORTER must list exporters among otlp, zipkin, console, none, separated by commas, got "jaeger". Example: OTEL_TRACES_EXPORTER=otlp',
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL of the collector, got "jaeger:4318". Example: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318',
      'OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json, grpc, got "http/xml". Example: OTEL_EXPORTER_OTLP_PROTOCOL=http/json',
      'OTEL_TRACES_SAMPLER must be one of parentbased_always_on, parentbased_always_off, parentbased_traceidratio, always_on, always_off, traceidratio, got "ratio". Example: OTEL_TRACES_SAMPLER=parentbased_traceidratio',
      'OTEL_TRACES_SAMPLER_ARG must be the share of traces kept, from 0 to 1, got "10%". Example: OTEL_TRACES_SAMPLER_ARG=0.1',
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS must list instrumentations among http, undici, got "pg". Example: OTEL_NODE_DISABLED_INSTRUMENTATIONS=http',
    ]);
  });

  describe("a variable that looks like one of the service's but is not", () => {
    const misspelt = {
      ADA_WEBHOOK_SECRETS: secret,
      INSPECTER_TOKEN: inspectorToken,
      PORTT: '4150',
      DATABSE_URL: 'postgres://ada@db.internal:5432/webhooks',
    };
    const named = (name: string, closest: string, consequence: string) =>
      `${name} is not a variable of ada-webhooks (${consequence}); did you mean ${closest}?`;

    it('is named with the closest real name and ignored, with a warning, outside production', () => {
      const settings = loadSettings(misspelt);
      expect(settings.warnings).to.deep.equal([
        named('ADA_WEBHOOK_SECRETS', 'ADA_WEBHOOK_SECRET', 'ignored'),
        named('INSPECTER_TOKEN', 'INSPECTOR_TOKEN', 'ignored'),
        named('PORTT', 'PORT', 'ignored'),
        named('DATABSE_URL', 'DATABASE_URL', 'ignored'),
      ]);
      expect(settings).to.deep.include({ port: 3000, developmentSecret: true });
      expect(settings.receiver).to.deep.include({ inspector: undefined });
      expect(settings.receiver.database.kind).to.equal('sqlite');
    });

    it('is refused in production, beside the other problems', () => {
      const refused = 'refused when NODE_ENV=production, where a misspelt setting must not leave the default in place';
      expect(problemsOf({ NODE_ENV: 'production', ...misspelt })).to.deep.equal([
        'ADA_WEBHOOK_SECRET is required when NODE_ENV=production: set it to the signing secret of your Ada webhook ' +
          '(several, comma-separated, while rotating). Example: ADA_WEBHOOK_SECRET=whsec_<the signing secret from Ada>',
        named('ADA_WEBHOOK_SECRETS', 'ADA_WEBHOOK_SECRET', refused),
        named('INSPECTER_TOKEN', 'INSPECTOR_TOKEN', refused),
        named('PORTT', 'PORT', refused),
        named('DATABSE_URL', 'DATABASE_URL', refused),
      ]);
      expect(() => loadDatabaseSettings({ NODE_ENV: 'production', DATABSE_URL: misspelt.DATABSE_URL }))
        .to.throw(ConfigError)
        .with.property('problems')
        .that.deep.equals([named('DATABSE_URL', 'DATABASE_URL', refused)]);
    });

    it("takes the service's prefixes as its own, and a name in another case as a near miss", () => {
      expect(strayVariables({ FORWARD_NATS_URL: 'nats://x', DATABASE_POOL: '5', port: '80', Node_Env: 'production' })).to.deep.equal([
        { name: 'FORWARD_NATS_URL', closest: 'FORWARD_URL' },
        { name: 'DATABASE_POOL', closest: 'DATABASE_POOL_SIZE' },
        { name: 'port', closest: 'PORT' },
        { name: 'Node_Env', closest: 'NODE_ENV' },
      ]);
    });

    it("leaves the machine's own variables alone, the OpenTelemetry SDK's and npm's among them", () => {
      const usual = {
        PATH: '/usr/bin',
        HOME: '/home/ada',
        HOSTNAME: 'web-1',
        HOSTTYPE: 'x86_64',
        USER: 'ada',
        PWD: '/opt/ada-webhooks',
        SHELL: '/bin/bash',
        TERM: 'xterm',
        LANG: 'C.UTF-8',
        TZ: 'UTC',
        CI: 'true',
        HTTP_PROXY: 'http://proxy:3128',
        NO_PROXY: 'localhost',
        NODE_OPTIONS: '--max-old-space-size=512',
        NODE_EXTRA_CA_CERTS: '/etc/ssl/ca.pem',
        NODE_PATH: '/usr/lib/node',
        PGHOST: 'db',
        PGPORT: '5432',
        TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
        ADA_API_KEY: 'a key for the handlers',
        npm_config_cache: '/root/.npm',
        npm_lifecycle_event: 'start',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=1',
        OTEL_BSP_MAX_QUEUE_SIZE: '2048',
        OTEL_LOG_LEVEL: 'warn',
      };
      expect(strayVariables(usual)).to.deep.equal([]);
      expect(strayVariables(process.env)).to.deep.equal([]);
      expect(loadSettings({ ...usual, PORT: '8080' }).warnings).to.deep.equal([]);
    });

    it('knows every variable that the settings readers read, and the configuration reference documents each', () => {
      const read = new Set<string>();
      const recording = (env: Record<string, string>) =>
        new Proxy(env, {
          get: (target, name) => {
            read.add(String(name));
            return target[String(name)];
          },
        });
      const covering: Record<string, string>[] = [
        {},
        { DATABASE_URL: 'postgres://localhost/ada' },
        { FORWARD_URL: 'nats://127.0.0.1:4222' },
        { FORWARD_URL: 'amqp://127.0.0.1:5672' },
        { INSPECTOR_TOKEN: inspectorToken },
      ];
      for (const env of covering) {
        loadSettings(recording(env));
        loadDatabaseSettings(recording(env));
        loadSenderSettings(recording(env), { url: true, secret: true });
        loadMockSettings(recording(env));
      }
      const ownRead = [...read].filter((name) => !name.startsWith('OTEL_'));
      expect([...ownRead].sort()).to.deep.equal([...serviceVariables].sort());

      const reference = readFileSync(new URL('../../docs/reference.md', import.meta.url), 'utf8');
      expect(serviceVariables.filter((name) => !reference.includes(`\`${name}\``))).to.deep.equal([]);
    });
  });

  it('refuses a short inspector token in production, without showing it', () => {
    const short = 'hunter2-hunter2';
    expect(problemsOf({ NODE_ENV: 'production', ADA_WEBHOOK_SECRET: secret, INSPECTOR_TOKEN: short })).to.deep.equal([
      'INSPECTOR_TOKEN must be at least 32 characters long, got 15 characters (not shown). ' +
        'Example: INSPECTOR_TOKEN=<32 or more random characters, e.g. from openssl rand -hex 24>',
    ]);
    expect(loadSettings({ INSPECTOR_TOKEN: short }).receiver.inspector).to.deep.equal({ token: short, readOnly: false });
    expect(problemsOf({ INSPECTOR_TOKEN: inspectorToken, INSPECTOR_READ_ONLY: 'yes' })).to.deep.equal([
      'INSPECTOR_READ_ONLY must be true or false, got "yes". Example: INSPECTOR_READ_ONLY=true',
    ]);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(problemsOf({ HEADERS_TIMEOUT_SECONDS: '40' })).to.deep.equal([
      'HEADERS_TIMEOUT_SECONDS (40) must not exceed REQUEST_TIMEOUT_SECONDS (30): the headers are part of the request. ' +
        'Example: HEADERS_TIMEOUT_SECONDS=10 REQUEST_TIMEOUT_SECONDS=30',
    ]);
  });

  it('accepts a body limit in plain bytes or megabytes', () => {
    expect(loadSettings({ BODY_LIMIT: '5000' }).receiver.bodyLimitBytes).to.equal(5000);
    expect(loadSettings({ BODY_LIMIT: '2MB' }).receiver.bodyLimitBytes).to.equal(2 * 1024 * 1024);
    expect(loadSettings({ BODY_LIMIT: '64mb' }).receiver.bodyLimitBytes).to.equal(64 * 1024 * 1024);
    expect(() => loadSettings({ BODY_LIMIT: '65mb' })).to.throw(
      'BODY_LIMIT must be at most 64mb: a body is held in memory whole while it is checked, got "65mb". Example: BODY_LIMIT=1mb',
    );
  });

  it('refuses to start in production without a secret', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).to.deep.equal([
      'ADA_WEBHOOK_SECRET is required when NODE_ENV=production: set it to the signing secret of your Ada webhook ' +
        '(several, comma-separated, while rotating). Example: ADA_WEBHOOK_SECRET=whsec_<the signing secret from Ada>',
    ]);
  });

  it('decides on the parsed secrets: blank is unset, separators alone are refused, in production and outside', () => {
    for (const blank of ['', '   ']) {
      expect(loadSettings({ ADA_WEBHOOK_SECRET: blank })).to.deep.include({ developmentSecret: true });
      expect(problemsOf({ NODE_ENV: 'production', ADA_WEBHOOK_SECRET: blank }))
        .to.have.length(1)
        .and.match(/^ADA_WEBHOOK_SECRET is required/);
    }
    for (const separators of [',', ' , ', ',,,']) {
      const refusal = `ADA_WEBHOOK_SECRET lists no secret, only separators, got ${separators.trim().length} characters (not shown). Example: ADA_WEBHOOK_SECRET=whsec_<the signing secret from Ada>`;
      expect(problemsOf({ ADA_WEBHOOK_SECRET: separators })).to.deep.equal([refusal]);
      expect(problemsOf({ NODE_ENV: 'production', ADA_WEBHOOK_SECRET: separators })).to.deep.equal([refusal]);
    }
  });

  it('suggests a placeholder that is not a secret, and refuses published example secrets in production', () => {
    const [refusal] = problemsOf({ NODE_ENV: 'production' });
    const suggested = /Example: ADA_WEBHOOK_SECRET=(.+)$/.exec(refusal!)![1]!;
    expect(problemsOf({ ADA_WEBHOOK_SECRET: suggested }))
      .to.have.length(1)
      .and.match(/^ADA_WEBHOOK_SECRET must be a comma-separated list/);
    expect(parseSecretOption(suggested)).to.be.instanceOf(ConfigError);

    expect(loadSettings({ ADA_WEBHOOK_SECRET: publishedSecret }).receiver.secrets).to.deep.equal([publishedSecret]);
    expect(problemsOf({ NODE_ENV: 'production', ADA_WEBHOOK_SECRET: `${secret},${publishedSecret}` })).to.deep.equal([
      'ADA_WEBHOOK_SECRET entry 2 is an example secret published with ada-webhooks (in its documentation or tests), which anyone can sign with; ' +
        'it is refused when NODE_ENV=production. Set the signing secret of your Ada webhook: ADA_WEBHOOK_SECRET=whsec_<the signing secret from Ada>',
    ]);
  });

  it('creates a missing directory for a given SQLite path outside production only; the default one always', () => {
    const given = { DATABASE_URL: 'sqlite:/var/lib/ada-typo/inbox.sqlite' };
    expect(loadSettings(given).receiver.database).to.deep.include({ createDirectory: true });
    expect(loadDatabaseSettings({ NODE_ENV: 'production', ...given })).to.deep.include({ createDirectory: false });
    expect(loadSettings({ NODE_ENV: 'production', ADA_WEBHOOK_SECRET: secret }).receiver.database).to.deep.include({
      createDirectory: true,
    });
  });

  it('names each bad variable with an example, all at once', () => {
    expect(
      problemsOf({
        PORT: 'http',
        WEBHOOK_TOLERANCE_SECONDS: '-5',
        BODY_LIMIT: '1gb',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        DISPATCHER: 'maybe',
      }),
    ).to.deep.equal([
      'PORT must be a whole number from 0 to 65535, got "http". Example: PORT=3000',
      'WEBHOOK_TOLERANCE_SECONDS must be a whole number from 1 to 86400, got "-5". Example: WEBHOOK_TOLERANCE_SECONDS=300',
      'BODY_LIMIT must be a size in bytes, optionally with a unit b, kb or mb (1kb = 1024 bytes), got "1gb". Example: BODY_LIMIT=1mb',
      'DATABASE_URL must be sqlite:<path to a database file> or postgres://user:password@host:5432/database, got "mysql://x". Example: DATABASE_URL=sqlite:data/inbox.sqlite',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud". Example: LOG_LEVEL=info',
      'DISPATCHER must be one of on, off, only, got "maybe". Example: DISPATCHER=off',
    ]);
  });

  it('keeps done deliveries 30 days unless told, every one with forever, and refuses a misspelt forever with it as the example', () => {
    expect(loadSettings({}).receiver.retention).to.include({ keep: 30 * 86_400_000, byDefault: true });
    expect(loadSettings({ INBOX_RETENTION: '30d' }).receiver.retention).to.include({ keep: 30 * 86_400_000, byDefault: false });
    expect(loadSettings({ INBOX_RETENTION: 'forever' }).receiver.retention).to.deep.equal({
      keep: 'forever',
      keepEverything: 'INBOX_RETENTION=forever',
    });
    const refusal = (got: string, example: string) =>
      `INBOX_RETENTION must be forever, or a duration of at least 28h: a whole number with a unit, s, m, h or d (days), got "${got}". Example: INBOX_RETENTION=${example}`;
    for (const misspelt of ['forevr', 'Forever', 'for ever', 'never'])
      expect(problemsOf({ INBOX_RETENTION: misspelt })).to.deep.equal([refusal(misspelt, 'forever')]);
    expect(problemsOf({ INBOX_RETENTION: '30 days' })).to.deep.equal([refusal('30 days', '30d')]);
  });

  it('rejects a malformed secret without printing it', () => {
    const problems = problemsOf({ ADA_WEBHOOK_SECRET: `${secret},whsec_tooShort` });
    expect(problems).to.deep.equal([
      'ADA_WEBHOOK_SECRET must be a comma-separated list of "whsec_" followed by base64 of at least 24 bytes; entry 2 is not, ' +
        `got ${`${secret},whsec_tooShort`.length} characters (not shown). Example: ADA_WEBHOOK_SECRET=whsec_<the signing secret from Ada>`,
    ]);
  });

  it('reads PostgreSQL and its pool settings, with defaults', () => {
    const url = 'postgresql://ada:s3cret@db.internal:5432/webhooks?sslmode=require&application_name=ada-eu';
    expect(loadSettings({ DATABASE_URL: url }).receiver.database).to.deep.equal({
      kind: 'postgres',
      url,
      schema: 'ada_webhooks',
      poolSize: 10,
      connectTimeoutMs: 5000,
      queryTimeoutMs: 10_000,
    });
    const tuned = loadSettings({
      DATABASE_URL: 'postgres://localhost/ada',
      DATABASE_SCHEMA: 'webhooks_inbox',
      DATABASE_POOL_SIZE: '20',
      DATABASE_CONNECT_TIMEOUT_SECONDS: '2',
      DATABASE_QUERY_TIMEOUT_SECONDS: '3',
    });
    expect(tuned.receiver.database).to.deep.include({
      schema: 'webhooks_inbox',
      poolSize: 20,
      connectTimeoutMs: 2000,
      queryTimeoutMs: 3000,
    });
  });

  it('checks the PostgreSQL settings only for PostgreSQL, and never shows the password', () => {
    expect(loadSettings({ DATABASE_SCHEMA: 'Not A Schema', DATABASE_POOL_SIZE: 'many' }).receiver.database.kind).to.equal('sqlite');
    expect(
      problemsOf({
        DATABASE_URL: 'postgres://ada:s3cret@db/ada',
        DATABASE_SCHEMA: 'Webhooks; DROP',
        DATABASE_POOL_SIZE: '1',
        DATABASE_QUERY_TIMEOUT_SECONDS: '0',
      }),
    ).to.deep.equal([
      'DATABASE_SCHEMA must be a schema name of lower-case letters, digits and underscores (at most 48), got "Webhooks; DROP". Example: DATABASE_SCHEMA=ada_webhooks',
      'DATABASE_POOL_SIZE must be a whole number from 2 to 100, got "1". Example: DATABASE_POOL_SIZE=10',
      'DATABASE_QUERY_TIMEOUT_SECONDS must be a whole number from 1 to 600, got "0". Example: DATABASE_QUERY_TIMEOUT_SECONDS=10',
    ]);
    const [problem] = problemsOf({ DATABASE_URL: 'postgres://ada:s3cret@db:port/ada' });
    expect(problem).to.equal(
      'DATABASE_URL is not a valid URL, got "postgres://ada:***@db:port/ada". Example: DATABASE_URL=postgres://user:password@host:5432/database',
    );
    expect(databaseLabel(loadSettings({ DATABASE_URL: 'postgres://ada:s3cret@db/ada?sslmode=require' }).receiver.database)).to.equal(
      'postgres://ada:***@db/ada?sslmode=require (schema ada_webhooks)',
    );
  });

  it('suggests the postgres:// URL for a misspelt scheme, without its password', () => {
    expect(problemsOf({ DATABASE_URL: 'postgress://ada:S3cretPW@127.0.0.1:5432/test' })).to.deep.equal([
      'DATABASE_URL must be sqlite:<path to a database file> or postgres://user:password@host:5432/database, ' +
        'got "postgress://ada:***@127.0.0.1:5432/test". Example: DATABASE_URL=postgres://ada:***@127.0.0.1:5432/test',
    ]);
  });

  it('never shows a password fed through any variable, into any of the settings readers', () => {
    const password = 'S3cretPW';
    const urls = [
      `postgress://ada:${password}@127.0.0.1:5432/test`,
      `postgres://ada:${password}@db:port/ada`,
      `postgres://ada:p@ss${password}@db/ada`,
      `mysql://ada:${password}@db/ada`,
      `postgres://db/ada?sslmode=require&password=${password}`,
    ];
    // Every variable that a reader looks at, whatever its value.
    const variables = new Set<string>();
    const recording = (env: Record<string, string>) =>
      new Proxy(env, {
        get: (target, name) => {
          variables.add(String(name));
          return target[String(name)];
        },
      });
    const readers = [
      (env: Record<string, string>) => loadSettings(env),
      (env: Record<string, string>) => loadDatabaseSettings(env),
      (env: Record<string, string>) => loadSenderSettings(env, { url: true, secret: true }),
      (env: Record<string, string>) => loadMockSettings(env),
    ];
    for (const reader of readers) reader(recording({}));
    for (const reader of readers) reader(recording({ DATABASE_URL: 'postgres://localhost/ada' }));
    expect(variables).to.include.members(['ADA_WEBHOOK_SECRET', 'DATABASE_URL', 'DATABASE_SCHEMA', 'PORT', 'MOCK_PORT']);

    let messages = 0;
    for (const variable of variables) {
      for (const url of urls) {
        for (const reader of readers) {
          const environments: Record<string, string>[] = [
            { [variable]: url },
            { DATABASE_URL: 'postgres://localhost/ada', [variable]: url },
          ];
          for (const env of environments) {
            try {
              reader({ NODE_ENV: 'production', ADA_WEBHOOK_SECRET: secret, ...env });
            } catch (error) {
              expect(error).to.be.instanceOf(ConfigError);
              expect((error as Error).message).to.not.include(password);
              messages += 1;
            }
          }
        }
      }
    }
    expect(messages, 'error paths exercised').to.be.greaterThan(variables.size);
    expect((parseSecretOption(urls[0]!) as ConfigError).message).to.not.include(password);
  });
});
