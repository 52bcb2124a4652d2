// The one place that composes a receiver: the inbox, the intake and its adapters, the dispatcher,
// the metrics and the logs. createReceiver is the library's entry; the service (src/main.js) builds
// the same receiver from settings it read from the environment with the same readers.
import { pino, type Logger } from 'pino';
import { dereferenceContract, loadContract, type ContractDocument } from './contract/document.ts';
import { loadRequestValidator, operationOf, type ValidateRequest } from './contract/operations.ts';
import { createDeliveryValidator } from './contract/delivery-validator.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import {
  HandlerRegistry,
  type EventHandler,
  type HandlerOptions,
  type Handlers,
  type TransactionalEventHandler,
  type TransactionalUnknownEventHandler,
  type UnknownEventHandler,
} from './dispatch/handler-registry.ts';
import type { EventName } from './contract/events.ts';
import { Forwarding } from './forward/forwarding.ts';
import { openForwarder } from './forward/open.ts';
import type { Inbox } from './inbox/inbox.ts';
import { openInbox, sealedWhenKeyed } from './inbox/open.ts';
import { PostgresInbox } from './inbox/postgres/inbox.ts';
import { databaseLabel } from './inbox/settings.ts';
import { keptLine, purgeLine, Retention, type RetentionSettings } from './inbox/retention.ts';
import { inboxView, type InboxView } from './inbox/view.ts';
import { createInspector, type Inspector } from './inspector/mount.ts';
import { fetchHandler, type FetchHandler } from './intake/adapters/fetch.ts';
import type { KoaMiddleware } from './intake/adapters/koa-middleware.ts';
import { koaMiddleware } from './intake/adapters/koa.ts';
import { nodeListener, type NodeListener } from './intake/adapters/node.ts';
import { ContractDrift } from './intake/contract-drift.ts';
import { createIntake, type Intake } from './intake/receive.ts';
import { readSecrets, secretsSetting } from './intake/settings.ts';
import { createVerifier, type ToleranceOption } from './intake/signature.ts';
import { readReceiverSettings, type ReceiverSettings } from './receiver-settings.ts';
import { Releases } from './support/releases.ts';
import { ConfigError, SettingsReader, parseBoolean, unknownOptions, type Setting } from './support/settings-reader.ts';
import { logInboxAvailability } from './telemetry/inbox-availability.ts';
import { createMetrics } from './telemetry/metrics.ts';
import { health, metricsText, readiness, type Health, type MetricsText, type Readiness } from './telemetry/probes.ts';

