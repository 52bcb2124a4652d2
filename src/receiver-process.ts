// The receiver process: configuration, inbox, HTTP server and dispatcher; stops cleanly on
// SIGTERM and SIGINT. src/main.ts runs it with the handlers of src/handlers/.
import { relative } from 'node:path';
import { pino } from 'pino';
import { databaseLabel, settingsOrExit, type Settings } from './config.ts';
import { loadContract } from './contract.ts';
import { developmentSecret, developmentSecretPath } from './development-secret.ts';
import { Dispatcher } from './dispatcher/dispatcher.ts';
import { HandlerRegistry } from './dispatcher/handler-registry.ts';
import { openInbox } from './inbox/open.ts';
import { createMetrics } from './metrics.ts';
import { createReceiverApp } from './server/app.ts';
import { createHttpServer } from './server/http-server.ts';
import { stopOnSignals } from './shutdown.ts';

/** How long requests and handlers in flight may take to finish after a stop signal. */
const shutdownGraceMs = 10_000;

function secretsOf(settings: Settings): string[] {
  if (settings.secrets.length > 0) return settings.secrets;
  const secret = developmentSecret();
  console.error(
    [
      `No ADA_WEBHOOK_SECRET is set: using the development secret kept in ${relative('.', developmentSecretPath)}:`,
      `  ${secret}`,
      'Send a signed test event from another terminal:  npm run send -- v1.conversation.created',
    ].join('\n'),
  );
  return [secret];
}

/** Starts the receiver as configured by the environment, with the handlers `registerHandlers` adds. */
export async function runReceiver(registerHandlers: (handlers: HandlerRegistry) => void): Promise<void> {
  const settings = settingsOrExit();
  const logger = pino({ level: settings.logLevel });
  const inbox = await openInbox(settings.database).catch((error: unknown) => {
    logger.fatal({ err: error, database: databaseLabel(settings.database) }, 'could not open the inbox');
    process.exit(1);
  });
  const metrics = createMetrics(inbox);

  let dispatcher: Dispatcher | undefined;
  if (settings.dispatcherMode !== 'off') {
    const handlers = new HandlerRegistry();
    registerHandlers(handlers);
    dispatcher = new Dispatcher({ ...settings.dispatcher, inbox, handlers, logger, metrics });
  }

  const app = await createReceiverApp({
    contract: loadContract(),
    inbox,
    logger,
    metrics,
    intake:
      settings.dispatcherMode === 'only'
        ? undefined
        : {
            secrets: secretsOf(settings),
            toleranceSeconds: settings.toleranceSeconds,
            bodyLimitBytes: settings.bodyLimitBytes,
          },
  });
  const server = createHttpServer(app, settings.http).listen(settings.port, settings.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : settings.port;
    logger.info({ host: settings.host, port, database: databaseLabel(settings.database), dispatcher: settings.dispatcherMode }, 'receiver listening');
  });
  dispatcher?.start();

  // Stop accepting connections and claiming deliveries; let requests and handlers in flight
  // finish; then close the inbox.
  stopOnSignals(async () => {
    // close() ends idle keep-alive connections once; sweep those that go idle later, and cut
    // whatever is left when the grace period is over.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => server.closeAllConnections(), shutdownGraceMs);
    await Promise.all([new Promise((resolve) => server.close(resolve)), dispatcher?.stop(shutdownGraceMs)]);
    clearInterval(sweep);
    clearTimeout(deadline);
    await inbox.close();
  }, logger);
}
