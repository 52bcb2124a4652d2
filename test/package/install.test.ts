// The package as users get it: `npm pack`, installed into an empty project, mounted in Koa and in
// Express from plain JavaScript, its types checked from TypeScript (an Express app's without
// Koa's types), `ada-webhooks/verify` loaded alone, and the whole on the oldest Node that
// `engines` names, and refused on an older one. Real processes on loopback ports, npm's own install.
import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/eventually.ts';
import { installNode, oldestSupportedNode } from '../support/node-versions.ts';
import { temporarySchema, testDatabaseUrl } from '../support/postgres.ts';
import { spanKinds, startOtlpReceiver, tracingEnvironment } from '../support/otlp-receiver.ts';
import { childEnvironment } from '../support/process.ts';
import { contractExample, post, signedHeaders } from '../support/receiver.ts';

const project = fileURLToPath(new URL('../..', import.meta.url));
/** The version of a package that this project pins for its own use, so that npm finds it in its cache. */
const devVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[name]!;
const secret = `whsec_${Buffer.alloc(32, 4).toString('base64')}`;
const inspectorToken = 'an-inspector-token-of-the-host-app-0123456789';

const koaApp = `
import Koa from 'koa';
import { createReceiver } from 'ada-webhooks';

const receiver = await createReceiver({ secrets: process.env.SECRET, database: 'sqlite:' + process.env.INBOX, inspectorToken: process.env.INSPECTOR_TOKEN });
receiver.on('v1.conversation.created', (event, { deliveryId }) => {
  console.log(JSON.stringify({ handled: deliveryId, conversation: event.data.conversation_id }));
});
receiver.start();
const app = new Koa();
app.use(receiver.koa());
app.use(receiver.inspector.koa());
app.use((ctx) => { ctx.body = 'the host app'; });
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

const expressApp = `
import express from 'express';
import { createReceiver } from 'ada-webhooks';

const receiver = await createReceiver({ secrets: [process.env.SECRET], database: 'sqlite:' + process.env.INBOX, inspectorToken: process.env.INSPECTOR_TOKEN });
receiver.on('v1.conversation.created', (event, { deliveryId }) => {
  console.log(JSON.stringify({ handled: deliveryId, conversation: event.data.conversation_id }));
});
receiver.start();
const app = express();
app.post('/webhooks/ada', receiver.node());
app.use(receiver.inspector.node());
app.use(express.json());
app.get('/', (req, res) => res.send('the host app'));
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

/** A CommonJS app: require() of the ESM package (Node 22.12 and later), and import(). */
const commonJsApp = `
const { createReceiver } = require('ada-webhooks');
import('ada-webhooks').then((loaded) =>
  console.log(JSON.stringify({ required: typeof createReceiver, imported: typeof loaded.createReceiver })),
);
`;

/** A host app that traces with its own OpenTelemetry SDK, set up before anything else loads. */
const tracedKoaApp = `
import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

const sdk = new NodeSDK({ serviceName: 'host-app', instrumentations: [new HttpInstrumentation()], metricReaders: [], logRecordProcessors: [] });
sdk.start();
const { default: Koa } = await import('koa');
const { createReceiver } = await import('ada-webhooks');
const receiver = await createReceiver({ secrets: process.env.SECRET, database: 'sqlite:' + process.env.INBOX });
receiver.on('v1.conversation.created', (event, { deliveryId }) => console.log(JSON.stringify({ handled: deliveryId })));
receiver.start();
const app = new Koa();
app.use(receiver.koa());
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

const typedUse = `
import { createReceiver } from 'ada-webhooks';
import { verifyWebhook } from 'ada-webhooks/verify';

