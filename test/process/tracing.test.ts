// Traces as an operator gets them: the real service with the OpenTelemetry SDK set up from the
// OTEL_* variables, exporting OTLP/HTTP (http/json) to a small receiver on a loopback port. One
// trace per delivery, from its receipt to every attempt, across a retry, a SIGKILL and a replay;
// forwarded messages carry it on; the trace context of a request decides nothing of it; with
// tracing off nothing is sent and nothing is stored.
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
import { contractExample, deliver, post, signedHeaders, testSecret } from '../support/receiver.ts';

const scenario = new URL('scenarios/traced-handlers.ts', import.meta.url).pathname;
const run = promisify(execFile);

/** The span that a sender's `traceparent` names as the parent of its request. */
const sendersSpan = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
/** Trace context of the sender's choosing, sampled (`01`) or not (`00`), with 3 KB of baggage. */
const sendersTraceContext = (flags: '00' | '01') => ({
  traceparent: `00-${sendersSpan.traceId}-${sendersSpan.spanId}-${flags}`,
  tracestate: 'sender=chosen',
  baggage: Array.from({ length: 64 }, (_, index) => `key${String(index).padStart(2, '0')}=${'v'.repeat(40)}`).join(','),
});

/** A signed delivery of `event` whose request carries `traceContext` beside the signature headers. */
async function deliverWithTraceContext(url: string, event: unknown, traceContext: Record<string, string>) {
  const body = JSON.stringify(event);
  const headers = signedHeaders(body);
  return { ...(await post(url, body, { ...headers, ...traceContext })), id: headers['svix-id']! };
}

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
  /** The state and stored trace context of a delivery, read from the inbox file. */
  const storedRow = (id: string) => {
    const db = new DatabaseSync(database().slice('sqlite:'.length), { readOnly: true });
    try {
      return db.prepare('SELECT state, trace_context FROM deliveries WHERE id = ?').get(id);
    } finally {
      db.close();
    }
  };

  it('gives a delivery one trace: its receive span, the root, and a process span per attempt, a failed one with its error', async () => {
    const receiver = await start();
    const event = contractExample('ConversationCreated');
    const { status, id } = await deliver(receiver.url, event);
    expect(status).to.equal(200);

    const receive = await receiveSpanOf(id);
    await eventually(() => processSpansOf(id).length === 2 && collector.spans.some((span) => span.name === 'user work'));
    const [first, second] = processSpansOf(id) as [ReceivedSpan, ReceivedSpan];

    expect(receive).to.deep.include({ name: 'receive v1.conversation.created', kind: spanKinds.consumer, parentSpanId: '', links: [] });
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
    // Nothing else is traced: no HTTP server span, no probe, no scrape, no other trace.
    await fetch(`${receiver.url}/readyz`);
    await sleep(200);
    expect(new Set(collector.spans.map((span) => span.traceId))).to.deep.equal(new Set([receive.traceId]));
    expect(collector.spans.filter((span) => span.kind === spanKinds.server)).to.deep.equal([]);
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

  it('starts a trace of its own for a request that carries trace context: a link to it, never its trace id, its sampling or its baggage', async () => {
    const receiver = await start();
    const sent = [];
    for (const flags of ['01', '00'] as const) {
      sent.push(await deliverWithTraceContext(receiver.url, contractExample('ConversationEndedByEndUser'), sendersTraceContext(flags)));
    }
    for (const { status, id } of sent) {
      expect(status).to.equal(200);
      // The unsampled one is traced too: the sampler decides, not the sender.
      const receive = await receiveSpanOf(id);
      expect(receive.traceId).not.to.equal(sendersSpan.traceId);
      expect(receive).to.deep.include({ parentSpanId: '', links: [sendersSpan] });
      const [handled] = await eventually(() => processSpansOf(id).length === 1 && processSpansOf(id));
      expect(handled).to.deep.include({ traceId: receive.traceId, parentSpanId: receive.spanId });
      // What is stored is the receive span's context alone: no baggage, no tracestate of the sender's.
      const row = await eventually(() => storedRow(id)?.['state'] === 'done' && storedRow(id));
      expect(JSON.parse(String(row['trace_context']))).to.deep.equal({ traceparent: `00-${receive.traceId}-${receive.spanId}-01` });
    }
  });

  it('exports nothing of a junk 401 at a sampling ratio of 0, whatever its traceparent says', async () => {
    const receiver = await start({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    const junk = await post(receiver.url, '{"type": "v1.junk"}', { 'content-type': 'application/json', ...sendersTraceContext('01') });
    expect(junk.status).to.equal(401);
    const signed = await deliverWithTraceContext(receiver.url, contractExample('ConversationEndedByEndUser'), sendersTraceContext('01'));
    expect(signed.status).to.equal(200);
    await eventually(() => attemptLines(receiver).length === 1);
    // SIGTERM flushes the SDK before the process exits: whatever it would export is sent by then.
    receiver.child.kill('SIGTERM');
    expect(await receiver.exit).to.deep.equal({ code: 0, signal: null });
    expect(collector.spans).to.deep.equal([]);
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
        const { id } = await deliverWithTraceContext(
          receiver.url,
          contractExample('ConversationEndedByEndUser'),
          sendersTraceContext('01'),
        );
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
        // Nothing of the trace context that the request carried: its trace, its tracestate, its baggage.
        expect(send.traceId).not.to.equal(sendersSpan.traceId);
        expect(message!.headers).not.to.have.any.keys('baggage', 'tracestate');
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
    const row = await eventually(() => storedRow(id)?.['state'] === 'done' && storedRow(id));
    expect(row['trace_context']).to.equal(null);
    await sleep(200);
    expect(collector.requests).to.equal(0);
  });
});
