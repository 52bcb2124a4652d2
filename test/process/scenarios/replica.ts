// A receiver replica for tests: the real receiver process (configuration, inbox, server,
// dispatcher, signals) with a handler for v1.conversation.message that takes a few milliseconds
// and journals each run to REPLICA_JOURNAL as JSON lines: { run: 'start' | 'end', id,
// conversation, pid, at }. `at` is process.hrtime in nanoseconds: one monotonic clock for every
// process of the machine, so that runs of different replicas can be compared.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runService } from '../../../src/service/run.ts';

const journal = process.env['REPLICA_JOURNAL']!;
const record = (run: 'start' | 'end', id: string, conversation: string | undefined) =>
  appendFileSync(journal, `${JSON.stringify({ run, id, conversation, pid: process.pid, at: String(process.hrtime.bigint()) })}\n`);

await runService((handlers) => {
  handlers.on('v1.conversation.message', async ({ data }, { deliveryId }) => {
    record('start', deliveryId, data.conversation_id);
    await sleep(2);
    record('end', deliveryId, data.conversation_id);
  });
});