const receiver = await createReceiver({ secrets: 'whsec_x', database: 'sqlite:inbox.sqlite' });
receiver.on('v1.conversation.created', (e) => e.data.conversation_id);
// @ts-expect-error: the contract's conversation.created event has no such field
receiver.on('v1.conversation.created', (e) => e.data.not_a_field_of_the_contract);
// @ts-expect-error: not an event type of the contract
receiver.on('v1.not_an.event_of_the_contract', () => {});
const verified = verifyWebhook({ secrets: 'whsec_x', headers: new Headers(), body: '{}' });
if (verified.known && verified.event.type === 'v1.conversation.ended') console.log(verified.id, verified.event.data.ended_by?.role);
const dead = await receiver.inbox.list({ state: 'dead', limit: 10 });
await receiver.inbox.requeue(dead.map(({ id }) => ({ id })));
// @ts-expect-error: claims are the dispatcher's, not the app's
receiver.inbox.claim({ owner: 'an app', limit: 1, leaseMs: 1000 });
// @ts-expect-error: settlements are the dispatcher's
receiver.inbox.settle('an app', []);
// @ts-expect-error: leases at intake are the dispatcher's
receiver.inbox.leaseAtIntake;
`;

/** An Express 5 app in TypeScript: it compiles with skipLibCheck false, and without Koa's types. */
const typedExpressApp = `
import express from 'express';
import { createReceiver } from 'ada-webhooks';

const receiver = await createReceiver({ secrets: 'whsec_x', database: 'sqlite:inbox.sqlite', inspectorToken: 'x'.repeat(32) });
const app = express();
app.post('/webhooks/ada', receiver.node());
if (receiver.inspector) app.use(receiver.inspector.node());
app.listen(0);
`;

/** A Koa app in TypeScript: Koa's use() takes koa() as it is, without a cast. */
const typedKoaApp = `
import Koa from 'koa';
import { createReceiver } from 'ada-webhooks';

const receiver = await createReceiver({ secrets: 'whsec_x', database: 'sqlite:inbox.sqlite', inspectorToken: 'x'.repeat(32) });
const app = new Koa();
app.use(receiver.koa());
if (receiver.inspector) app.use(receiver.inspector.koa());
app.listen(0);
`;

/** A Koa app on the inbox that DATABASE (and SCHEMA) name, for another Node. */
const storedKoaApp = `
import Koa from 'koa';
import { createReceiver } from 'ada-webhooks';

const receiver = await createReceiver({ secrets: process.env.SECRET, database: process.env.DATABASE, databaseSchema: process.env.SCHEMA || undefined });
receiver.on('v1.conversation.created', (event, { deliveryId }) => console.log(JSON.stringify({ handled: deliveryId })));
receiver.start();
const app = new Koa();
app.use(receiver.koa());
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port, node: process.version })));
`;

/** Imports the package and prints what importing it threw. */
const importOnly = `
try {
  await import('ada-webhooks');
  console.log('imported');
} catch (error) {
  console.log(JSON.stringify({ message: error.message, code: error.code }));
}
`;

/** Records every module that importing `ada-webhooks/verify` loads. */
const verifyAlone = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ resolve: (specifier, context, next) => { const resolved = next(specifier, context); loaded.push(resolved.url); return resolved; } });
const { verifyWebhook } = await import('ada-webhooks/verify');
console.log(JSON.stringify({ verify: typeof verifyWebhook, loaded }));
`;

