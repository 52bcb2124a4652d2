// The real receiver process with a handler for v1.conversation.created that logs "handler started"
// and then waits a minute, ignoring its abort signal, as much real code does.
import { setTimeout as sleep } from 'node:timers/promises';
import { runService } from '../../../src/service/run.ts';

await runService((handlers) => {
  handlers.on('v1.conversation.created', async (_event, { log }) => {
    log.info('handler started');
    await sleep(60_000);
  });
});
