// Puts stored deliveries back to pending, so that the dispatcher handles them again; or resends
// them, signed anew, to another receiver, changing nothing in the inbox.
//   npm run replay -- --id <delivery id> | --state dead|quarantined|done [filters] [--dry-run] [--yes]
//   npm run replay -- --to <url> --secret <whsec> (--id <delivery id> | filters) [--rate N]
import { loadDatabaseSettings, loadTracingSettings, orExit, parseSecretOption, ConfigError } from '../../src/service/environment.ts';
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { createDeliveryValidator } from '../../src/contract/delivery-validator.ts';
import { describeViolation } from '../../src/contract/validation.ts';
import {
  confirmationThreshold,
  isReplayableState,
  matching,
  replay,
  replayableStates,
  type ReplayFilter,
  type ReplayOutcome,
} from '../../src/dispatch/replay.ts';
import type { DeliveryQuery, Inbox } from '../../src/inbox/inbox.ts';
import { createSigner } from '../../src/intake/signature.ts';
import { startTracing } from '../../src/service/tracing-sdk.ts';
import { exitWith, parseCommandLine } from './command-line.ts';
import { parseDeliveryQuery, queryOptions, queryUsage, selects } from './delivery-query.ts';
import { openExistingInbox } from './existing-inbox.ts';
import { postSigned, StatusTally } from './signed-post.ts';

const usage = `Usage: npm run replay -- --id <delivery id> | --state ${replayableStates.join('|')} [options]
       npm run replay -- --to <url> --secret <whsec_...> --id <delivery id> | <filters> [--rate N]

Replay (the dispatcher handles the deliveries again):
  --id ID               replay one delivery (dead, quarantined or done)
${queryUsage.replace('only deliveries in this state', `replay every delivery in this state (${replayableStates.join(', ')})`)}
  --dry-run             print what would happen, change nothing
  --yes                 replay even when more than ${confirmationThreshold} deliveries match (without it, that is a dry run)

Resend (to another receiver, signed anew; nothing in this inbox changes):
  --to URL              POST each matching delivery's body, exactly as received, with its id, to URL
  --secret SECRET       the whsec_ secret of the receiver at URL
  --rate N              deliveries per second at most (default: 10)

  --json                print JSON instead of text
  --version             the version of ada-webhooks
  -h, --help            this text

A quarantined delivery is validated against the contract as it is now: it is replayed if it
passes, and otherwise stays quarantined with its new violations. A delivery whose content cannot
be read (its end user's data was erased) is neither replayed nor resent, with a line that says
why; the others go on. Exits 1 when no delivery matched, when none could be replayed or resent,
when more than ${confirmationThreshold} matched without --yes, or when a resent delivery was refused.`;

