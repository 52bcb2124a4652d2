// Reads the inbox the receiver writes (DATABASE_URL).
//   npm run inbox -- list [--state STATE] [--limit N] [--json]
//   npm run inbox -- show <delivery id> [--json]
//   npm run inbox -- stats [--json]
import { loadDatabaseSettings, orExit } from '../../src/config/environment.ts';
import { describeViolation } from '../../src/contract/validation.ts';
import { deliveryStates, type DeliveryState, type StoredDelivery } from '../../src/inbox/inbox.ts';
import { parseCommandLine } from './command-line.ts';
import { openExistingInbox } from './existing-inbox.ts';

const usage = `Usage: npm run inbox -- <command> [options]

Commands:
  list            the newest deliveries: received time, state, event type, id
  show <id>       one delivery with its headers, body, violations and last error
  stats           how many deliveries are in each state

Options:
  --state STATE   list only deliveries in this state (${deliveryStates.join(', ')})
  --limit N       list at most N deliveries (default: 50)
  --json          print JSON instead of text
  -h, --help      this text

The inbox is the one DATABASE_URL names (default: the project's data/inbox.sqlite).`;

const { values, positionals, fail, count } = parseCommandLine('inbox', usage, {
  state: { type: 'string' },
  limit: { type: 'string', default: '50' },
  json: { type: 'boolean', default: false },
});
const [named, id, ...extra] = positionals;
const command = named ?? fail('Name a command: list, show or stats.');
if (!['list', 'show', 'stats'].includes(command))
  fail(`Unknown command ${JSON.stringify(command)}; the commands are list, show and stats.`);
if (command === 'show' && id === undefined) fail('Name the delivery id to show.');
if (extra.length > 0 || (command !== 'show' && id !== undefined))
  fail(`Unexpected argument ${JSON.stringify(command === 'show' ? extra[0] : id)}.`);
const state = values.state as DeliveryState | undefined;
if (state !== undefined && !deliveryStates.includes(state))
  fail(`--state must be one of ${deliveryStates.join(', ')}, got ${JSON.stringify(state)}.`);
const limit = count('limit', values.limit);

const inbox = await openExistingInbox(orExit(() => loadDatabaseSettings()));
const print = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json, null, 2) : text);
try {
  if (command === 'list') {
    const deliveries = await inbox.list({ state, limit });
    print(deliveries.map(summary), deliveries.length === 0 ? 'No deliveries.' : table(deliveries));
  } else if (command === 'show') {
    const delivery = await inbox.get(id!);
    if (delivery) print(delivery, details(delivery));
    else {
      console.error(`No delivery with id ${id}.`);
      process.exitCode = 1;
    }
  } else {
    const counts = await inbox.countByState();
    print(counts, deliveryStates.map((name) => `${name.padEnd(12)}${counts[name]}`).join('\n'));
  }
} finally {
  await inbox.close();
}

function summary({ id, state, eventType, receivedAt, violations }: StoredDelivery) {
  return { id, state, eventType, receivedAt, violations: violations.length };
}

function table(deliveries: StoredDelivery[]): string {
  const rows = deliveries.map((delivery) => {
    const count = delivery.violations.length;
    const violations = count > 0 ? `  (${count} ${count === 1 ? 'violation' : 'violations'})` : '';
    return [delivery.receivedAt.toISOString(), delivery.state, delivery.eventType ?? '-', `${delivery.id}${violations}`];
  });
  const header = ['RECEIVED', 'STATE', 'EVENT TYPE', 'ID'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows]
    .map((row) => row.map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]!) : cell)).join('  '))
    .join('\n');
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
    ...(traceId ? [`trace id     ${traceId}`] : []),
    ...(delivery.lastError ? ['last error', ...delivery.lastError.split('\n').map((line) => `  ${line}`)] : []),
    'headers',
    ...Object.entries(delivery.headers).map(([name, value]) => `  ${name}: ${value}`),
    ...(delivery.violations.length > 0
      ? ['violations', ...delivery.violations.map((violation) => `  ${describeViolation(violation)}`)]
      : []),
    'body',
    body,
  ].join('\n');
}