describe('the package, installed into an empty project', function () {
  this.timeout(120_000);
  let consumer: string;
  const run = (file: string, env: Record<string, string> = {}, node = process.execPath) => {
    const child = spawn(node, [file], { cwd: consumer, env: childEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Record<string, unknown>[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    return { child, lines, stderr: () => stderr };
  };
  /** The app's URL, once it says that it listens. */
  const listening = async (app: ReturnType<typeof run>) => {
    await eventually(() => app.lines.some((line) => 'port' in line) || app.child.exitCode !== null, 20_000);
    expect(app.child.exitCode, app.stderr()).to.equal(null);
    return `http://127.0.0.1:${app.lines.find((line) => 'port' in line)!['port'] as number}`;
  };

  before(() => {
    consumer = mkdtempSync(join(tmpdir(), 'ada-consumer-'));
    execFileSync('npm', ['pack', project, '--pack-destination', consumer, '--silent'], {
      cwd: consumer,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [tarball] = readdirSync(consumer).filter((name) => name.endsWith('.tgz'));
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    execFileSync(
      'npm',
      [
        'install',
        `./${tarball}`,
        'koa@3',
        'express@5',
        `@opentelemetry/sdk-node@${devVersion('@opentelemetry/sdk-node')}`,
        `@opentelemetry/instrumentation-http@${devVersion('@opentelemetry/instrumentation-http')}`,
        'typescript@5',
        '@types/node@24',
        `@types/express@${devVersion('@types/express')}`,
        `@types/koa@${devVersion('@types/koa')}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--silent',
      ],
      { cwd: consumer, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  });
  after(() => rmSync(consumer, { recursive: true, force: true }));

  for (const [framework, source] of [
    ['Koa', koaApp],
    ['Express', expressApp],
  ] as const) {
    it(`mounted in ${framework} from plain JavaScript: a signed delivery is handled by on(), a bad signature is 401, the inspector lists it`, async () => {
      const file = `${framework.toLowerCase()}-app.mjs`;
      writeFileSync(join(consumer, file), source);
      const app = run(file, { SECRET: secret, INBOX: join(consumer, `${framework}.sqlite`), INSPECTOR_TOKEN: inspectorToken });
      try {
        const url = await listening(app);

        const created = contractExample('ConversationCreated');
        const body = JSON.stringify(created);
        const headers = signedHeaders(body, { secret });
        expect(await post(url, body, headers)).to.deep.include({ status: 200, body: { status: 'accepted', id: headers['svix-id'] } });
        await eventually(() => app.lines.some((line) => line['handled'] === headers['svix-id']), 10_000);
        expect(app.lines.find((line) => line['handled'])).to.deep.include({ conversation: created['data'].conversation_id });

        const forged = await post(url, body, signedHeaders(body, { secret: `whsec_${Buffer.alloc(32, 5).toString('base64')}` }));
        expect(forged.status).to.equal(401);
        expect(await (await fetch(url)).text()).to.equal('the host app');

        // The handler logs its run before its settlement commits: the list shows the delivery done once it has.
        const doneList = async () => {
          const inspector = await fetch(`${url}/inspector?state=done`, { headers: { authorization: `Bearer ${inspectorToken}` } });
          expect(inspector.status).to.equal(200);
          return (await inspector.text()).includes(headers['svix-id']!);
        };
        await eventually(doneList, 10_000);
        const htmx = await fetch(`${url}/inspector/assets/htmx.min.js`);
        expect([htmx.status, htmx.headers.get('content-type')]).to.deep.equal([200, 'text/javascript; charset=utf-8']);
      } finally {
        app.child.kill('SIGTERM');
        await once(app.child, 'exit');
      }
    });
  }

  it("traces with the host app's own OpenTelemetry SDK, in a trace of its own that links to the request's, and depends on the API alone", async () => {
    const { dependencies } = JSON.parse(readFileSync(join(consumer, 'node_modules', 'ada-webhooks', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(dependencies).filter((name) => name.startsWith('@opentelemetry/'))).to.deep.equal([
      '@opentelemetry/api',
      '@opentelemetry/semantic-conventions',
    ]);

    const collector = await startOtlpReceiver();
    writeFileSync(join(consumer, 'traced-app.mjs'), tracedKoaApp);
    const app = run('traced-app.mjs', { ...tracingEnvironment(collector), SECRET: secret, INBOX: join(consumer, 'traced.sqlite') });
    try {
      const url = await listening(app);
      const body = JSON.stringify(contractExample('ConversationCreated'));
      const headers = signedHeaders(body, { secret });
      // Trace context of the sender's choosing, which the host's HTTP instrumentation takes in.
      const senders = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
      const traceContext = { traceparent: `00-${senders.traceId}-${senders.spanId}-01`, baggage: `tenant=${'x'.repeat(3000)}` };
      expect((await post(url, body, { ...headers, ...traceContext })).status).to.equal(200);

      const id = headers['svix-id']!;
      const receive = await eventually(() => collector.spans.find((span) => span.name.startsWith('receive')), 10_000);
      const processed = await eventually(() => collector.spans.find((span) => span.name.startsWith('process')), 10_000);
      const http = await eventually(() => collector.spans.find((span) => span.kind === spanKinds.server), 10_000);
      // The host's server span is the host's business; the delivery's trace is the receiver's own.
      expect(http).to.deep.include({ traceId: senders.traceId, parentSpanId: senders.spanId });
      expect(receive).to.deep.include({ parentSpanId: '', links: [{ traceId: http.traceId, spanId: http.spanId }, senders] });
      expect(receive.traceId).not.to.equal(senders.traceId);
      expect(receive.attributes).to.include({ 'messaging.message.id': id, 'ada_webhooks.outcome': 'accepted' });
      expect(processed).to.deep.include({ traceId: receive.traceId, parentSpanId: receive.spanId });
      expect(processed.resource).to.include({ 'service.name': 'host-app' });
      // Stored with the delivery: the receive span's context, without the request's baggage.
      const inbox = new DatabaseSync(join(consumer, 'traced.sqlite'), { readOnly: true });
      const row = inbox.prepare('SELECT trace_context FROM deliveries WHERE id = ?').get(id);
      inbox.close();
      expect(JSON.parse(String(row?.['trace_context']))).to.deep.equal({ traceparent: `00-${receive.traceId}-${receive.spanId}-01` });
    } finally {
      app.child.kill('SIGTERM');
      await once(app.child, 'exit');
      await collector.close();
    }
  });

  it("types handlers by the contract in TypeScript: a field or an event type it lacks does not compile, nor the inbox's claims, settlements or leases", () => {
    writeFileSync(join(consumer, 'typed.ts'), typedUse);
    // Types that failed to resolve would make `receiver` any, and the expected errors below would
    // not happen.
    const compilerOptions = { module: 'nodenext', target: 'esnext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] };
    const config = { compilerOptions, files: ['typed.ts'] };
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(config));
    const tsc = join(consumer, 'node_modules', 'typescript', 'bin', 'tsc');
    // Unused @ts-expect-error lines fail the check: every mistake must be a compile error.
    const checked = spawnSync(process.execPath, [tsc, '-p', consumer], { cwd: consumer, encoding: 'utf8' });
    expect(checked.stdout).to.equal('');
    expect(checked.status).to.equal(0);
  });

  /** The type checker's errors for `file` alone, with these compiler options. */
  const typeErrors = (file: string, source: string, { skipLibCheck }: { skipLibCheck: boolean }) => {
    writeFileSync(join(consumer, file), source);
    const compilerOptions = { module: 'nodenext', target: 'esnext', strict: true, noEmit: true, skipLibCheck, types: ['node'] };
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [file] }));
    const tsc = join(consumer, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = spawnSync(process.execPath, [tsc, '-p', consumer], { cwd: consumer, encoding: 'utf8' });
    return checked.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
  };

  it("compiles an Express 5 app with skipLibCheck false: the package's types name none of Koa's, and it depends on no @types", () => {
    const { dependencies } = JSON.parse(readFileSync(join(consumer, 'node_modules', 'ada-webhooks', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(dependencies).filter((name) => name.startsWith('@types/'))).to.deep.equal([]);
    expect(typeErrors('express-app.ts', typedExpressApp, { skipLibCheck: false })).to.deep.equal([]);
  });

  it("compiles a Koa app whose use() takes koa() without a cast; with skipLibCheck false, the only errors are @types/koa's own", () => {
    expect(typeErrors('koa-app.ts', typedKoaApp, { skipLibCheck: true })).to.deep.equal([]);
    const strict = typeErrors('koa-app.ts', typedKoaApp, { skipLibCheck: false });
    expect(strict.filter((line) => !line.startsWith('node_modules/@types/koa/'))).to.deep.equal([]);
  });

  describe(`on the oldest Node that engines names (${oldestSupportedNode()})`, function () {
    this.timeout(180_000);
    let oldest: string;
    before(() => {
      oldest = installNode(oldestSupportedNode(), join(consumer, 'oldest-node'));
      writeFileSync(join(consumer, 'stored-koa-app.mjs'), storedKoaApp);
    });

    const takesADelivery = async (env: Record<string, string>) => {
      const app = run('stored-koa-app.mjs', { SECRET: secret, ...env }, oldest);
      try {
        const url = await listening(app);
        expect(app.lines.find((line) => 'port' in line)).to.deep.include({ node: `v${oldestSupportedNode()}` });
        const body = JSON.stringify(contractExample('ConversationCreated'));
        const headers = signedHeaders(body, { secret });
        expect(await post(url, body, headers)).to.deep.include({ status: 200, body: { status: 'accepted', id: headers['svix-id'] } });
        await eventually(() => app.lines.some((line) => line['handled'] === headers['svix-id']), 10_000);
      } finally {
        app.child.kill('SIGTERM');
        await once(app.child, 'exit');
      }
    };

    it('takes a delivery and runs its handler on SQLite', () => takesADelivery({ DATABASE: `sqlite:${join(consumer, 'oldest.sqlite')}` }));

    it('takes a delivery and runs its handler on PostgreSQL', async () => {
      const { schema, drop } = await temporarySchema();
      try {
        await takesADelivery({ DATABASE: testDatabaseUrl, SCHEMA: schema });
      } finally {
        await drop();
      }
    });

    it('loads in a CommonJS app, by require() and by import(), as docs/library.md says', () => {
      writeFileSync(join(consumer, 'common.cjs'), commonJsApp);
      for (const node of [oldest, process.execPath]) {
        const output = execFileSync(node, ['common.cjs'], { cwd: consumer, encoding: 'utf8' });
        expect(JSON.parse(output), node).to.deep.equal({ required: 'function', imported: 'function' });
      }
    });

    it('on an older Node, importing the package says in one line which Node to install', () => {
      const older = installNode('20', join(consumer, 'older-node'));
      writeFileSync(join(consumer, 'import-only.mjs'), importOnly);
      const output = execFileSync(older, ['import-only.mjs'], { cwd: consumer, encoding: 'utf8' });
      const { message } = JSON.parse(output) as { message: string };
      expect(message).to.match(
        new RegExp(
          `^ada-webhooks needs Node\\.js ${oldestSupportedNode().replace(/\.0$/, '').replace('.', '\\.')} or later, and this is Node\\.js v20\\.\\d+\\.\\d+: install Node\\.js 24 LTS`,
        ),
      );
      expect(message).to.not.include('\n');
    });
  });

  it('loads ada-webhooks/verify without the store, Koa or any other dependency of the receiver', () => {
    writeFileSync(join(consumer, 'verify-alone.mjs'), verifyAlone);
    const output = execFileSync(process.execPath, ['verify-alone.mjs'], { cwd: consumer, encoding: 'utf8' });
    const { verify, loaded } = JSON.parse(output) as { verify: string; loaded: string[] };
    expect(verify).to.equal('function');
    const packages = loaded.filter((url) => url.includes('/node_modules/')).map((url) => url.split('/node_modules/').at(-1)!);
    expect(
      packages.every((path) => path.startsWith('ada-webhooks/')),
      packages.join('\n'),
    ).to.equal(true);
    expect(loaded.filter((url) => !url.startsWith('node:') && !url.includes('/node_modules/ada-webhooks/'))).to.deep.equal([]);
  });
});