const { values, positionals, fail, count } = parseCommandLine('replay', usage, {
  id: { type: 'string' },
  ...queryOptions,
  'dry-run': { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  to: { type: 'string' },
  secret: { type: 'string' },
  rate: { type: 'string' },
  json: { type: 'boolean', default: false },
});
if (positionals.length > 0) fail(`Unexpected argument ${JSON.stringify(positionals[0])}; give a delivery with --id.`);
const resending = values.to !== undefined;

/** What to replay or resend: one delivery, or what the filters select (resend takes any state, replay one it can replay). */
function filterOf(): ReplayFilter | DeliveryQuery {
  if (values.id !== undefined) {
    if (selects(values)) fail('--id cannot be combined with --state, --type, --since, --until, --conversation or --end-user.');
    return { id: values.id };
  }
  const query = parseDeliveryQuery(values, fail);
  if (resending) {
    return selects(values) ? query : fail('Give --id, or filters that select the deliveries to resend (--state, --type, --since, ...).');
  }
  const { state } = query;
  return isReplayableState(state)
    ? { ...query, state }
    : fail(values.state === undefined ? 'Give --id or --state.' : `--state must be one of ${replayableStates.join(', ')}.`);
}

/** Where resend posts, signed with what, how fast. */
function resendTargetOf() {
  if (values['dry-run'] || values.yes) fail('--dry-run and --yes go with a replay, not with --to.');
  const url = URL.canParse(values.to!)
    ? values.to!
    : fail(`--to must be a URL such as https://staging.example.com/webhooks/ada, got ${JSON.stringify(values.to)}.`);
  const secret =
    values.secret === undefined ? fail('Give --secret, the whsec_ secret of the receiver at --to.') : parseSecretOption(values.secret);
  if (secret instanceof ConfigError) fail(secret.problems[0]!);
  return { url, sign: createSigner(secret as string), intervalMs: 1000 / count('rate', values.rate ?? '10') };
}

function describe(outcome: ReplayOutcome): string {
  switch (outcome.outcome) {
    case 'requeued':
      return `${outcome.id}  ${outcome.from} -> pending`;
    case 'already pending':
      return `${outcome.id}  already pending`;
    case 'discarded':
      return `${outcome.id}  discarded: not replayed`;
    case 'unreadable':
      return `${outcome.id}  not replayed: ${outcome.reason}`;
    case 'still quarantined':
      return [`${outcome.id}  still quarantined:`, ...outcome.violations.map((violation) => `    ${describeViolation(violation)}`)].join(
        '\n',
      );
  }
}

const filter = filterOf();
const nothingMatched = () => {
  console.error('id' in filter ? `No delivery with id ${filter.id}.` : `No ${filter.state ? `${filter.state} ` : ''}delivery matched.`);
  process.exitCode = 1;
};

/** Resends oldest first, as they were received, at most `rate` a second. */
async function resend(inbox: Inbox, { url, sign, intervalMs }: ReturnType<typeof resendTargetOf>): Promise<void> {
  const deliveries = [];
  for await (const page of matching(inbox, filter)) deliveries.push(...page);
  const tally = new StatusTally();
  let unreadable = 0;
  let next = performance.now();
  for (const delivery of deliveries.reverse()) {
    // Its body is gone (erased) or sealed: posting it would send nothing of what was received.
    if (delivery.unreadable !== null) {
      console.log(`${delivery.id} -> not resent: ${delivery.unreadable}`);
      unreadable += 1;
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    next = Math.max(next, performance.now()) + intervalMs;
    tally.add(await postSigned(url, sign, delivery.id, delivery.body));
  }
  if (tally.total === 0 && unreadable === 0) return nothingMatched();
  const notResent = unreadable > 0 ? `; ${unreadable} not resent: their content cannot be read` : '';
  console.log(`Resent ${tally.total} to ${url}${tally.total > 0 ? `: ${tally.summary()}` : ''}${notResent}.`);
  if (tally.total === 0 || !tally.allAccepted()) process.exitCode = 1;
}

async function replayMatching(inbox: Inbox, replayFilter: ReplayFilter): Promise<void> {
  const tracing = orExit(() => loadTracingSettings());
  // Each replayed delivery starts a new trace, whose first span is exported from here.
  const stopTracing = tracing && (await startTracing(tracing).catch((error: unknown) => exitWith((error as Error).message)));
  try {
    const validateDelivery = createDeliveryValidator(await dereferenceContract(loadContract()));
    const matched = 'id' in replayFilter ? 1 : await inbox.count(replayFilter);
    const unconfirmed = matched > confirmationThreshold && !values.yes;
    const dryRun = values['dry-run'] || unconfirmed;
    const outcomes = await replay({ inbox, validateDelivery, dryRun }, replayFilter);
    const requeued = outcomes.filter((outcome) => outcome.outcome === 'requeued').length;
    if (values.json) console.log(JSON.stringify(outcomes, null, 2));
    else if (outcomes.length > 0) {
      for (const outcome of outcomes) console.log(describe(outcome));
      console.log(`${dryRun ? 'Would replay' : 'Replayed'} ${requeued} of ${outcomes.length} matching deliveries.`);
    }
    if (unconfirmed) {
      console.error(
        `${outcomes.length} deliveries match, more than ${confirmationThreshold}: nothing was replayed. Add --yes to replay them.`,
      );
      process.exitCode = 1;
    } else if (outcomes.length === 0) nothingMatched();
    else if (requeued === 0) process.exitCode = 1;
  } finally {
    await stopTracing?.();
  }
}

if (!resending && (values.secret !== undefined || values.rate !== undefined)) fail('--secret and --rate go with --to.');
const resendTarget = resending ? resendTargetOf() : undefined;
const inbox = await openExistingInbox(orExit(() => loadDatabaseSettings()));
try {
  if (resendTarget) await resend(inbox, resendTarget);
  else await replayMatching(inbox, filter as ReplayFilter);
} finally {
  await inbox.close();
}
