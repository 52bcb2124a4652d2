// Reads the inbox the receiver writes (DATABASE_URL), follows it, purges what is finished,
// erases an end user's data, and re-wraps the data keys of an encrypted inbox.
//   npm run inbox -- list [<id prefix>] [filters] [--limit N] [--json]
//   npm run inbox -- show <delivery id> [--json]
//   npm run inbox -- stats [--json]
//   npm run inbox -- tail [--type TYPE] [--conversation ID] [--end-user ID] [--json]
//   npm run inbox -- purge [--state done|dead|quarantined|discarded] --older-than 30d [--yes] [--json]
//   npm run inbox -- erase --end-user ID [--yes] [--json]
//   npm run inbox -- rewrap-keys [--json]
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDatabaseSettings, orExit } from '../../src/service/environment.ts';
import { Invalid, parseDuration } from '../../src/support/settings-reader.ts';
import { describeViolation } from '../../src/contract/validation.ts';
import { deliveryStates, purgeableStates, type PurgeableState, type StoredDelivery } from '../../src/inbox/inbox.ts';
import { purgeInBatches, type PurgeSelection } from '../../src/inbox/retention.ts';
import { databaseLabel } from '../../src/inbox/settings.ts';
import { closestName } from '../../src/support/settings-reader.ts';
import { shownHeaders } from '../../src/intake/shown-headers.ts';
import { exitWith, parseCommandLine } from './command-line.ts';
import { parseDeliveryQuery, queryOptions, queryUsage } from './delivery-query.ts';
import { openExistingInbox } from './existing-inbox.ts';
import type { EncryptionKeys } from '../../src/inbox/encryption/keys.ts';
import { rewrapDataKeys } from '../../src/inbox/encryption/rewrap.ts';
import { InboxFollower, type FollowedChange } from './follow.ts';

const commands = ['list', 'show', 'stats', 'tail', 'purge', 'erase', 'rewrap-keys'];

const usage = `Usage: npm run inbox -- <command> [options]

Commands:
  list [<id prefix>]  the newest deliveries: received, state, event type, attempts, next attempt, id, last error
                      (or when its end user's data was erased)
  show <id>           one delivery with its headers, body, violations and last error
  stats               how many deliveries are in each state
  tail                follows the inbox: each delivery received, each retry, each delivery done, dead or
                      replayed, as it happens (Ctrl-C to stop)
  purge               deletes old finished deliveries: a dry run unless --yes is given
  erase               erases what is kept of one end user (--end-user ID): empties the headers, body and
                      errors of every delivery that names them and destroys their data key; a dry run
                      unless --yes is given, and nothing changes the second time
  rewrap-keys         an encrypted inbox's data keys wrapped again by the first key of INBOX_ENCRYPTION_KEY,
                      the deliveries untouched: after a new key is put first, before the old one is removed

Which deliveries (list; tail takes --type, --conversation and --end-user):
${queryUsage}

Options:
  --limit N             list at most N deliveries (default: 50)
  --older-than AGE      purge: deliveries received longer ago than AGE (30d, 12h, 90m)
  --yes                 purge: delete them; erase: erase them (without it, only count them)
  --json                print JSON instead of text (tail: one JSON object per line)
  --version             the version of ada-webhooks
  -h, --help            this text

purge takes --state done (the default), dead, quarantined or discarded: never pending. The inbox
is the one DATABASE_URL names (default: the project's data/inbox.sqlite).`;

const { values, positionals, fail, count } = parseCommandLine('inbox', usage, {
  ...queryOptions,
  limit: { type: 'string' },
  'older-than': { type: 'string' },
  yes: { type: 'boolean' },
  json: { type: 'boolean', default: false },
});
const [named, argument, ...extra] = positionals;
const command = named ?? fail(`Name a command: ${commands.join(', ')}.`);
if (!commands.includes(command)) {
  const closest = closestName(command, commands, (candidate) => Math.ceil(candidate.length / 3));
  const suggestion = closest ? `did you mean ${closest}? The commands are` : 'the commands are';
  fail(`Unknown command ${JSON.stringify(command)}; ${suggestion} ${commands.join(', ')}.`);
}
if (command === 'show' && argument === undefined) fail('Name the delivery id to show.');
const takesArgument = command === 'show' || command === 'list';
if (extra.length > 0 || (!takesArgument && argument !== undefined))
  fail(`Unexpected argument ${JSON.stringify(takesArgument ? extra[0] : argument)}.`);

