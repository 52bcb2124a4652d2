// A dispatcher-only process for tests: the real service with DISPATCHER=only, and a handler for
// v1.conversation.created that the test steers through WORKER_HANDLER:
//   hang    never finishes          slow    takes 300 ms          record  finishes at once
// Each attempt appends "<handler> start|done <delivery id>" to WORKER_JOURNAL.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runService } from '../../../src/service/run.ts';

const mode = process.env['WORKER_HANDLER'] ?? 'record';
const journal = process.env['WORKER_JOURNAL']!;

await runService((receiver) => {
  receiver.on('v1.conversation.created', async (_event, { deliveryId }) => {
    appendFileSync(journal, `${mode} start ${deliveryId}\n`);
    if (mode === 'hang') await new Promise(() => {});
    if (mode === 'slow') await sleep(300);
    appendFileSync(journal, `${mode} done ${deliveryId}\n`);
  });
});
