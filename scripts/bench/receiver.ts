// The receiver with a no-op handler for every event type, so that the benchmark's drain figure
// is the dispatcher's and the inbox's own cost.
import { knownEventNames } from '../../src/contract/events.ts';
import { runReceiver } from '../../src/service/run.ts';

await runReceiver((handlers) => {
  for (const type of knownEventNames) handlers.on(type, () => {});
  handlers.onUnknown(() => {});
});
