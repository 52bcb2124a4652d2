// The service: the environment's settings, the receiver they describe, its HTTP server; stops
// cleanly on SIGTERM and SIGINT. src/main.js runs it with the handlers of src/handlers/.
import { defaultSendUrl, orExit, settingsOrExit } from './environment.ts';
import { checkContract } from '../contract/check.ts';
import { contractLabel, loadContract, type ContractDocument } from '../contract/document.ts';
import { staleGeneratedTypes } from '../contract/generated-types.ts';
import { databaseLabel } from '../inbox/settings.ts';
import { secretFingerprint } from '../intake/signature.ts';
import { createReceiverFromSettings, InboxOpenError, type Receiver } from '../receiver.ts';
import { createServiceApp } from './app.ts';
import { developmentSecret, developmentSecretPath } from './development-secret.ts';
import { createHttpServer } from './http-server.ts';
import { createLogger } from './logger.ts';
import { stopOnSignals } from './shutdown.ts';
import { startTracing } from './tracing-sdk.ts';

/** The address to show a person: the wildcard addresses are reached through localhost. */
function displayedHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** The command that sends a test event to this receiver: `npm run send` goes to its default URL unless told otherwise. */
function sendCommand(url: string): string {
  const command = 'npm run send -- v1.conversation.created';
  return url === defaultSendUrl ? command : `${command} --url ${url}`;
}

/** One line that says why the server cannot listen, and what to change. */
function listenFailure(error: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${displayedHost(host)}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `Port ${port} on ${host} is in use; set PORT to another port, or stop the process that holds it.`;
    case 'EACCES':
      return `Port ${port} on ${host} needs privileges this process lacks; set PORT to another port (1024 or above).`;
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${where}: ${host} is not an address of this machine; set HOST to one of its addresses (0.0.0.0 for every interface, 127.0.0.1 for this machine only).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot listen on ${where}: the host name ${host} does not resolve; set HOST to an address of this machine (0.0.0.0 for every interface).`;
    default:
      return `Cannot listen on ${where}: ${error.message}; check HOST and PORT.`;
  }
}

/**
 * The contract, parsed, and checked unless generated/ was written from this very text (which
 * `npm run generate` checked then: the check compiles JSON Schema's meta-schema, which a start
 * need not pay for each time). Before anything is opened, so that nothing else takes the blame.
 */
function loadServiceContract(): ContractDocument {
  const contract = loadContract();
  if (staleGeneratedTypes()) checkContract(contract, contractLabel());
  return contract;
}

/** Starts the service as configured by the environment, with the handlers `registerHandlers` adds. */
export async function runService(registerHandlers: (receiver: Receiver) => void): Promise<void> {
  const settings = settingsOrExit();
  const contract = orExit(loadServiceContract);
  const logger = createLogger(settings);
  for (const warning of settings.warnings) logger.warn(warning);
  const stale = staleGeneratedTypes();
  if (stale) logger.warn(stale);
  const receives = settings.dispatcherMode !== 'only';
  const usesDevelopmentSecret = receives && settings.developmentSecret;
  const secrets = usesDevelopmentSecret ? [developmentSecret()] : settings.receiver.secrets;
  const inboxLabel = databaseLabel(settings.receiver.database);
  const receiver = await createReceiverFromSettings({ ...settings.receiver, secrets }, { logger, contract }).catch((error: unknown) => {
    // One line that says what failed: the inbox's own error names the inbox.
    logger.fatal(error instanceof InboxOpenError ? error.message : `could not start the receiver: ${(error as Error).message}`);
    process.exit(1);
  });
  registerHandlers(receiver);
  // Before the first request and the first attempt, each of which is traced.
  const stopTracing =
    settings.tracing &&
    (await startTracing(settings.tracing).catch((error: unknown) => {
      logger.fatal((error as Error).message);
      process.exit(1);
    }));

  const server = createHttpServer(
    createServiceApp({ receiver, contract, logger, receive: receives, trustProxy: settings.trustProxy }),
    settings.http,
  );
  server.once('error', (error: NodeJS.ErrnoException) => {
    console.error(listenFailure(error, settings.host, settings.port));
    process.exit(1);
  });
  server.listen(settings.port, settings.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : settings.port;
    const origin = `http://${displayedHost(settings.host)}:${port}`;
    const url = `${origin}${receives ? receiver.path : '/healthz'}`;
    const inspector = receiver.inspector ? `${origin}${receiver.inspector.path}` : 'off';
    logger.info(
      {
        url,
        host: settings.host,
        port,
        inbox: inboxLabel,
        dispatcher: settings.dispatcherMode,
        secrets: !receives ? undefined : usesDevelopmentSecret ? 'development' : secrets.map(secretFingerprint),
        inspector,
        tracing: settings.tracing ?? 'off',
        // The ids of the operator's keys (their digests' start), the writing key's first: never a key.
        encryption: settings.receiver.database.encryption?.ids ?? 'off',
      },
      `receiver listening on ${url}; inspector ${receiver.inspector ? `on ${inspector}` : 'off'}`,
    );
    // On standard error, not in the log: a secret, even a development one, stays out of what log
    // shippers collect.
    if (usesDevelopmentSecret) {
      console.error(
        [
          `No ADA_WEBHOOK_SECRET is set: deliveries are checked with the development secret (fingerprint ${secretFingerprint(secrets[0]!)}) kept in ${developmentSecretPath}:`,
          `  ${secrets[0]}`,
          `Send a signed test event from another terminal:  ${sendCommand(url)}`,
        ].join('\n'),
      );
    }
  });
  if (settings.dispatcherMode !== 'off') receiver.start();

  // Stop accepting connections and claiming deliveries; let requests and handlers in flight
  // finish; then close the inbox.
  stopOnSignals(async () => {
    // close() ends idle keep-alive connections once; sweep those that go idle later, and cut
    // whatever is left when the grace period is over.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => server.closeAllConnections(), settings.shutdownGraceMs);
    await Promise.all([new Promise((resolve) => server.close(resolve)), receiver.stop({ graceMs: settings.shutdownGraceMs })]);
    clearInterval(sweep);
    clearTimeout(deadline);
    await receiver.close();
    await stopTracing?.();
  }, logger);
}