/** Options that only some commands take: a mistake to give them to another. */
const onlyFor: Record<string, readonly string[]> = {
  limit: ['list'],
  'older-than': ['purge'],
  yes: ['purge', 'erase'],
  state: ['list', 'purge'],
  type: ['list', 'tail'],
  conversation: ['list', 'tail'],
  'end-user': ['list', 'tail', 'erase'],
  since: ['list'],
  until: ['list'],
};
for (const [option, commandsTaking] of Object.entries(onlyFor)) {
  if (values[option as keyof typeof values] !== undefined && !commandsTaking.includes(command))
    fail(`--${option} goes with ${commandsTaking.join(' or ')}, not with ${command}.`);
}

const json = values.json;
const print = (value: unknown, text: string) => console.log(json ? JSON.stringify(value, null, 2) : text);
// Every option is checked before the inbox is opened.
const query = parseDeliveryQuery(values, fail);
const limit = count('limit', values.limit ?? '50');
const purgeSelection = command === 'purge' ? purgeSelectionOf() : undefined;
const endUserToErase = command === 'erase' ? endUserToEraseOf() : undefined;
const database = orExit(() => loadDatabaseSettings());
if (command === 'rewrap-keys' && !database.encryption)
  fail('rewrap-keys needs INBOX_ENCRYPTION_KEY: the new key first, then the old one (new,old).');
const inbox = await openExistingInbox(database);
try {
  switch (command) {
    case 'list': {
      const deliveries = await inbox.list({ ...query, idPrefix: argument, limit });
      print(deliveries.map(summary), deliveries.length === 0 ? 'No deliveries.' : table(deliveries));
      break;
    }
    case 'show': {
      const stored = await inbox.get(argument!);
      // Signature values are kept for audit, never shown (as on the inspector page).
      const delivery = stored && { ...stored, headers: shownHeaders(stored.headers) };
      if (delivery) print(delivery, details(delivery));
      else {
        console.error(`No delivery with id ${argument}.`);
        process.exitCode = 1;
      }
      break;
    }
    case 'stats': {
      const counts = await inbox.countByState();
      print(counts, deliveryStates.map((name) => `${name.padEnd(12)}${counts[name]}`).join('\n'));
      break;
    }
    case 'tail':
      await tail();
      break;
    case 'purge':
      await purge(purgeSelection!);
      break;
    case 'erase':
      await erase(endUserToErase!, query.endUserId!);
      break;
    case 'rewrap-keys':
      await rewrap(database.encryption!);
      break;
  }
} finally {
  await inbox.close();
}

async function tail(): Promise<void> {
  const follower = new InboxFollower(inbox, query);
  const stopped = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopped.abort());
  let following = false;
  while (!stopped.signal.aborted) {
    for (const change of await follower.round()) console.log(json ? JSON.stringify(changeRecord(change)) : changeLine(change));
    if (!following) console.error('Following the inbox; Ctrl-C to stop.');
    following = true;
    // Rejects when stopped: the loop then ends.
    await sleep(500, undefined, { signal: stopped.signal }).catch(() => {});
  }
}

/** What purge deletes: --state (done unless given) and --older-than. */
function purgeSelectionOf(): PurgeSelection {
  const state = values.state ?? 'done';
  if (!purgeableStates.includes(state as PurgeableState)) {
    fail(
      state === 'pending'
        ? '--state pending cannot be purged: pending deliveries are work still to do. Purge takes done, dead or quarantined.'
        : `--state must be one of ${purgeableStates.join(', ')} for purge, got ${JSON.stringify(state)}.`,
    );
  }
  const rawAge =
    values['older-than'] ?? fail('Give --older-than, such as --older-than 30d: purge never deletes recent deliveries by default.');
  const age = parseDuration(rawAge);
  if (age instanceof Invalid) fail(`--older-than ${age.reason}, got ${JSON.stringify(rawAge)}. Example: --older-than 30d`);
  return { state: state as PurgeableState, receivedBefore: new Date(Date.now() - (age as number)) };
}

