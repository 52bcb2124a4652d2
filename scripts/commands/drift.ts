// How real traffic differs from the contract, as the receiver saw it: the fields that deliveries
// carry and the contract does not describe, the values and types it does not allow (those
// deliveries are quarantined), and the event types it does not know yet.
//   npm run drift -- [--since <time>] [--type <event type>] [--json]
import { loadDatabaseSettings, orExit } from '../../src/config/environment.ts';
import { describeDrift, type DriftKind } from '../../src/contract/drift.ts';
import type { DriftSummary } from '../../src/inbox/inbox.ts';
import { parseCommandLine } from './command-line.ts';
import { openExistingInbox } from './existing-inbox.ts';

const usage = `Usage: npm run drift -- [options]

What deliveries showed that the contract (openapi/ada-webhooks.yaml) does not describe, per event
type, the most recently seen first: fields it does not describe (with their JSON type), values
and types it does not allow, fields it requires that were missing, event types it does not know.

  --since TIME    only what was seen at or after TIME (ISO 8601, e.g. 2026-11-24T09:00:00Z)
  --type TYPE     only this event type
  --json          print JSON instead of text
  -h, --help      this text

Then describe what you want in the contract, run npm run generate (the types follow), restart the
receiver, and npm run replay -- --state quarantined for the deliveries it refused.`;

const { values, positionals, fail } = parseCommandLine('drift', usage, {
  since: { type: 'string' },
  type: { type: 'string' },
  json: { type: 'boolean', default: false },
});
if (positionals.length > 0) fail(`Unexpected argument ${JSON.stringify(positionals[0])}.`);
const since = values.since === undefined ? undefined : new Date(values.since);
if (since && Number.isNaN(since.getTime()))
  fail(`--since must be a time such as 2026-11-24T09:00:00Z, got ${JSON.stringify(values.since)}.`);

/** What became of the deliveries that showed a difference of this kind. */
const fate: Record<DriftKind, string> = {
  unknown_field: 'accepted',
  unlisted_value: 'quarantined',
  other_type: 'quarantined',
  missing_field: 'quarantined',
  other_violation: 'quarantined',
  unknown_event_type: 'handled as unknown',
  beyond_cap: 'counted together',
};

const time = (date: Date) => date.toISOString().replace('T', ' ').slice(0, 16);

function line(summary: DriftSummary): string {
  const deliveries = `${summary.deliveries.toLocaleString('en-US')} ${summary.deliveries === 1 ? 'delivery' : 'deliveries'}`;
  return `  ${describeDrift(summary)}: ${deliveries} ${fate[summary.kind]}, seen ${time(summary.firstSeenAt)} to ${time(summary.lastSeenAt)} UTC (e.g. ${summary.exampleId})`;
}

const inbox = await openExistingInbox(orExit(() => loadDatabaseSettings()));
try {
  const summaries = await inbox.drift({ since, eventType: values.type });
  if (values.json) console.log(JSON.stringify(summaries, null, 2));
  else if (summaries.length === 0) console.log('No drift: every delivery stored so far matches the contract.');
  else {
    const byType = Map.groupBy(summaries, (summary) => summary.eventType);
    console.log([...byType].map(([eventType, group]) => [eventType, ...group.map(line)].join('\n')).join('\n\n'));
  }
} finally {
  await inbox.close();
}
