// Signs and sends sample deliveries the way Svix does, to the local receiver or any URL.
//   npm run send -- <event type | file> [--example NAME] [--url URL] [--secret whsec_...] [--id ID] [--count N]
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { loadSenderSettings, orExit, parseSecretOption, ConfigError } from '../../src/config/environment.ts';
import { loadContract, webhookExamples } from '../../src/contract/document.ts';
import { describeViolation } from '../../src/contract/validation.ts';
import { developmentSecret } from '../../src/service/development-secret.ts';
import { createSigner } from '../../src/intake/signature.ts';
import { exitWith, parseCommandLine } from './command-line.ts';

const usage = `Usage: npm run send -- <event type | file> [options]

  <event type>   sends an example of that event from the contract, with a current timestamp
  <file>         sends the file's bytes unchanged (any path)

Options:
  --example NAME     which example of the event type to send (default: its first)
  --url URL          where to send (default: the local receiver, http://localhost:$PORT/webhooks/ada)
  --secret SECRET    whsec_ signing secret (default: the first of ADA_WEBHOOK_SECRET, else the development secret)
  --id ID            delivery id (default: a fresh one per delivery; a fixed id makes every delivery after the first a duplicate)
  --count N          how many deliveries to send (default: 1); a summary by status follows
  -h, --help         this text`;

const {
  values,
  positionals,
  fail,
  count: wholeCount,
} = parseCommandLine('send', usage, {
  example: { type: 'string' },
  url: { type: 'string' },
  secret: { type: 'string' },
  id: { type: 'string' },
  count: { type: 'string', default: '1' },
});
if (positionals.length !== 1)
  fail(positionals.length === 0 ? 'Name an event type or a file to send.' : `Name one event type or file, not ${positionals.length}.`);
const target = positionals[0]!;
const count = wholeCount('count', values.count);
if (values.url !== undefined && !URL.canParse(values.url))
  fail(`--url must be a URL such as http://localhost:3000/webhooks/ada, got ${JSON.stringify(values.url)}.`);
const parsedSecret = values.secret === undefined ? undefined : parseSecretOption(values.secret);
const secretOption = parsedSecret instanceof ConfigError ? fail(parsedSecret.problems[0]!) : parsedSecret;

/** What to send: the bytes of a file, or an example of an event type with the current time. */
function bodyOf(): () => string | Buffer {
  if (isFile(target)) {
    if (values.example !== undefined) fail('--example goes with an event type, not with a file.');
    return () => readFileSync(target);
  }
  const contract = loadContract();
  const examples = webhookExamples(contract, target);
  if (examples.size === 0) {
    const looksLikeAPath = /[/\\]|\.json$/i.test(target);
    exitWith(
      looksLikeAPath
        ? `No file ${target}.`
        : `${JSON.stringify(target)} is neither a file nor an event type of the contract: ${Object.keys(contract.webhooks).join(', ')}.`,
    );
  }
  const name = values.example ?? examples.keys().next().value!;
  const example =
    examples.get(name) ??
    fail(`The event type ${target} has no example ${JSON.stringify(name)}; its examples: ${[...examples.keys()].join(', ')}.`);
  return () => JSON.stringify({ ...example, timestamp: new Date().toISOString() });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const body = bodyOf();
const settings = orExit(() => loadSenderSettings(process.env, { port: values.url === undefined, secret: secretOption === undefined }));
const url = values.url ?? `http://localhost:${settings.port}/webhooks/ada`;
const sign = createSigner(secretOption ?? settings.secrets[0] ?? developmentSecret());

/** The reasons a receiver gives for refusing a delivery, from its problem document. */
function reasonsOf(text: string): string[] {
  try {
    const problem = JSON.parse(text) as { detail?: string; violations?: { pointer: string; message: string }[] };
    return [...(problem.detail ? [problem.detail] : []), ...(problem.violations ?? []).map(describeViolation)];
  } catch {
    return [];
  }
}

const statuses = new Map<string, number>();
for (let sent = 0; sent < count; sent += 1) {
  const id = values.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const payload = body();
  let status: string;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(timestamp),
        'svix-signature': sign(id, timestamp, payload),
      },
      body: payload,
    });
    const text = await response.text();
    status = String(response.status);
    console.log(`${id} -> ${response.status} ${text}`);
    if (!response.ok) for (const reason of reasonsOf(text)) console.log(`    ${reason}`);
  } catch (error) {
    status = 'no answer';
    const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
    console.error(`${id} -> could not reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
}
if (count > 1) console.log(`Sent ${count}: ${[...statuses].map(([status, times]) => `${times} × ${status}`).join(', ')}.`);
process.exitCode = [...statuses.keys()].every((status) => status === '200') ? 0 : 1;
