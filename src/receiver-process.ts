// The receiver process: configuration, inbox, HTTP server and dispatcher; stops cleanly on
// SIGTERM and SIGINT. src/main.ts runs it with the handlers of src/handlers/.
import { databaseLabel, settingsOrExit, type Settings } from './config.ts';
import { loadContract } from './contract.ts';
import { developmentSecret, developmentSecretPath } from './development-secret.ts';
import { Dispatcher } from './dispatcher/dispatcher.ts';
import { HandlerRegistry } from './dispatcher/handler-registry.ts';
import { openInbox } from './inbox/open.ts';
import { createMetrics } from './metrics.ts';
import { createLogger } from './logger.ts';
import { createReceiverApp } from './server/app.ts';
import { createHttpServer } from './server/http-server.ts';
import { stopOnSignals } from './shutdown.ts';
import { secretFingerprint } from './signature.ts';

/** How long requests and handlers in flight may take to finish after a stop signal. */
const shutdownGraceMs = 10_000;

/** The configured secrets, or outside production the development secret (`usingDevelopmentSecret`). */
function secretsOf(settings: Settings): { secrets: string[]; usingDevelopmentSecret: boolean } {
  if (settings.secrets.length > 0) return { secrets: settings.secrets, usingDevelopmentSecret: false };
  return { secrets: [developmentSecret()], usingDevelopmentSecret: true };
}

/** The address to show a person: the wildcard addresses are reached through localhost. */
function displayedHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts the receiver as configured by the environment, with the handlers `registerHandlers` adds. */
export async function runReceiver(registerHandlers: (handlers: HandlerRegistry) => void): Promise<void> {
  const settings = settingsOrExit();
  const logger = createLogger(settings);
  const inbox = await openInbox(settings.database).catch((error: unknown) => {
    // A path that cannot exist, a database that cannot be reached: one line that says which.
    logger.fatal(`could not open the inbox at ${databaseLabel(settings.database)}: ${(error as Error).message}`);
    process.exit(1);
  });
  const metrics = createMetrics(inbox);

  let dispatcher: Dispatcher | undefined;
  if (settings.dispatcherMode !== 'off') {
    const handlers = new HandlerRegistry();
    registerHandlers(handlers);
    dispatcher = new Dispatcher({ ...settings.dispatcher, inbox, handlers, logger, metrics });
  }

  const signing = settings.dispatcherMode === 'only' ? undefined : secretsOf(settings);
  const app = await createReceiverApp({
    contract: loadContract(),
    inbox,
    logger,
    metrics,
    intake: signing && {
      secrets: signing.secrets,
      toleranceSeconds: settings.toleranceSeconds,
      bodyLimitBytes: settings.bodyLimitBytes,
    },
  });
  const server = createHttpServer(app, settings.http);
  server.once('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
    const problem = error.code === 'EADDRINUSE' ? 'is in use' : 'needs privileges this process lacks';
    console.error(`Port ${settings.port} on ${settings.host} ${problem}; set PORT to another port, or stop the process that holds it.`);
    process.exit(1);
  });
  server.listen(settings.port, settings.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : settings.port;
    const url = signing
      ? `http://${displayedHost(settings.host)}:${port}/webhooks/ada`
      : `http://${displayedHost(settings.host)}:${port}/healthz`;
    logger.info(
      {
        url,
        host: settings.host,
        port,
        inbox: databaseLabel(settings.database),
        dispatcher: settings.dispatcherMode,
        secrets: signing?.usingDevelopmentSecret ? 'development' : signing?.secrets.map(secretFingerprint),
      },
      `receiver listening on ${url}`,
    );
    // On standard error, not in the log: a secret, even a development one, stays out of what log
    // shippers collect.
    if (signing?.usingDevelopmentSecret) {
      console.error(
        [
          `No ADA_WEBHOOK_SECRET is set: deliveries are checked with the development secret kept in ${developmentSecretPath}:`,
          `  ${signing.secrets[0]}`,
          'Send a signed test event from another terminal:  npm run send -- v1.conversation.created',
        ].join('\n'),
      );
    }
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