async function purge(selection: PurgeSelection): Promise<void> {
  const { state, receivedBefore } = selection;
  const what = `${state} deliveries received before ${receivedBefore.toISOString()}`;
  if (!values.yes) {
    const matching = await inbox.count({ state, until: receivedBefore });
    print(
      { dryRun: true, state, receivedBefore, matching },
      `Would purge ${matching} ${what}.${matching > 0 ? ' Run again with --yes to delete them.' : ''}`,
    );
    return;
  }
  // Progress on a terminal only, overwritten by the summary.
  const progress = process.stderr.isTTY && !json;
  const purged = await purgeInBatches(inbox, selection, {
    onBatch: (_batch, total) => progress && process.stderr.write(`\rPurged ${total}...`),
  });
  if (progress) process.stderr.write('\r');
  print({ dryRun: false, state, receivedBefore, purged }, `Purged ${purged} ${what}.`);
}

/** The end user whose data `erase` erases: their id as Ada sends it. */
function endUserToEraseOf(): string {
  const endUser =
    values['end-user'] ?? fail('Give --end-user with the id of the end user whose data to erase (data.end_user_id in their events).');
  return endUser === '' ? fail('--end-user must be the id of an end user, got "".') : endUser;
}

/** How many of an end user's deliveries (by their id as the inbox keeps it) are erased. */
/** Who runs this command, for the audit line: the OS user (or their uid, when the system has no name for it). */
function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

async function erase(endUser: string, endUserId: string): Promise<void> {
  const whose = `end user ${JSON.stringify(endUser)}`;
  if (!values.yes) {
    const [deliveries, erasedBefore] = [await inbox.count({ endUserId }), await inbox.countErased(endUser)];
    const naming = `${counted(deliveries, 'delivery names', 'deliveries name')} ${whose}`;
    print(
      { dryRun: true, endUserId: endUser, deliveries, erasedBefore },
      deliveries > 0 && erasedBefore === deliveries
        ? `${naming}; ${deliveries === 1 ? 'it was' : 'all of them were'} erased before: nothing of them is left to erase.`
        : `${naming}; ${erasedBefore} of them ${erasedBefore === 1 ? 'was' : 'were'} erased before. ` +
            `Run again with --yes to erase what is kept of them and destroy their data key.`,
    );
    return;
  }
  const at = new Date();
  const erased = await inbox
    .erase(endUser, at)
    .catch((error: unknown) =>
      exitWith(`Could not erase ${whose}: ${(error as Error).message}. Nothing was erased: the erasure is one transaction; run it again.`),
    );
  const erasedBefore = (await inbox.countErased(endUser)) - erased;
  const audit = { at, by: operator(), inbox: databaseLabel(database), endUserId: endUser, erased, erasedBefore };
  print(
    { dryRun: false, ...audit },
    [
      `Erased ${counted(erased, 'delivery', 'deliveries')} of ${whose}; ${counted(erasedBefore, 'was', 'were')} erased before.`,
      `audit: at=${at.toISOString()} by=${JSON.stringify(audit.by)} erase end_user=${JSON.stringify(endUser)} ` +
        `erased=${erased} erased_before=${erasedBefore} inbox=${JSON.stringify(audit.inbox)}`,
    ].join('\n'),
  );
}

/** Each data key wrapped again by the writing key; exit 1 when some could not be, naming each. */
async function rewrap(keys: EncryptionKeys): Promise<void> {
  const counts = await rewrapDataKeys(inbox, keys);
  const failed = counts.failed.map(({ id, reason }) => `  data key ${id}: ${reason}`);
  print(
    { writingKey: keys.writing.id, ...counts },
    [
      `Re-wrapped ${counted(counts.rewrapped, 'data key', 'data keys')} by key ${keys.writing.id}; ` +
        `${counted(counts.current, 'was', 'were')} wrapped by it already, ` +
        `${counted(counts.changed, 'changed or was', 'changed or were')} erased meanwhile, ${counts.failed.length} could not be re-wrapped.`,
      ...failed,
      counts.failed.length === 0
        ? 'Keys after the first in INBOX_ENCRYPTION_KEY can now be removed.'
        : 'Keep the keys that wrapped those: each needs the key it was wrapped by to be read.',
    ].join('\n'),
  );
  if (counts.failed.length > 0) process.exitCode = 1;
}

