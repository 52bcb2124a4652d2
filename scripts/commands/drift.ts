// How real traffic differs from the contract, as the receiver saw it: the fields that deliveries
// carry and the contract does not describe, the values and types it does not allow (those
// deliveries are quarantined), and the event types it does not know yet.
//   npm run drift -- [--since <time>] [--type <event type>] [--json] [--write]
import { createTwoFilesPatch } from 'diff';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { loadDatabaseSettings, orExit } from '../../src/service/environment.ts';
import { contractUrl, dereferenceContract, webhookExamples, type ContractDocument } from '../../src/contract/document.ts';
import { describeDrift, driftKey, type DriftKind } from '../../src/contract/drift.ts';
import { createDeliveryValidator } from '../../src/contract/delivery-validator.ts';
import { describeViolation } from '../../src/contract/validation.ts';
import type { DriftSummary, Inbox } from '../../src/inbox/inbox.ts';
import { parseTypedTime } from '../../src/support/typed-time.ts';
import { parseCommandLine } from './command-line.ts';
import { deriveEventLists } from '../event-lists.ts';
import { editContract, type ContractEdit } from './contract-edit.ts';
import { openExistingInbox } from './existing-inbox.ts';

const usage = `Usage: npm run drift -- [options]

What deliveries showed that the contract (openapi/ada-webhooks.yaml) does not describe, per event
type, the most recently seen first: fields it does not describe (with their JSON type), values
and types it does not allow, fields it requires that were missing, event types it does not know.

  --since TIME    only what was seen at or after TIME (ISO 8601, e.g. 2026-11-24T09:00:00Z)
  --type TYPE     only this event type
  --json          print JSON instead of text
  --write         edit openapi/ada-webhooks.yaml to describe what was seen, and print the diff:
                  each field as a new optional property with the JSON type seen, each unlisted
                  value added to its enum, each new event type drafted from a delivery (its
                  schema from the types seen, an example with its strings replaced, a suffix on
                  a name the contract has already); comments, order and style are kept; what it
                  cannot write is listed with the reason, and an edit that would make one of the
                  contract's examples invalid is refused
  --version       the version of ada-webhooks
  -h, --help      this text

Then run npm run generate (the types follow), restart the receiver, and
npm run replay -- --state quarantined for the deliveries it refused.`;

const { values, positionals, fail } = parseCommandLine('drift', usage, {
  since: { type: 'string' },
  type: { type: 'string' },
  json: { type: 'boolean', default: false },
  write: { type: 'boolean', default: false },
});
if (positionals.length > 0) fail(`Unexpected argument ${JSON.stringify(positionals[0])}.`);
const since = values.since === undefined ? undefined : parseTypedTime(values.since);
if (values.since !== undefined && !since) fail(`--since must be a time such as 2026-11-24T09:00:00Z, got ${JSON.stringify(values.since)}.`);

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
  const example = summary.exampleValue === null ? summary.exampleId : `${summary.exampleId}: ${summary.exampleValue}`;
  return `  ${describeDrift(summary)}: ${deliveries} ${fate[summary.kind]}, seen ${time(summary.firstSeenAt)} to ${time(summary.lastSeenAt)} UTC (e.g. ${example})`;
}

/** The examples of the edited contract that it no longer accepts, in words. */
async function examplesRefused(text: string): Promise<string[]> {
  const contract = load(text) as ContractDocument;
  const validate = createDeliveryValidator(await dereferenceContract(contract));
  return Object.keys(contract.webhooks).flatMap((eventType) =>
    [...webhookExamples(contract, eventType)].flatMap(([name, example]) =>
      validate(example).map((violation) => `${name}: ${describeViolation(violation)}`),
    ),
  );
}

const contractPath = fileURLToPath(contractUrl);
const seenSince = (summary: DriftSummary) => `since ${summary.firstSeenAt.toISOString().slice(0, 10)}`;

/** Edits the contract to describe what was seen; exits 1 when an edit would make one of its examples invalid. */
async function write(inbox: Inbox, summaries: DriftSummary[]): Promise<void> {
  const before = readFileSync(contractPath, 'utf8');
  // The deliveries to draft an event from, and to find a field or a value in.
  const examples = new Map<string, unknown>();
  for (const { exampleId } of summaries) {
    if (examples.has(exampleId)) continue;
    const delivery = await inbox.get(exampleId);
    if (delivery) examples.set(exampleId, JSON.parse(delivery.body));
  }
  const edit = editContract(before, summaries, seenSince, examples);
  for (const { summary, reason } of edit.skipped) console.log(`Not written: ${summary.eventType} ${describeDrift(summary)}: ${reason}.`);
  // A drafted event joins the receiver's union, the unknown-event exclusions and the receiver's examples.
  const after = deriveEventLists(edit.text);
  if (after === before) {
    console.log('Nothing to write: the contract is unchanged.');
    return;
  }
  const refused = await examplesRefused(after);
  if (refused.length > 0) {
    console.error(
      ['The edit would make examples of the contract invalid; nothing was written:', ...refused.map((line) => `  ${line}`)].join('\n'),
    );
    process.exitCode = 1;
    return;
  }
  const name = relative(process.cwd(), contractPath);
  console.log(createTwoFilesPatch(name, name, before, after, undefined, undefined, { context: 2 }));
  writeFileSync(contractPath, after);
  console.log(
    `${wroteLine(edit, summaries.length, name)} Next: npm run generate, restart the receiver, then npm run replay -- --state quarantined.`,
  );
}

/** How many of the recorded differences went into the contract, and what became of the others. */
function wroteLine({ written, described, skipped }: ContractEdit, recorded: number, name: string): string {
  const others = [
    described.length > 0 ? `${described.length} described already` : '',
    skipped.length > 0 ? `${skipped.length} not written, listed above` : '',
  ].filter(Boolean);
  const differences = recorded === 1 ? 'difference' : 'differences';
  return `Wrote ${written.length} of the ${recorded} recorded ${differences} into ${name}${others.length > 0 ? ` (${others.join('; ')})` : ''}.`;
}

const inbox = await openExistingInbox(orExit(() => loadDatabaseSettings()));
try {
  const summaries = await inbox.drift({ since, eventType: values.type });
  if (values.write) await write(inbox, summaries);
  else {
    // What the contract has described since it was seen is drift no longer.
    const described = new Set(editContract(readFileSync(contractPath, 'utf8'), summaries, seenSince, new Map()).described.map(driftKey));
    const open = summaries.filter((summary) => !described.has(driftKey(summary)));
    if (values.json) console.log(JSON.stringify(open, null, 2));
    else {
      const byType = Map.groupBy(open, (summary) => summary.eventType);
      const report = [...byType].map(([eventType, group]) => [eventType, ...group.map(line)].join('\n')).join('\n\n');
      console.log(report || 'No drift: what deliveries showed so far, the contract describes.');
      if (described.size > 0)
        console.log(`\n${described.size} seen earlier ${described.size === 1 ? 'is' : 'are'} described by the contract now.`);
    }
  }
} finally {
  await inbox.close();
}
