// Drains the inbox with no-op handlers and prints how fast: the dispatcher's own cost.
//   DATABASE_URL=sqlite:<file> node scripts/bench/drain.ts <expected number of deliveries>
import { pino } from 'pino';
import { settingsOrExit } from '../../src/config.ts';
import { Dispatcher } from '../../src/dispatcher/dispatcher.ts';
import { HandlerRegistry } from '../../src/dispatcher/handler-registry.ts';
import { openInbox } from '../../src/inbox/open.ts';
import { createMetrics } from '../../src/metrics.ts';

const expected = Number(process.argv[2]);
const settings = settingsOrExit();
const inbox = openInbox(settings.database);
const handlers = new HandlerRegistry().on('v1.conversation.message', () => {});
const dispatcher = new Dispatcher({ ...settings.dispatcher, inbox, handlers, logger: pino({ level: 'warn' }), metrics: createMetrics(inbox) });

const started = performance.now();
dispatcher.start();
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const { done } = await inbox.countByState();
  if (done >= expected) {
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ drained: done, seconds, perSecond: done / seconds }));
    break;
  }
}
await dispatcher.stop(1000);
await inbox.close();
