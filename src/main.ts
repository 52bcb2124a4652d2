// The receiver process: configuration, inbox, HTTP server; stops cleanly on SIGTERM and SIGINT.
import type { Server } from 'node:http';
import { relative } from 'node:path';
import { pino, type Logger } from 'pino';
import { settingsOrExit, type Settings } from './config.ts';
import { loadContract } from './contract.ts';
import { developmentSecret, developmentSecretPath } from './development-secret.ts';
import type { Inbox } from './inbox/inbox.ts';
import { openInbox } from './inbox/open.ts';
import { createReceiverApp } from './server/app.ts';

/** How long requests in flight may take to finish after a stop signal. */
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

function stopOnSignals(server: Server, inbox: Inbox, logger: Logger): void {
  const stop = async (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping: refusing new connections, finishing requests in flight');
    // close() ends idle keep-alive connections once; sweep those that go idle later, and cut
    // whatever is left when the grace period is over.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => server.closeAllConnections(), shutdownGraceMs);
    await new Promise((resolve) => server.close(resolve));
    clearInterval(sweep);
    clearTimeout(deadline);
    await inbox.close();
    logger.info('stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, stop);
}

const settings = settingsOrExit();
const logger = pino({ level: settings.logLevel });
const secrets = secretsOf(settings);
const inbox = openInbox(settings.database);
const app = await createReceiverApp({
  contract: loadContract(),
  secrets,
  toleranceSeconds: settings.toleranceSeconds,
  bodyLimitBytes: settings.bodyLimitBytes,
  inbox,
  logger,
});
const server = app.listen(settings.port, settings.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  logger.info({ host: settings.host, port, database: settings.database.path }, 'receiver listening');
});
stopOnSignals(server, inbox, logger);
