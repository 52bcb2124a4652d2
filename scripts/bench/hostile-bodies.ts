// What one signed body that breaks the contract everywhere costs the receiver, and everyone else
// meanwhile: the service as users run it (src/main.ts, SQLite, BODY_LIMIT at its default of 1 MB)
// takes each hostile body while a valid delivery and GET /healthz are sent a moment later; printed,
// for each body, its answer and time, how long the valid delivery and /healthz waited, and the
// request validator alone on the same body in this process.
//   npm run bench:hostile-bodies -- [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { loadRequestValidator } from '../../src/contract/operations.ts';
import { sign } from '../../src/intake/signature.ts';
import { parseCommandLine } from '../commands/command-line.ts';
import { median } from './load.ts';
import { benchSecret, startReceiver } from './servers.ts';

const usage = `Usage: npm run bench:hostile-bodies -- [options]

  --runs N    times each body is sent (default 3); the median is printed
  -h, --help  this text`;
const { values, count } = parseCommandLine('bench:hostile-bodies', usage, { runs: { type: 'string', default: '3' } });
const runs = count('runs', values.runs);

const timestamp = new Date().toISOString();
const numbers = (count: number, text: string) => `[${Array(count).fill(text).join(',')}]`;
/** Each about 1 MB, under the default BODY_LIMIT. */
const bodies: [string, string][] = [
  [
    'known type, `tags` of 500,000 numbers',
    `{"type":"v1.conversation.created","timestamp":"${timestamp}","data":{"conversation_id":"big"},"tags":${numbers(500_000, '1')}}`,
  ],
  [
    'new event type, `tags` of 500,000 numbers',
    `{"type":"v1.example.rated","timestamp":"${timestamp}","data":{},"tags":${numbers(500_000, '1')}}`,
  ],
  [
    'a type no branch takes, `tags` of 500,000 numbers',
    `{"type":"rated","timestamp":"${timestamp}","data":{},"tags":${numbers(500_000, '1')}}`,
  ],
  [
    'message with a custom channel whose `metadata` holds 60,000 objects (a union within the event)',
    JSON.stringify({
      type: 'v1.conversation.message',
      timestamp,
      data: {
        channel: {
          type: 'custom',
          id: 'c',
          name: 'c',
          description: 'c',
          modality: 'messaging',
          metadata: Object.fromEntries(Array.from({ length: 60_000 }, (_, index) => [`k${index}`, {}])),
        },
      },
    }),
  ],
  [
    'new event type, 140,000 numbers beyond a double (1e400)',
    `{"type":"v1.example.rated","timestamp":"${timestamp}","data":{"x":${numbers(140_000, '1e400')}}}`,
  ],
];
const valid = JSON.stringify({ type: 'v1.conversation.created', timestamp, data: { conversation_id: 'small' } });

/** A request on a connection of its own (a kept-alive one may be closed by the server as it is reused); its status and time, or its error. */
function request(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<{ status: number | string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const sent = http.request(url, { method, headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, ms: performance.now() - started }));
    });
    sent.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message, ms: performance.now() - started }));
    sent.end(body);
  });
}

let deliveries = 0;
function send(url: string, body: string) {
  const id = `msg_bench_${process.pid}_${(deliveries += 1)}`;
  const seconds = Math.floor(Date.now() / 1000);
  return request(
    `${url}/webhooks/ada`,
    'POST',
    {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(seconds),
      'svix-signature': sign(benchSecret, id, seconds, body),
    },
    body,
  );
}

const validate = await loadRequestValidator(await dereferenceContract(loadContract()), 'receiveAdaWebhook');
/** The request validator alone on `body`, parsed: its time, and what it reported (or threw). */
function validatorAlone(body: string): { ms: number; reported: string } {
  const value: unknown = JSON.parse(body);
  const started = performance.now();
  try {
    const violations = validate({ headers: { 'content-type': 'application/json' }, body: value });
    return { ms: performance.now() - started, reported: `${violations.length} violations reported` };
  } catch (error) {
    return { ms: performance.now() - started, reported: `threw ${String(error)}` };
  }
}

const directory = mkdtempSync(join(tmpdir(), 'ada-bench-hostile-'));
const receiver = await startReceiver(`sqlite:${join(directory, 'inbox.sqlite')}`);
try {
  console.log(`Each body against the receiver (src/main.ts, SQLite); median of ${runs}:`);
  for (const [name, body] of bodies) {
    const alone: ReturnType<typeof validatorAlone>[] = [];
    const results: { status: number | string; ms: number; valid: number; healthz: number }[] = [];
    for (let run = 0; run < runs; run += 1) {
      alone.push(validatorAlone(body));
      const hostile = send(receiver.url, body);
      // Once the hostile body is on its way: what Svix's next delivery and a probe meet.
      await sleep(200);
      const [validAnswer, healthz] = await Promise.all([send(receiver.url, valid), request(`${receiver.url}/healthz`, 'GET')]);
      const answer = await hostile;
      results.push({ ...answer, valid: validAnswer.ms, healthz: healthz.ms });
    }
    const figure = (pick: (result: (typeof results)[number]) => number) => `${median(results.map(pick)).toFixed(0)} ms`;
    console.log(
      `- ${name} (${(Buffer.byteLength(body) / 1e6).toFixed(2)} MB): answered ${[...new Set(results.map(({ status }) => status))].join('/')} in ${figure(({ ms }) => ms)}; ` +
        `a valid delivery sent 200 ms later took ${figure(({ valid }) => valid)}, GET /healthz ${figure(({ healthz }) => healthz)}; ` +
        `the request validator alone ${median(alone.map(({ ms }) => ms)).toFixed(0)} ms (${alone[0]!.reported})`,
    );
  }
} finally {
  await receiver.stop();
  rmSync(directory, { recursive: true, force: true });
}
