// The inspector's live updates and token throttle under load, through real Server-Sent Events
// streams and HTTP requests to an inspector on a loopback port, over a real SQLite inbox whose
// reads are counted: one look per view however many streams watch it, caps on streams in all
// and per visitor, updates that still come after idle time, and wrong tokens counted in the log.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { createDeliveryValidator } from '../../src/contract/delivery-validator.ts';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { createInspector, type Inspector } from '../../src/inspector/mount.ts';
import { eventually } from '../support/eventually.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';
import { contractExample, storedDelivery } from '../support/receiver.ts';

const token = 'inspector-token-for-the-live-tests-0123456789';
const bearer = { authorization: `Bearer ${token}` };

interface Running {
  url: string;
  store: TestInbox;
  /** How often the inspector called each inbox method, and `list` by its state filter, `get` by id. */
  calls: Map<string, number>;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** The inbox, each call counted by method (and `list` by state, `get` by id) before it runs for real. */
function counted(inbox: Inbox, calls: Map<string, number>): Inbox {
  const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
  return new Proxy(inbox, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        count(String(property));
        if (property === 'list') count(`list ${(args[0] as { state?: string }).state ?? 'any'}`);
        if (property === 'get') count(`get ${String(args[0])}`);
        return (value as (...args: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function startInspector(options: Partial<Parameters<typeof createInspector>[0]> = {}): Promise<Running> {
  const store = await inboxBackends[0]!.create();
  const calls = new Map<string, number>();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const inspector: Inspector = createInspector({
    settings: { token, readOnly: false },
    inbox: counted(store.inbox, calls),
    validateDelivery: createDeliveryValidator(await dereferenceContract(loadContract())),
    logger: pino({ level: 'info' }, sink),
    ...options,
  });
  const server: Server = createServer(inspector.node()).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    store,
    calls,
    logs,
    async close() {
      inspector.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.destroy();
    },
  };
}

/** A live stream as a browser's EventSource reads it. */
async function openStream(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { headers });
  expect(response.headers.get('content-type')).to.match(/^text\/event-stream/);
  const reader = response.body!.getReader();
  let text = '';
  let ended = false;
  return {
    /** Reads until the stream has said `pattern` (or ended); returns all it said. */
    async until(pattern: RegExp): Promise<string> {
      while (!pattern.test(text) && !ended) {
        const { value, done } = await reader.read();
        ended = done;
        if (value) text += new TextDecoder().decode(value);
      }
      return text;
    },
    /** Reads to the end of the stream; returns all it said. */
    async end(): Promise<string> {
      await this.until(/(?!)/);
      return text;
    },
    close: () => reader.cancel(),
  };
}

async function signIn(url: string): Promise<string> {
  const response = await fetch(`${url}/inspector/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });
  expect(response.status).to.equal(303);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

describe('the inspector under load', function () {
  this.timeout(30_000);
  let running: Running;
  afterEach(() => running.close());

  it('looks at the store once per interval for each view, however many streams watch it', async () => {
    running = await startInspector({ liveIntervalMs: 20 });
    const { url, calls } = running;
    const probe = await openStream(`${url}/inspector/live?delivery=probe`, bearer);
    await probe.until(/^retry: /);
    const probeLooksBefore = calls.get('get probe') ?? 0;
    const watching = [];
    for (const query of ['state=dead', 'state=dead&live=on', 'live=on&state=dead', 'state=dead', 'state=dead']) {
      watching.push(await openStream(`${url}/inspector/live?${query}`, bearer));
    }
    for (const stream of watching) await stream.until(/^retry: /);
    // Every view is looked at in the same rounds, each once per interval, and once more when it opens.
    await eventually(() => (calls.get('get probe') ?? 0) >= probeLooksBefore + 20, 10_000);
    const rounds = calls.get('get probe')! - probeLooksBefore;
    expect(calls.get('list dead')).to.be.within(1, rounds + 2);
    for (const stream of [...watching, probe]) await stream.close();
  });

  it('caps streams per visitor and in all, refusing with an event that says why, and takes new ones as others close', async () => {
    running = await startInspector({ liveIntervalMs: 50, liveLimits: { streams: 3, perVisitor: 2 } });
    const { url } = running;
    const scripts = [await openStream(`${url}/inspector/live`, bearer), await openStream(`${url}/inspector/live`, bearer)];
    for (const stream of scripts) await stream.until(/^retry: /);
    const thirdOfOne = await (await openStream(`${url}/inspector/live`, bearer)).end();
    expect(thirdOfOne).to.match(
      /^retry: 60000\nevent: refused\ndata: Live updates are off: you have 2 live pages open, the most for one visitor\./,
    );

    const cookie = await signIn(url);
    const session = await openStream(`${url}/inspector/live?delivery=x`, { cookie });
    await session.until(/^retry: /);
    const overall = await (await openStream(`${url}/inspector/live`, { cookie: await signIn(url) })).end();
    expect(overall).to.contain('event: refused\ndata: Live updates are off: the inspector has 3 live pages open, its most.');

    await scripts[0]!.close();
    const taken = await eventually(async () => {
      const stream = await openStream(`${url}/inspector/live`, { cookie });
      const said = await stream.until(/^retry: \d+\n\n|event: refused/);
      if (said.startsWith('retry: 1000')) return stream;
      await stream.close();
      return undefined;
    });
    await Promise.all([taken.close(), session.close(), scripts[1]!.close()]);
  });

  it('still says `changed` after a quiet period many intervals long, and after every stream had closed', async () => {
    running = await startInspector({ liveIntervalMs: 20 });
    const { url, store, calls } = running;
    const first = await openStream(`${url}/inspector/live?delivery=probe`, bearer);
    const list = await openStream(`${url}/inspector/live`, bearer);
    await list.until(/^retry: /);
    await eventually(() => (calls.get('get probe') ?? 0) >= 25, 10_000);
    await store.inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg_after_quiet'));
    await list.until(/event: changed/);
    await Promise.all([first.close(), list.close()]);

    // Nobody watches for a while; then a page opens again.
    await sleep(200);
    const again = await openStream(`${url}/inspector/live`, bearer);
    await again.until(/^retry: /);
    const probeLooks = calls.get('get probe')!;
    const second = await openStream(`${url}/inspector/live?delivery=probe`, bearer);
    await eventually(() => calls.get('get probe')! >= probeLooks + 5, 10_000);
    await store.inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg_after_idle'));
    await again.until(/event: changed/);
    await Promise.all([again.close(), second.close()]);
  });

  it('logs the first wrong token of an address at once, and then how many followed, refused or not', async () => {
    running = await startInspector({ throttleLimits: { limit: 2, windowMs: 60_000, maxAddresses: 100 }, guessReportMs: 50 });
    const { url, logs } = running;
    const statuses = [];
    for (let guess = 0; guess < 5; guess += 1) {
      statuses.push((await fetch(`${url}/inspector`, { headers: { authorization: `Bearer wrong-${guess}` } })).status);
    }
    expect(statuses).to.deep.equal([401, 401, 429, 429, 429]);
    const reported = (field: string) => logs.reduce((sum, line) => sum + Number(line[field] ?? 0), 0);
    await eventually(() => reported('wrongTokens') === 1 && reported('throttled') === 3);
    const reports = logs.filter((line) => line['wrongTokens'] !== undefined);
    expect(reports.every((line) => line['client'] === '127.0.0.1' && String(line['msg']).includes('from 127.0.0.1'))).to.equal(true);
    expect(logs.filter((line) => String(line['msg']).startsWith('inspector: a wrong token was refused'))).to.have.length(1);
  });
});