export interface ReceiverOptions extends ToleranceOption {
  /** The Ada webhook's signing secret (`whsec_...`), or several while rotating. Without one the receiver can dispatch but not receive. */
  secrets?: string | readonly string[];
  /** Where the inbox lives: `sqlite:<path>` or `postgres://user:password@host:5432/database`. */
  database: string;
  /** PostgreSQL: the schema of the inbox's tables (default `ada_webhooks`). */
  databaseSchema?: string;
  /** PostgreSQL: connections in the pool (default 10). */
  databasePoolSize?: number;
  /** PostgreSQL: how long a delivery waits for a connection before it is answered 503 (default 5). */
  databaseConnectTimeoutSeconds?: number;
  /** PostgreSQL: how long a statement may take before the delivery is answered 503 (default 10). */
  databaseQueryTimeoutSeconds?: number;
  /** SQLite: create the file's directory when it is missing (default true). */
  createDatabaseDirectory?: boolean;
  /** Largest accepted body: bytes, or text with a unit such as `'1mb'` (default 1 MB). */
  bodyLimit?: number | string;
  /** Where `koa()` and `node()` take deliveries (default `/webhooks/ada`, the contract's path). */
  path?: string;
  /** Handlers running at once, never two of one conversation (default 8). */
  concurrency?: number;
  /** How often the dispatcher looks for deliveries stored by other processes (default 500). */
  pollIntervalMs?: number;
  /** A handler attempt that takes longer fails, and its signal is aborted (default 30). */
  handlerTimeoutSeconds?: number;
  /** Attempts before a delivery is dead (default 8). */
  maxAttempts?: number;
  /** Delay before the first retry; each further one waits about twice as long, at most an hour (default 5000). */
  retryBaseMs?: number;
  /** A pino logger for the delivery lines and the dispatcher's (default: pino at level warn, on standard output). */
  logger?: Logger;
  /** The contract to validate against (default: the one this package ships). */
  contract?: ContractDocument;
  /** Turns the inspector page on (`receiver.inspector`): the token that signs in to it, at least 32 characters. */
  inspectorToken?: string;
  /** The inspector shows deliveries but refuses every action (default false). */
  inspectorReadOnly?: boolean;
  /** Forwards every accepted delivery to a broker, in conversation order: `nats://host:4222` (JetStream) or `amqp://user:password@host:5672` (RabbitMQ). */
  forwardUrl?: string;
  /** JetStream: the stream, created if missing (default `ADA_WEBHOOKS`). */
  forwardStream?: string;
  /** JetStream: each message's subject; `{type}`, `{conversation}` and `{end_user}` are filled in (default `ada.{type}`). */
  forwardSubject?: string;
  /** JetStream: how long a stream that the receiver creates remembers message ids to drop a second copy (default 600). */
  forwardDuplicateWindowSeconds?: number;
  /** RabbitMQ: the topic exchange, declared if missing (default `ada-webhooks`). */
  forwardExchange?: string;
  /** The event types forwarded, and `unknown` for types the contract does not know (default: every type). */
  forwardTypes?: string | readonly string[];
  /** How long `done` deliveries are kept, such as `'30d'` or `'48h'` (at least `'28h'`): older ones are purged while the dispatcher runs; `'forever'` keeps every one (default `'30d'`). */
  inboxRetention?: string;
  /**
   * Keeps what the inbox stores of deliveries encrypted at rest: a key of 32 random bytes in base64
   * (`openssl rand -base64 32`), or several separated by commas while rotating, the first used to
   * write (default: none, stored in clear). See docs/end-users-data.md.
   */
  encryptionKey?: string;
  /** A 401 names the signature check that failed and what to change: for development and staging, never for a receiver on the internet (default false). */
  explainSignatureFailures?: boolean;
  /** Contract drift keeps an example value of each field the contract does not describe, not only its type; values may carry personal data (default false). */
  driftExampleValues?: boolean;
}

export interface Receiver extends Handlers {
  /** Koa middleware (`app.use(receiver.koa())`): answers POST on the path, and passes every other request on. */
  koa(): KoaMiddleware;
  /** A `(req, res, next?)` listener for node:http, Express and Connect; answers the path, passes others to `next` (404 without). */
  node(): NodeListener;
  /** A fetch-style handler, `Request` to `Response` (Hono, Next.js route handlers): every request it is given is a delivery. */
  readonly fetch: FetchHandler;
  /** Starts the dispatcher, which runs the handlers of stored deliveries. */
  start(): void;
  /**
   * Stops the dispatcher: it claims nothing more, and handlers still running after `graceMs`
   * (10 s by default) are given back to the inbox, to be handled again. Ends the inspector's
   * live updates, which would hold a closing server open.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Stops the dispatcher, then closes the forwarder's connection and the inbox. Stop taking requests first (close your server). */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Where `koa()` and `node()` take deliveries. */
  readonly path: string;
  /** The store: read deliveries, lanes, counts and drift; replay, purge, discard. Claims and leases stay the dispatcher's. */
  readonly inbox: InboxView;
  /** The inspector page, when `inspectorToken` turns it on: mount its `koa()` or `node()` beside the receiver's. */
  readonly inspector: Inspector | undefined;
  health(): Health;
  readiness(): Promise<Readiness>;
  /** Prometheus text of the receiver's metrics, and its content type. */
  metrics(): Promise<MetricsText>;
}

/** Each receiver's inbox itself, behind the view that `receiver.inbox` shows. */
const inboxes = new WeakMap<Receiver, Inbox>();

/** The whole inbox of a receiver made here: for this project's tests, which seed it and claim from it; the package does not export it. */
export const inboxOf = (receiver: Receiver): Inbox => inboxes.get(receiver)!;

/** The receiver's inbox could not be opened: a path that cannot exist, a database that cannot be reached. */
export class InboxOpenError extends Error {
  override name = 'InboxOpenError';
}

/** Parts that are not settings: what the host gives the receiver. */
interface ReceiverParts {
  logger: Logger;
  contract: ContractDocument;
}

const createDirectorySetting: Setting = { option: 'createDatabaseDirectory' };

