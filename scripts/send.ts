// Signs and sends sample deliveries the way Svix does, to the local receiver or any URL.
//   npm run send -- <event type | file.json> [--url URL] [--secret whsec_...] [--id ID] [--count N]
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { settingsOrExit } from '../src/config.ts';
import { loadContract } from '../src/contract.ts';
import { developmentSecret } from '../src/development-secret.ts';
import { createSigner } from '../src/signature.ts';
import { parseCommandLine } from './command-line.ts';

const usage = `Usage: npm run send -- <event type | file.json> [options]

  <event type>   sends that event's example from the contract, with a current timestamp
  <file.json>    sends the file's bytes unchanged

Options:
  --url URL          where to send (default: the local receiver, http://localhost:$PORT/webhooks/ada)
  --secret SECRET    whsec_ signing secret (default: the first of ADA_WEBHOOK_SECRET, else the development secret)
  --id ID            delivery id (default: a fresh one per delivery; a fixed id makes every delivery a duplicate)
  --count N          how many deliveries to send (default: 1)`;

function exampleBody(eventType: string, fail: (message: string) => never): () => string {
  const contract = loadContract();
  const media = contract.webhooks[eventType]?.post.requestBody.content['application/json'];
  const [reference] = Object.values(media?.examples ?? {});
  if (!reference) fail(`Unknown event type ${JSON.stringify(eventType)}. Known: ${Object.keys(contract.webhooks).join(', ')}.`);
  const example = contract.components.examples[reference.$ref.replace('#/components/examples/', '')]!.value as object;
  return () => JSON.stringify({ ...example, timestamp: new Date().toISOString() });
}

const { values, positionals, fail, count: wholeCount } = parseCommandLine(usage, {
  url: { type: 'string' },
  secret: { type: 'string' },
  id: { type: 'string' },
  count: { type: 'string', default: '1' },
});
if (positionals.length !== 1) fail('Name one event type or JSON file.');
const count = wholeCount('count', values.count);

const settings = settingsOrExit();
const target = positionals[0]!;
const body: () => string | Buffer = target.endsWith('.json') ? () => readFileSync(target) : exampleBody(target, fail);
const url = values.url ?? `http://localhost:${settings.port}/webhooks/ada`;
const sign = createSigner(values.secret ?? settings.secrets[0] ?? developmentSecret());

let failures = 0;
for (let sent = 0; sent < count; sent += 1) {
  const id = values.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const payload = body();
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
    console.log(`${id} -> ${response.status} ${await response.text()}`);
    if (!response.ok) failures += 1;
  } catch (error) {
    console.error(`${id} -> could not reach ${url}: ${(error as Error).cause ?? (error as Error).message}`);
    failures += 1;
  }
}
process.exitCode = failures === 0 ? 0 : 1;
