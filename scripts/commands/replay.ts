// Puts dead or quarantined deliveries back to pending; the dispatcher then handles them again.
//   npm run replay -- --id <delivery id> | --state dead|quarantined [--since <time>] [--type <event type>] [--dry-run]
import { loadDatabaseSettings, loadTracingSettings, orExit } from '../../src/config/environment.ts';
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { createSchemaValidators, describeViolation } from '../../src/contract/validation.ts';
import { isReplayableState, replay, replayableStates, type ReplayFilter, type ReplayOutcome } from '../../src/dispatch/replay.ts';
import { startTracing } from '../../src/service/tracing.ts';
import { parseCommandLine } from './command-line.ts';
import { openExistingInbox } from './existing-inbox.ts';

const usage = `Usage: npm run replay -- --id <delivery id> | --state ${replayableStates.join('|')} [options]

  --id ID          replay one delivery (dead, quarantined or done)
  --state STATE    replay every delivery in this state
  --since TIME     with --state: only deliveries received at or after TIME (ISO 8601, e.g. 2026-11-24T09:00:00Z)
  --type TYPE      with --state: only deliveries of this event type
  --dry-run        print what would happen, change nothing
  --json           print JSON instead of text
  -h, --help       this text

A quarantined delivery is validated against the contract as it is now: it is replayed if it
passes, and otherwise stays quarantined with its new violations. Exits 1 when no delivery
matched, or when none could be replayed.`;

const { values, positionals, fail } = parseCommandLine('replay', usage, {
  id: { type: 'string' },
  state: { type: 'string' },
  since: { type: 'string' },
  type: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
});

function filterOf(): ReplayFilter {
  if (positionals.length > 0) fail(`Unexpected argument ${JSON.stringify(positionals[0])}; give a delivery with --id.`);
  if (values.id !== undefined) {
    if (values.state ?? values.since ?? values.type) fail('--id cannot be combined with --state, --since or --type.');
    return { id: values.id };
  }
  const state = isReplayableState(values.state)
    ? values.state
    : fail(values.state === undefined ? 'Give --id or --state.' : `--state must be one of ${replayableStates.join(', ')}.`);
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime()))
    fail(`--since must be a time such as 2026-11-24T09:00:00Z, got ${JSON.stringify(values.since)}.`);
  return { state, since, eventType: values.type };
}

function describe(outcome: ReplayOutcome): string {
  switch (outcome.outcome) {
    case 'requeued':
      return `${outcome.id}  ${outcome.from} -> pending`;
    case 'already pending':
      return `${outcome.id}  already pending`;
    case 'still quarantined':
      return [`${outcome.id}  still quarantined:`, ...outcome.violations.map((violation) => `    ${describeViolation(violation)}`)].join(
        '\n',
      );
  }
}

const filter = filterOf();
const database = orExit(() => loadDatabaseSettings());
const tracing = orExit(() => loadTracingSettings());
// Each replayed delivery starts a new trace, whose first span is exported from here.
const stopTracing = tracing && (await startTracing(tracing, undefined));
const validateDelivery = createSchemaValidators(await dereferenceContract(loadContract()))('AdaWebhookDelivery');
const inbox = await openExistingInbox(database);
try {
  const dryRun = values['dry-run'];
  const outcomes = await replay({ inbox, validateDelivery, dryRun }, filter);
  const requeued = outcomes.filter((outcome) => outcome.outcome === 'requeued').length;
  if (values.json) console.log(JSON.stringify(outcomes, null, 2));
  else if (outcomes.length > 0) {
    for (const outcome of outcomes) console.log(describe(outcome));
    console.log(`${dryRun ? 'Would replay' : 'Replayed'} ${requeued} of ${outcomes.length} matching deliveries.`);
  }
  if (outcomes.length === 0) {
    console.error('id' in filter ? `No delivery with id ${filter.id}.` : `No ${filter.state} delivery matched.`);
    process.exitCode = 1;
  } else if (requeued === 0) {
    process.exitCode = 1;
  }
} finally {
  await inbox.close();
  await stopTracing?.();
}
