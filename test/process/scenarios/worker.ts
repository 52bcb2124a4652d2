// A dispatcher-only process for tests: the real Dispatcher, SqliteInbox, configuration and signal
// handling, with a handler for v1.conversation.created that the test steers through WORKER_HANDLER:
//   hang    never finishes          slow    takes 300 ms          record  finishes at once
// Each attempt appends "<handler> start|done <delivery id>" to WORKER_JOURNAL.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { settingsOrExit } from '../../../src/config/environment.ts';
import { Dispatcher } from '../../../src/dispatch/dispatcher.ts';
import { HandlerRegistry } from '../../../src/dispatch/handler-registry.ts';
import { openInbox } from '../../../src/inbox/open.ts';
import { createMetrics } from '../../../src/operations/metrics.ts';
import { stopOnSignals } from '../../../src/service/shutdown.ts';

const mode = process.env['WORKER_HANDLER'] ?? 'record';
const journal = process.env['WORKER_JOURNAL']!;

const settings = settingsOrExit();
const logger = pino({ level: settings.logLevel });
const inbox = await openInbox(settings.database);
const handlers = new HandlerRegistry().on('v1.conversation.created', async (_event, { deliveryId }) => {
  appendFileSync(journal, `${mode} start ${deliveryId}\n`);
  if (mode === 'hang') await new Promise(() => {});
  if (mode === 'slow') await sleep(300);
  appendFileSync(journal, `${mode} done ${deliveryId}\n`);
});
const dispatcher = new Dispatcher({ ...settings.dispatcher, inbox, handlers, logger, metrics: createMetrics(inbox) });
dispatcher.start();
stopOnSignals(async () => {
  await dispatcher.stop(5000);
  await inbox.close();
}, logger);
logger.info('worker started');