function summary({
  id,
  state,
  eventType,
  receivedAt,
  violations,
  attempts,
  nextAttemptAt,
  lastError,
  endUserId,
  erasedAt,
  unreadable,
}: StoredDelivery) {
  return {
    id,
    state,
    eventType,
    receivedAt,
    attempts,
    nextAttemptAt,
    lastError,
    violations: violations.length,
    endUserId,
    erasedAt,
    unreadable,
  };
}

/** What the list shows of a delivery whose content cannot be read, instead of its last error. */
function unreadableNote({ erasedAt, unreadable }: StoredDelivery): string {
  if (erasedAt) return `(erased at ${erasedAt.toISOString()})`;
  return unreadable === null ? '' : `(unreadable: ${unreadable})`;
}

function firstLine(text: string | null): string {
  return text?.split('\n', 1)[0] ?? '';
}

function table(deliveries: StoredDelivery[]): string {
  const rows = deliveries.map((delivery) => {
    const count = delivery.violations.length;
    const violations = count > 0 ? `(${counted(count, 'violation', 'violations')})` : '';
    return [
      delivery.receivedAt.toISOString(),
      delivery.state,
      delivery.eventType ?? '-',
      String(delivery.attempts),
      delivery.nextAttemptAt?.toISOString() ?? '-',
      delivery.id,
      unreadableNote(delivery) || violations || firstLine(delivery.lastError),
    ];
  });
  const header = ['RECEIVED', 'STATE', 'EVENT TYPE', 'ATTEMPTS', 'NEXT ATTEMPT', 'ID', 'LAST ERROR'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]!) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function changeRecord({ change, delivery }: FollowedChange) {
  return { at: new Date(), change, ...summary(delivery) };
}

function changeLine({ change, delivery }: FollowedChange): string {
  const detail = (() => {
    switch (change) {
      case 'retrying':
        return `attempt ${delivery.attempts} failed, next at ${delivery.nextAttemptAt?.toISOString() ?? 'once claimed'}: ${firstLine(delivery.lastError)}`;
      case 'dead':
        return `after ${delivery.attempts} attempts: ${firstLine(delivery.lastError)}`;
      case 'received':
        return delivery.violations.length > 0 ? `${delivery.state}: ${describeViolation(delivery.violations[0]!)}` : delivery.state;
      default:
        return '';
    }
  })();
  return [new Date().toISOString(), change.padEnd(11), (delivery.eventType ?? '-').padEnd(30), delivery.id, detail].join('  ').trimEnd();
}

function details(delivery: StoredDelivery): string {
  const body = (() => {
    try {
      return JSON.stringify(JSON.parse(delivery.body), null, 2);
    } catch {
      return delivery.body;
    }
  })();
  // The W3C trace id, to look the delivery's trace up in a tracing UI.
  const traceId = delivery.traceContext?.['traceparent']?.split('-')[1];
  return [
    `id           ${delivery.id}`,
    `state        ${delivery.state}`,
    `event type   ${delivery.eventType ?? '-'}`,
    `received at  ${delivery.receivedAt.toISOString()}`,
    `attempts     ${delivery.attempts}`,
    ...(delivery.nextAttemptAt ? [`next attempt ${delivery.nextAttemptAt.toISOString()}`] : []),
    ...(delivery.discarded ? [`discarded    ${delivery.discarded.at.toISOString()} by ${delivery.discarded.by}`] : []),
    ...(delivery.endUserId !== null ? [`end user     ${delivery.endUserId}`] : []),
    ...(delivery.erasedAt ? [`erased at    ${delivery.erasedAt.toISOString()}`] : []),
    ...(traceId ? [`trace id     ${traceId}`] : []),
    ...(delivery.lastError ? ['last error', ...delivery.lastError.split('\n').map((line) => `  ${line}`)] : []),
    ...(delivery.unreadable === null ? ['headers', ...Object.entries(delivery.headers).map(([name, value]) => `  ${name}: ${value}`)] : []),
    ...(delivery.violations.length > 0
      ? ['violations', ...delivery.violations.map((violation) => `  ${describeViolation(violation)}`)]
      : []),
    ...(delivery.unreadable === null ? ['body', body] : ['headers and body', `  not shown: ${delivery.unreadable}`]),
  ].join('\n');
}

/** `count` and the words for one or for several. */
function counted(count: number, one: string, several: string): string {
  return `${count} ${count === 1 ? one : several}`;
}
