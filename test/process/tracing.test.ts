// Traces as an operator gets them: the real service with the OpenTelemetry SDK set up from the
// OTEL_* variables, exporting OTLP/HTTP (http/json) to a small receiver on a loopback port. One
// trace per delivery, from the HTTP request to every attempt, across a retry, a SIGKILL and a
// replay; forwarded messages carry it on; with tracing off nothing is sent and nothing is stored.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { brokerBackends } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import {
  childEnvironment,
  mainPath,
  scriptPath,
  startReceiverProcess,
  useTemporaryDirectory,
  type ReceiverProcess,
} from '../support/process.ts';
import {
  spanKinds,
  startOtlpReceiver,
  statusCodes,
  tracingEnvironment,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../support/otlp-receiver.ts';
import { contractExample, deliver, testSecret } from '../support/receiver.ts';

const scenario = new URL('scenarios/traced-handlers.ts', import.meta.url).pathname;
const run = promisify(execFile);

describe('traces of the service', function () {
  this.timeout(60_000);
  const temporaryDirectory = useTemporaryDirectory('ada-tracing-');
  let collector: OtlpReceiver;
  let processes: ReceiverProcess[];
  beforeEach(async () => {
    collector = await startOtlpReceiver();
    processes = [];
  });
  afterEach(async () => {
    for (const { child, exit } of processes) {
      child.kill('SIGKILL');
      await exit;
    }
    await collector.close();
  });

  const database = () => `sqlite:${join(temporaryDirectory(), 'inbox.sqlite')}`;
  const failFile = () => join(temporaryDirectory(), 'fail');
  /** The service with the handlers of the scenario, or those of `npm start` (`mainPath`). */
  const start = async (env: Record<string, string> = {}, entry = scenario) => {
    const started = await startReceiverProcess(
      temporaryDirectory(),
      {
        ...tracingEnvironment(collector),
        ADA_WEBHOOK_SECRET: testSecret,
        DATABASE_URL: database(),
        HANDLER_RETRY_BASE_MS: '20',
        DISPATCHER_POLL_MS: '50',
        TRACE_FETCH_URL: `${collector.endpoint}/reachable-from-a-handler`,
        TRACE_FAIL_FILE: failFile(),
        ...env,
      },
      entry,
    );
    processes.push(started);
    return started;
  };
  const receiveSpanOf = async (deliveryId: string) =>
    eventually(() =>
      collector.spans.find((span) => span.name.startsWith('receive') && span.attributes['messaging.message.id'] === deliveryId),
    );
  const processSpansOf = (deliveryId: string) =>
    collector.spans
      .filter((span) => span.name.startsWith('process') && span.attributes['messaging.message.id'] === deliveryId)
      .sort((a, b) => Number(a.attributes['ada_webhooks.attempt']) - Number(b.attributes['ada_webhooks.attempt']));
  const attemptLines = (receiver: ReceiverProcess) => receiver.logs().filter((line) => line['msg'] === 'attempt');

  it('gives a delivery one trace: the HTTP request, its receive span, and a process span per attempt, a failed one with its error', async () => {
    const receiver = await start();
    const event = contractExample('ConversationCreated');
    const { status, id } = await deliver(receiver.url, event);
    expect(status).to.equal(200);

    const receive = await receiveSpanOf(id);
    await eventually(() => processSpansOf(id).length === 2 && collector.spans.some((span) => span.name === 'user work'));
    const [first, second] = processSpansOf(id) as [ReceivedSpan, ReceivedSpan];
    const http = collector.spans.find((span) => span.spanId === receive.parentSpanId)!;

    expect(http).to.deep.include({ name: 'POST /webhooks/ada', kind: spanKinds.server, parentSpanId: '' });
    expect(http.attributes).to.include({ 'http.route': '/webhooks/ada', 'http.response.status_code': 200 });
    expect(receive).to.deep.include({ name: 'receive v1.conversation.created', kind: spanKinds.consumer, traceId: http.traceId });
    expect(receive.attributes).to.include({
      'messaging.system.name': 'svix',
      'messaging.operation.type': 'receive',
      'messaging.message.id': id,
      'messaging.destination.name': 'v1.conversation.created',
      'messaging.message.conversation_id': event['data'].conversation_id,
      'ada_webhooks.outcome': 'accepted',
    });
    expect(receive.resource).to.include({ 'service.name': 'ada-webhooks' });

    for (const [attempt, span] of [first, second].entries()) {
      expect(span).to.deep.include({
        name: 'process v1.conversation.created',
        kind: spanKinds.consumer,
        traceId: receive.traceId,
        parentSpanId: receive.spanId,
        links: [{ traceId: receive.traceId, spanId: receive.spanId }],
      });
      expect(span.attributes).to.include({
        'messaging.operation.type': 'process',
        'messaging.message.id': id,
        'ada_webhooks.attempt': attempt + 1,
      });
    }
    expect(first.attributes).to.include({ 'ada_webhooks.outcome': 'retry', 'error.type': 'Error' });
    expect(first.status).to.deep.equal({ code: statusCodes.error, message: 'the first attempt fails' });
    expect(first.events.map(({ name }) => name)).to.deep.equal(['exception']);
    expect(second.attributes).to.include({ 'ada_webhooks.outcome': 'done' });
    expect(second.status.code).to.equal(statusCodes.unset);

    // The handler's own span and its fetch() nest under its attempt.
    const userWork = collector.spans.find((span) => span.name === 'user work')!;
    expect(userWork).to.deep.include({ traceId: receive.traceId, parentSpanId: second.spanId });
    const outgoing = await eventually(() => collector.spans.find((span) => span.parentSpanId === userWork.spanId));
    expect(outgoing).to.deep.include({ kind: spanKinds.client });
    expect(attemptLines(receiver).map((line) => line['activeSpan'])).to.deep.equal([first.spanId, second.spanId]);
    const { stdout } = await run(process.execPath, [scriptPath('inbox'), 'show', id], {
      env: childEnvironment({ DATABASE_URL: database() }),
    });
    expect(stdout).to.contain(`trace id     ${receive.traceId}`);
    // Nothing else is traced: no probe, no scrape, no other trace.
    await fetch(`${receiver.url}/readyz`);
    await sleep(200);
    expect(new Set(collector.spans.map((span) => span.traceId))).to.deep.equal(new Set([receive.traceId]));
  });

  it('npm start: each delivery sent arrives as one trace, its receive span carrying its id and a process span for its handler', async () => {
    const receiver = await start({}, mainPath);
    const sent = await Promise.all(
      ['ConversationCreated', 'ConversationMessageText', 'EndUserUpdated'].map((example) =>
        deliver(receiver.url, contractExample(example)),
      ),
    );
    const traces = new Set<string>();
    for (const { status, id } of sent) {
      expect(status).to.equal(200);
      const receive = await receiveSpanOf(id);
      const [handled] = await eventually(() => processSpansOf(id).length === 1 && processSpansOf(id));
      expect(handled).to.deep.include({ traceId: receive.traceId, parentSpanId: receive.spanId });
      expect(handled!.attributes).to.include({ 'ada_webhooks.outcome': 'done' });
      traces.add(receive.traceId);
    }
    expect(traces.size).to.equal(3);
  });

  it('names what failed on the receive span: a signature refused, a contract violation', async () => {
    const receiver = await start();
    const refused = await deliver(receiver.url, contractExample('ConversationEndedByEndUser'), {
      secret: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
    });
    expect(refused.status).to.equal(401);
    const invalid = contractExample('ConversationEndedByEndUser');
    invalid['data'].conversation_id = 42;
    const quarantined = await deliver(receiver.url, invalid);
    expect(quarantined.status).to.equal(422);

    const unauthorized = await eventually(() => collector.spans.find((span) => span.attributes['ada_webhooks.outcome'] === 'unauthorized'));
    expect(unauthorized).to.deep.include({ name: 'receive', status: { code: statusCodes.error, message: 'unauthorized' } });
    expect(unauthorized.attributes).to.include({ 'error.type': 'no_matching_signature' });
    expect(unauthorized.attributes).not.to.have.property('messaging.message.id');
    const violation = await receiveSpanOf(quarantined.id);
    expect(violation.attributes).to.include({ 'ada_webhooks.outcome': 'quarantined', 'error.type': 'quarantined' });
  });

  it('makes the receive span the root when OTEL_NODE_DISABLED_INSTRUMENTATIONS leaves the HTTP server span out', async () => {
    const receiver = await start({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' });
    const { id } = await deliver(receiver.url, contractExample('ConversationEndedByEndUser'));
    const receive = await receiveSpanOf(id);
    await eventually(() => processSpansOf(id).length === 1);
    expect(receive.parentSpanId).to.equal('');
    expect(collector.spans.filter((span) => span.kind === spanKinds.server)).to.deep.equal([]);
  });

  it('keeps the trace of a delivery that another process handles after a SIGKILL', async () => {
    const crashing = await start({ TRACE_HANG: '1', HANDLER_TIMEOUT_SECONDS: '1' });
    const { id } = await deliver(crashing.url, contractExample('ConversationMessageText'));
    const receive = await receiveSpanOf(id);
    await eventually(() => attemptLines(crashing).length === 1);
    crashing.child.kill('SIGKILL');
    await crashing.exit;

    // The lease, twice the 1 s timeout, runs out; the new process claims the delivery again.
    await start({ DISPATCHER: 'only', HANDLER_TIMEOUT_SECONDS: '1' });
    const [handled] = await eventually(() => processSpansOf(id).length === 1 && processSpansOf(id), 10_000);
    expect(handled).to.deep.include({ traceId: receive.traceId, parentSpanId: receive.spanId });
    expect(handled!.attributes).to.include({ 'ada_webhooks.attempt': 2, 'ada_webhooks.outcome': 'done' });
    expect(handled!.resource['process.pid']).not.to.equal(receive.resource['process.pid']);
  });

  it('starts a new trace for a replay, linked to the trace of the delivery', async () => {
    writeFileSync(failFile(), '');
    const receiver = await start({ HANDLER_MAX_ATTEMPTS: '1' });
    const { id } = await deliver(receiver.url, contractExample('ConversationEndedByEndUser'));
    const receive = await receiveSpanOf(id);
    await eventually(() => processSpansOf(id).some((span) => span.attributes['ada_webhooks.outcome'] === 'dead'));
    rmSync(failFile());

    await run(process.execPath, [scriptPath('replay'), '--id', id], {
      env: childEnvironment({ ...tracingEnvironment(collector), DATABASE_URL: database() }),
    });
    const replay = await eventually(() => collector.spans.find((span) => span.name.startsWith('replay')));
    const handled = await eventually(() => processSpansOf(id).find((span) => span.traceId === replay.traceId));
    expect(replay.traceId).not.to.equal(receive.traceId);
    expect(replay).to.deep.include({
      name: 'replay v1.conversation.ended',
      kind: spanKinds.internal,
      parentSpanId: '',
      links: [{ traceId: receive.traceId, spanId: receive.spanId }],
    });
    expect(replay.attributes).to.include({ 'messaging.message.id': id, 'ada_webhooks.replayed_from': 'dead' });
    expect(handled).to.deep.include({ parentSpanId: replay.spanId, links: [{ traceId: replay.traceId, spanId: replay.spanId }] });
    expect(handled.attributes).to.include({ 'ada_webhooks.attempt': 1, 'ada_webhooks.outcome': 'done' });
  });

  for (const backend of brokerBackends) {
    it(`npm start: hands the trace on to the consumers of ${backend.name}, in a send span whose context the message carries`, async () => {
      const broker = await backend.create();
      try {
        const receiver = await start(broker.env(), mainPath);
        const { id } = await deliver(receiver.url, contractExample('ConversationEndedByEndUser'));
        const receive = await receiveSpanOf(id);
        const [message] = await eventually(async () => {
          const messages = await broker.messages();
          return messages.length === 1 && messages;
        });
        const send = await eventually(() => collector.spans.find((span) => span.kind === spanKinds.producer));
        const [attempt] = await eventually(() => processSpansOf(id).length === 1 && processSpansOf(id));
        expect(send).to.deep.include({ traceId: receive.traceId, parentSpanId: attempt!.spanId });
        expect(send.attributes).to.include({
          'messaging.system.name': backend.name === 'RabbitMQ' ? 'rabbitmq' : 'nats',
          'messaging.message.id': id,
        });
        expect(message!.headers['traceparent']).to.equal(`00-${send.traceId}-${send.spanId}-01`);
      } finally {
        await broker.destroy();
      }
    });
  }

  it('sends nothing, stores no trace and makes no span active when tracing is off', async () => {
    const receiver = await start({ OTEL_TRACES_EXPORTER: 'none' });
    expect(receiver.logs().find((line) => String(line['msg']).startsWith('receiver listening'))).to.include({ tracing: 'off' });
    const { id } = await deliver(receiver.url, contractExample('ConversationEndedByEndUser'));
    await eventually(() => attemptLines(receiver).length === 1);
    expect(attemptLines(receiver)[0]).to.include({ activeSpan: null });
    await eventually(() => {
      const db = new DatabaseSync(database().slice('sqlite:'.length), { readOnly: true });
      const row = db.prepare('SELECT state, trace_context FROM deliveries WHERE id = ?').get(id);
      db.close();
      return row?.['state'] === 'done' && row;
    });
    const db = new DatabaseSync(database().slice('sqlite:'.length), { readOnly: true });
    expect(db.prepare('SELECT trace_context FROM deliveries WHERE id = ?').get(id)).to.deep.equal({ trace_context: null });
    db.close();
    await sleep(200);
    expect(collector.requests).to.equal(0);
  });
});
