// The real receiver process with handlers, for every event type, that inspect what they are
// given and journal it to INSPECT_JOURNAL as JSON lines: { id, type, pristine }. `pristine` is
// false when the event, or Object.prototype, shows a sign of prototype pollution.
import { appendFileSync } from 'node:fs';
import { knownEventNames } from '../../../src/contract/events.ts';
import { runService } from '../../../src/service/run.ts';

const journal = process.env['INSPECT_JOURNAL']!;
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).join();

function pristine(event: unknown): boolean {
  const probe: Record<string, unknown> = {};
  return (
    Object.getOwnPropertyNames(Object.prototype).join() === prototypeKeys &&
    probe['polluted'] === undefined &&
    Object.getPrototypeOf(event) === Object.prototype &&
    Object.getPrototypeOf((event as { data: unknown }).data) === Object.prototype
  );
}

const inspect = (event: { type: string }, { deliveryId }: { deliveryId: string }) =>
  appendFileSync(journal, `${JSON.stringify({ id: deliveryId, type: event.type.slice(0, 64), pristine: pristine(event) })}\n`);

await runService((handlers) => {
  for (const type of knownEventNames) handlers.on(type, inspect);
  handlers.onUnknown(inspect);
});