/** Every option's name; the compiler keeps it complete. */
const optionNames: readonly string[] = Object.keys({
  secrets: true,
  database: true,
  databaseSchema: true,
  databasePoolSize: true,
  databaseConnectTimeoutSeconds: true,
  databaseQueryTimeoutSeconds: true,
  createDatabaseDirectory: true,
  toleranceSeconds: true,
  bodyLimit: true,
  path: true,
  concurrency: true,
  pollIntervalMs: true,
  handlerTimeoutSeconds: true,
  maxAttempts: true,
  retryBaseMs: true,
  logger: true,
  contract: true,
  inspectorToken: true,
  inspectorReadOnly: true,
  forwardUrl: true,
  forwardStream: true,
  forwardSubject: true,
  forwardDuplicateWindowSeconds: true,
  forwardExchange: true,
  forwardTypes: true,
  inboxRetention: true,
  encryptionKey: true,
  explainSignatureFailures: true,
  driftExampleValues: true,
} satisfies Record<keyof ReceiverOptions, true>);

/** A receiver with its options checked; throws a ConfigError that lists every problem. */
export async function createReceiver(options: ReceiverOptions): Promise<Receiver> {
  const reader = new SettingsReader(options as unknown as Record<string, unknown>, 'option');
  const createDirectory = reader.read(createDirectorySetting, true, parseBoolean, 'true');
  // The library cannot tell production from a laptop, so it holds every receiver to production's rules.
  const settings = readReceiverSettings(reader, { createDirectory, example: 'sqlite:data/inbox.sqlite' }, readSecrets(reader), true);
  reader.problems.push(...unknownOptions(options, optionNames, 'createReceiver'));
  reader.done();
  return createReceiverFromSettings(settings, {
    logger: options.logger ?? pino({ level: 'warn' }),
    contract: options.contract ?? loadContract(),
  });
}

/** The receiver of settings already read (by createReceiver, or by the service from the environment). */
export async function createReceiverFromSettings(settings: ReceiverSettings, parts: ReceiverParts): Promise<Receiver> {
  const dereferenced = await dereferenceContract(parts.contract);
  const validate = await loadRequestValidator(dereferenced, 'receiveAdaWebhook');
  // What each step opens (the inbox's writer thread or pool, the broker's connection, timers) is
  // released, last first, when a later step throws, and by close().
  const releases = new Releases();
  try {
    return await composeReceiver(settings, { ...parts, dereferenced, validate, releases });
  } catch (error) {
    await releases
      .releaseAll()
      .catch((failure: unknown) => parts.logger.warn({ err: failure }, 'could not release what the receiver had opened before it failed'));
    throw error;
  }
}

async function openInboxAt(database: ReceiverSettings['database']): Promise<Inbox> {
  try {
    return await openInbox(database);
  } catch (error) {
    throw new InboxOpenError(`could not open the inbox at ${databaseLabel(database)}: ${(error as Error).message}`, { cause: error });
  }
}

interface CompositionParts extends ReceiverParts {
  dereferenced: ContractDocument;
  validate: ValidateRequest;
  releases: Releases;
}

