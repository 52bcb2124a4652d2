// Reads the inbox the receiver writes (DATABASE_URL).
//   npm run inbox -- list [--state STATE] [--limit N] [--json]
//   npm run inbox -- show <delivery id> [--json]
//   npm run inbox -- stats [--json]
import { settingsOrExit } from '../src/config.ts';
import { deliveryStates, type DeliveryState, type StoredDelivery } from '../src/inbox/inbox.ts';
import { openInbox } from '../src/inbox/open.ts';
import { parseCommandLine } from './command-line.ts';

const usage = `Usage: npm run inbox -- <command> [options]

Commands:
  list            the newest deliveries: received time, state, event type, id
  show <id>       one delivery with its headers, body and violations
  stats           how many deliveries are in each state

Options:
  --state STATE   list only deliveries in this state (${deliveryStates.join(', ')})
  --limit N       list at most N deliveries (default: 50)
  --json          print JSON instead of text`;

const { values, positionals, fail, count } = parseCommandLine(usage, {
  state: { type: 'string' },
  limit: { type: 'string', default: '50' },
  json: { type: 'boolean', default: false },
});
const [command, id] = positionals;
const state = values.state as DeliveryState | undefined;
if (state !== undefined && !deliveryStates.includes(state)) fail(`--state must be one of ${deliveryStates.join(', ')}.`);
const limit = count('limit', values.limit);

const settings = settingsOrExit();
const print = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json, null, 2) : text);

const inbox = await openInbox(settings.database);
try {
  switch (command) {
    case 'list': {
      const deliveries = await inbox.list({ state, limit });
      print(deliveries.map(summary), deliveries.map(summaryLine).join('\n') || 'No deliveries.');
      break;
    }
    case 'show': {
      const delivery = await inbox.get(id ?? fail('Name the delivery id to show.'));
      if (!delivery) {
        console.error(`No delivery with id ${id}.`);
        process.exitCode = 1;
        break;
      }
      print(delivery, details(delivery));
      break;
    }
    case 'stats': {
      const counts = await inbox.countByState();
      print(counts, deliveryStates.map((name) => `${name.padEnd(12)}${counts[name]}`).join('\n'));
      break;
    }
    default:
      fail(command ? `Unknown command ${JSON.stringify(command)}.` : 'Name a command.');
  }
} finally {
  await inbox.close();
}

function summary({ id, state, eventType, receivedAt, violations }: StoredDelivery) {
  return { id, state, eventType, receivedAt, violations: violations.length };
}

function summaryLine(delivery: StoredDelivery): string {
  const count = delivery.violations.length;
  const violations = count > 0 ? `  (${count} ${count === 1 ? 'violation' : 'violations'})` : '';
  return `${delivery.receivedAt.toISOString()}  ${delivery.state.padEnd(11)}  ${(delivery.eventType ?? '-').padEnd(30)}  ${delivery.id}${violations}`;
}

function details(delivery: StoredDelivery): string {
  const body = (() => {
    try {
      return JSON.stringify(JSON.parse(delivery.body), null, 2);
    } catch {
      return delivery.body;
    }
  })();
  return [
    `id           ${delivery.id}`,
    `state        ${delivery.state}`,
    `event type   ${delivery.eventType ?? '-'}`,
    `received at  ${delivery.receivedAt.toISOString()}`,
    `attempts     ${delivery.attempts}`,
    ...(delivery.lastError ? [`last error   ${delivery.lastError}`] : []),
    'headers',
    ...Object.entries(delivery.headers).map(([name, value]) => `  ${name}: ${value}`),
    ...(delivery.violations.length > 0 ? ['violations', ...delivery.violations.map((v) => `  ${v.pointer || '(body)'}: ${v.message}`)] : []),
    'body',
    body,
  ].join('\n');
}
