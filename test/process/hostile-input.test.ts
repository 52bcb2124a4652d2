// Hostile input against the receiver as a real process (dispatcher on, handlers that inspect what
// they get): property-based with fast-check, and hand-picked. Every request is answered below 500
// within a bounded time (a slow client is cut off instead), the process stays up and its memory
// bounded, nothing that was not correctly signed is stored, and no handler sees a polluted
// prototype. RELIABILITY_RUNS sets the number of cases of each property (default 100; `npm run
// reliability` runs 2,000).
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { loadContract } from '../../src/contract/document.ts';
import { eventually } from '../support/eventually.ts';
import { startReceiverProcess, type ReceiverProcess } from '../support/process.ts';
import { contractExample, signedHeaders, testSecret } from '../support/receiver.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const runs = Number(process.env['RELIABILITY_RUNS'] ?? 100);
const scenario = new URL('scenarios/inspecting-receiver.ts', import.meta.url).pathname;
/** No request may take longer than this to be answered. */
const answerWithinMs = 10_000;

interface Sent {
  status: number;
  body: string;
}

describe('hostile input against the receiver process', function () {
  this.timeout(300_000);
  let directory: string;
  let receiver: ReceiverProcess;
  let rssAfterWarmUp: number;
  /** Ids of the requests that were correctly signed: the only ones that may be stored. */
  const signedIds = new Set<string>();
  let requests = 0;

  const rssMegabytes = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${receiver.child.pid}/status`, 'utf8'))![1]) / 1024;
  const journal = () =>
    readFileSync(join(directory, 'journal.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id: string; type: string; pristine: boolean });

  /** POSTs `body`, signed unless `signing` says otherwise; extra headers override. */
  async function send(
    body: string | Buffer,
    { signing = 'valid', headers = {} }: { signing?: 'valid' | 'none' | 'wrong'; headers?: Record<string, string> } = {},
  ): Promise<Sent> {
    const signed = signedHeaders(body);
    const sent: Record<string, string> =
      signing === 'none'
        ? { 'content-type': 'application/json' }
        : signing === 'wrong'
          ? { ...signed, 'svix-signature': `v1,${Buffer.alloc(32, 1).toString('base64')}` }
          : signed;
    Object.assign(sent, headers);
    if (signing === 'valid') signedIds.add(signed['svix-id']!);
    requests += 1;
    const response = await fetch(`${receiver.url}/webhooks/ada`, {
      method: 'POST',
      headers: sent,
      body,
      signal: AbortSignal.timeout(answerWithinMs),
    });
    return { status: response.status, body: await response.text() };
  }
  const sendEvent = (event: unknown, options?: Parameters<typeof send>[1]) => send(JSON.stringify(event), options);
  const unknownEvent = (data: unknown) => ({ type: 'v0.example.unknown_event', timestamp: '2026-11-27T10:00:00Z', data });

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'ada-hostile-'));
    receiver = await startReceiverProcess(
      directory,
      {
        ADA_WEBHOOK_SECRET: testSecret,
        DATABASE_URL: `sqlite:${join(directory, 'inbox.sqlite')}`,
        INSPECT_JOURNAL: join(directory, 'journal.ndjson'),
        HEADERS_TIMEOUT_SECONDS: '1',
        REQUEST_TIMEOUT_SECONDS: '2',
        KEEP_ALIVE_TIMEOUT_SECONDS: '1',
      },
      scenario,
    );
    for (let warm = 0; warm < 200; warm += 1) expect((await sendEvent(contractExample('ConversationMessageText'))).status).to.equal(200);
    rssAfterWarmUp = rssMegabytes();
  });

  after(async () => {
    if (receiver) {
      receiver.child.kill('SIGTERM');
      await receiver.exit;
    }
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers random bytes, signed or not, below 500, and only ever 200 when signed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 4096 }),
        fc.constantFrom<'valid' | 'none' | 'wrong'>('valid', 'none', 'wrong'),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded'),
        async (bytes, signing, contentType) => {
          const { status } = await send(Buffer.from(bytes), { signing, headers: { 'content-type': contentType } });
          expect(status).to.be.oneOf(signing === 'valid' ? [200, 400, 415, 422] : [400, 401, 415]);
        },
      ),
      { numRuns: runs },
    );
  });

  it('answers any JSON value, signed, with 200 or 422', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        expect((await sendEvent(value)).status).to.be.oneOf([200, 422]);
      }),
      { numRuns: runs },
    );
  });

  it('answers event types that are not Ada event names with 422, and stores them in quarantine', async () => {
    const unknownType = loadContract().components.schemas['UnknownEvent']!['properties'] as {
      type: { pattern: string; maxLength: number };
    };
    const looksLikeAnEventName = (type: string) =>
      new RegExp(unknownType.type.pattern).test(type) && type.length <= unknownType.type.maxLength;
    const known = new Set(Object.keys(loadContract().webhooks));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 300 }), fc.stringMatching(/^v[0-9]{1,3}(\.[a-z_]{1,12}){1,4}$/)).filter((type) => !known.has(type)),
        async (type) => {
          const { status, body } = await sendEvent({ type, timestamp: '2026-11-27T10:00:00Z', data: {} });
          expect(status, type).to.equal(looksLikeAnEventName(type) ? 200 : 422);
          if (status === 422) expect(JSON.parse(body).violations.map((v: { pointer: string }) => v.pointer)).to.include('/type');
        },
      ),
      { numRuns: runs },
    );
    const absurd = await sendEvent({ type: `v1.${'a'.repeat(200_000)}.created`, timestamp: '2026-11-27T10:00:00Z', data: {} });
    expect(absurd.status).to.equal(422);
  });

  it('answers bodies that are not UTF-8 with 400', async () => {
    const body = Buffer.concat([
      Buffer.from('{"type":"v0.example.unknown_event","data":{"text":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}}'),
    ]);
    const answer = await send(body);
    expect(answer.status).to.equal(400);
    expect(JSON.parse(answer.body).detail).to.equal('The request body is not valid UTF-8.');
  });

  it('takes 10,000 levels of nesting inside data, refuses them as the body, and survives as deep as the size limit allows', async () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    expect(
      (await send(`{"type":"v0.example.unknown_event","timestamp":"2026-11-27T10:00:00Z","data":{"deep":${deep(10_000)}}}`)).status,
    ).to.equal(200);
    expect((await send(deep(10_000))).status).to.equal(422);
    expect((await send(deep(500_000))).status).to.be.oneOf([400, 422]);
  });

  it('takes very long strings and keys', async () => {
    expect((await sendEvent(unknownEvent({ text: 'x'.repeat(900_000) }))).status).to.equal(200);
    expect((await sendEvent(unknownEvent({ ['k'.repeat(100_000)]: 1 }))).status).to.equal(200);
    expect((await sendEvent(unknownEvent({ text: 'x'.repeat(2 * 1024 * 1024) }))).status).to.equal(413);
  });

  it('hands __proto__, constructor and prototype keys to handlers as plain data', async () => {
    const body = `{"type":"v0.example.unknown_event","timestamp":"2026-11-27T10:00:00Z","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"data":{"__proto__":{"polluted":true},"prototype":{"polluted":true}}}`;
    expect((await send(body)).status).to.equal(200);
    const message = contractExample('ConversationMessageText');
    const text = JSON.stringify(message).replace('"data":{', '"data":{"__proto__":{"polluted":true},');
    expect((await send(text)).status).to.equal(200);
  });

  it('reads duplicate keys as JSON.parse does, the last one counting, for the contract and the handler alike', async () => {
    const body = '{"type":"v1.conversation.message","type":"v0.example.duplicated_key","timestamp":"2026-11-27T10:00:00Z","data":{}}';
    const answer = await send(body);
    expect(answer.status).to.equal(200);
    const { id } = JSON.parse(answer.body) as { id: string };
    await eventually(() => journal().some((run) => run.id === id), 10_000);
    expect(journal().find((run) => run.id === id)?.type).to.equal('v0.example.duplicated_key');
  });

  it('takes huge numbers within the range of a double, and quarantines those beyond it, which would be read as Infinity', async () => {
    const within = '"big":123456789012345678901234567890,"max":1.7976931348623157e308,"tiny":1e-999999';
    expect((await send(`{"type":"v0.example.unknown_event","timestamp":"2026-11-27T10:00:00Z","data":{${within}}}`)).status).to.equal(200);
    const beyond = await send(
      `{"type":"v0.example.unknown_event","timestamp":"2026-11-27T10:00:00Z","data":{"n":1e999999,"m":-1e999999,${within}}}`,
    );
    expect(beyond.status).to.equal(422);
    expect(JSON.parse(beyond.body).violations.map(({ pointer }: { pointer: string }) => pointer)).to.deep.equal(['/data/n', '/data/m']);
    const message = contractExample('ConversationMessageText');
    message['data'].metadata = { score: 1e308 * 10 };
    expect((await sendEvent(message)).status).to.be.oneOf([200, 422]);
  });

  it('checks a signature header of many entries in bounded time, and refuses one larger than the header limit with 431', async () => {
    const body = JSON.stringify(contractExample('ConversationCreated'));
    const signed = signedHeaders(body);
    const noise = Array.from({ length: 250 }, (_, index) => `v1,${Buffer.alloc(32, index % 256).toString('base64')}`).join(' ');
    signedIds.add(signed['svix-id']!);
    const many = await fetch(`${receiver.url}/webhooks/ada`, {
      method: 'POST',
      headers: { ...signed, 'svix-signature': `${noise} ${signed['svix-signature']}` },
      body,
    });
    expect(many.status).to.equal(200);
    const tooMany = Array.from({ length: 5000 }, () => 'v1,x').join(' ');
    expect((await rawRequest(receiver.url, { 'svix-signature': tooMany })).statusLine).to.match(/^HTTP\/1\.1 431 /);
    expect((await rawRequest(receiver.url, { 'x-padding': 'p'.repeat(20_000) })).statusLine).to.match(/^HTTP\/1\.1 431 /);
  });

  it('cuts off clients that send their headers or their body too slowly, and idle keep-alive connections', async () => {
    const headersTrickled = await trickle(
      receiver.url,
      'POST /webhooks/ada HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n',
      200,
    );
    expect(headersTrickled.closedAfterMs).to.be.below(5000);
    const bodyTrickled = await trickle(
      receiver.url,
      '{"type":"v0.example.unknown_event","data":{}}',
      200,
      'POST /webhooks/ada HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    );
    expect(bodyTrickled.closedAfterMs).to.be.below(6000);
    expect(bodyTrickled.answer).to.match(/^HTTP\/1\.1 408 /);
    // After an answer, a keep-alive connection left idle is closed by the server.
    const idle = await trickle(receiver.url, '', 200, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(idle.answer).to.match(/^HTTP\/1\.1 200 /);
    expect(idle.closedAfterMs).to.be.below(5000);
  });

  it('afterwards: is still up, its memory bounded; stored only what was signed; no handler saw a polluted prototype', async () => {
    expect(receiver.child.exitCode, 'the receiver exited').to.equal(null);
    expect((await fetch(`${receiver.url}/healthz`)).status).to.equal(200);
    const rss = rssMegabytes();
    expect(
      rss - rssAfterWarmUp,
      `RSS ${rssAfterWarmUp.toFixed(0)} MB after warm-up, ${rss.toFixed(0)} MB after ${requests} hostile requests`,
    ).to.be.below(150);

    const db = new DatabaseSync(join(directory, 'inbox.sqlite'), { readOnly: true });
    const stored = (db.prepare('SELECT id FROM deliveries').all() as { id: string }[]).map(({ id }) => id);
    db.close();
    expect(
      stored.filter((id) => !signedIds.has(id)),
      'stored without a valid signature',
    ).to.deep.equal([]);

    await eventually(
      async () =>
        (await fetch(`${receiver.url}/metrics`).then((r) => r.text())).includes('ada_webhook_inbox_deliveries{state="pending"} 0'),
      30_000,
    );
    const runsOfHandlers = journal();
    expect(runsOfHandlers.length).to.be.greaterThan(200);
    expect(
      runsOfHandlers.filter(({ pristine }) => !pristine),
      'handler runs that saw a polluted prototype',
    ).to.deep.equal([]);
    console.log(
      `      ${requests} requests; RSS ${rssAfterWarmUp.toFixed(0)} MB after the warm-up, ${rss.toFixed(0)} MB after; ` +
        `${stored.length} stored, all signed; ${runsOfHandlers.length} handler runs, none saw a polluted prototype`,
    );
  });
});

/** Sends a request with `headers` over a raw socket (fetch refuses some) and returns the status line. */
function rawRequest(url: string, headers: Record<string, string>): Promise<{ statusLine: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve({ statusLine: answer.split('\r\n')[0] ?? '' }));
    socket.on('error', reject);
    const lines = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(`POST /webhooks/ada HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n${lines}\r\n{}`);
  });
}

/** Sends `text` one byte every `intervalMs` after `prefix`, until the server closes the connection. */
function trickle(url: string, text: string, intervalMs: number, prefix = ''): Promise<{ closedAfterMs: number; answer: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let answer = '';
    let sent = 0;
    socket.write(prefix);
    const timer = setInterval(() => {
      if (sent < text.length) socket.write(text[sent++]!);
    }, intervalMs);
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ closedAfterMs: performance.now() - started, answer });
    });
    setTimeout(() => reject(new Error('the server kept a slow client for 20 s')), 20_000).unref();
  });
}