async function composeReceiver(settings: ReceiverSettings, composition: CompositionParts): Promise<Receiver> {
  const { logger, contract, dereferenced, validate, releases } = composition;
  const store = releases.adopt(await openInboxAt(settings.database), (store) => store.close());
  const inbox = sealedWhenKeyed(store, settings.database, (deliveryId, reason) =>
    logger.error({ deliveryId }, `a delivery cannot be read: ${reason}`),
  );
  // Deliveries are taken in only with a secret to verify them: the intake, and the contract drift
  // that it alone feeds, exist exactly then. Without one, the receiver dispatches what is stored.
  const receiving =
    settings.secrets.length === 0
      ? undefined
      : {
          secrets: settings.secrets,
          drift: releases.adopt(
            await ContractDrift.open({ inbox, logger, contract: dereferenced, exampleValues: settings.driftExampleValues }),
            (drift) => drift.close(),
          ),
        };
  const forwarding =
    settings.forward &&
    releases.adopt(
      new Forwarding({
        forwarder: await openForwarder(settings.forward, logger, { bodyLimitBytes: settings.bodyLimitBytes }),
        types: settings.forward.types,
        inbox,
        logger,
      }),
      (forwarding) => forwarding.close(),
    );
  const metrics = createMetrics(inbox, { forwarding, drift: receiving?.drift });
  releases.defer(logInboxAvailability(inbox, logger));
  const transactions = store instanceof PostgresInbox ? store.handlerTransactions : undefined;
  const handlers = new HandlerRegistry({ transactions: transactions !== undefined });
  const dispatcher = new Dispatcher({ ...settings.dispatcher, inbox, handlers, logger, metrics, forwarding, transactions });
  const retention = composeRetention(settings.retention, inbox, logger);
  const path = settings.path ?? operationOf(contract, 'receiveAdaWebhook').path;
  const intake: Intake | undefined =
    receiving &&
    createIntake({
      verify: createVerifier({ secrets: receiving.secrets, toleranceSeconds: settings.toleranceSeconds }),
      validate,
      inbox,
      bodyLimitBytes: settings.bodyLimitBytes,
      explainSignatureFailures: settings.explainSignatureFailures,
      toleranceSeconds: settings.toleranceSeconds,
      observer: { logger, metrics },
      drift: receiving.drift,
    });
  const requireIntake = (): Intake => {
    if (intake) return intake;
    throw new ConfigError([`${secretsSetting.option} is required to take deliveries in: give the Ada webhook's signing secret`]);
  };
  const inspector =
    settings.inspector &&
    createInspector({
      settings: settings.inspector,
      inbox,
      validateDelivery: createDeliveryValidator(dereferenced),
      logger,
    });
  let handleFetch: FetchHandler | undefined;
  let started = false;

  const receiver: Receiver = {
    on(type: EventName, handler: EventHandler<EventName> | TransactionalEventHandler<EventName>, options?: HandlerOptions) {
      handlers.on(type, handler, options);
      return this;
    },
    onUnknown(handler: UnknownEventHandler | TransactionalUnknownEventHandler, options?: HandlerOptions) {
      handlers.onUnknown(handler, options);
      return this;
    },
    koa: () => koaMiddleware(requireIntake(), path),
    node: () => nodeListener(requireIntake(), path),
    fetch: (request) => (handleFetch ??= fetchHandler(requireIntake()))(request),
    start() {
      started = true;
      dispatcher.start();
      retention.start();
    },
    async stop({ graceMs = 10_000 } = {}) {
      inspector?.close();
      if (!started) return;
      started = false;
      await Promise.all([dispatcher.stop(graceMs), retention.stop()]);
    },
    async close(options) {
      // Released even when the stop fails (a settlement the store refused): else the inbox, the
      // forwarder's reconnecting connection and drift's timer would keep the process alive.
      try {
        await receiver.stop(options);
      } finally {
        await releases.releaseAll();
      }
    },
    path,
    inbox: withLoggedErasure(inboxView(inbox), logger),
    inspector,
    health,
    readiness: () => readiness(inbox, forwarding),
    metrics: () => metricsText(metrics),
  };
  inboxes.set(receiver, inbox);
  return receiver;
}

/** The purge of old `done` deliveries, which says at each start what it will do; with `forever`, only that every delivery is kept. */
function composeRetention(settings: RetentionSettings, inbox: Inbox, logger: Logger): Pick<Retention, 'start' | 'stop'> {
  if (settings.keep === 'forever') return { start: () => logger.info(keptLine(settings)), stop: async () => {} };
  const retentionMs = settings.keep;
  return new Retention(inbox, retentionMs, {
    onStarted: (due, receivedBefore) =>
      // A purge that no setting asked for is a warning, seen where only warnings are (the library's default logger).
      logger[settings.byDefault && due > 0 ? 'warn' : 'info'](
        { retentionMs, due, receivedBefore },
        purgeLine(settings, due, receivedBefore),
      ),
    onPurged: (purged, receivedBefore) =>
      logger.info({ purged, receivedBefore }, `purged ${purged} done deliveries received before ${receivedBefore.toISOString()}`),
    onError: (error) => logger.warn({ err: error }, `the inbox's purge of old done deliveries failed: ${(error as Error).message}`),
  });
}

/** The view, with each erasure logged with its count: the app's erasures leave the same trace as an operator's. */
function withLoggedErasure(view: InboxView, logger: Logger): InboxView {
  return {
    ...view,
    async erase(endUserId, at = new Date()) {
      const erased = await view.erase(endUserId, at);
      logger.info({ endUserId, erased, at }, `erased ${erased} deliveries of end user ${endUserId}`);
      return erased;
    },
  };
}
