// The receiver with a no-op handler for every event type, so that the benchmark's drain figure
// is the dispatcher's and the inbox's own cost.
import { knownEventNames } from '../../src/contract/events.ts';
import { runService } from '../../src/service/run.ts';

await runService((handlers) => {
  for (const type of knownEventNames) handlers.on(type, () => {});
  handlers.onUnknown(() => {});
});
