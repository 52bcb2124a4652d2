// Contract drift as an operator meets it: `npm start` takes deliveries that differ from the
// contract, logs each difference once, counts it in /metrics, and `npm run drift` reports it.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { driftFlushIntervalMs } from '../../src/intake/contract-drift.ts';
import { eventually } from '../support/eventually.ts';
import { copyProject } from '../support/project-copy.ts';
import { childEnvironment, scriptPath, startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, deliver, testSecret } from '../support/receiver.ts';
import { listed, unknownEventType, unlisted } from '../support/contract-values.ts';

const run = promisify(execFile);

describe('contract drift, from npm start to npm run drift', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-drift-');
  let receiver: ReceiverProcess | undefined;
  afterEach(async () => {
    receiver?.child.kill('SIGKILL');
    await receiver?.exit;
  });

  const database = () => `sqlite:${join(temporaryDirectory(), 'inbox.sqlite')}`;
  const drift = async (...args: string[]) =>
    (await run(process.execPath, [scriptPath('drift'), ...args], { env: childEnvironment({ DATABASE_URL: database() }) })).stdout;

  it('names a field the contract does not describe, a value it does not list and an event type it does not know', async () => {
    receiver = await startReceiverProcess(temporaryDirectory(), { ADA_WEBHOOK_SECRET: testSecret, DATABASE_URL: database() });
    const scored = () => {
      const event = contractExample('ConversationCreated');
      event['data'].satisfaction_score = 4;
      return event;
    };
    const whatsapp = contractExample('ConversationMessageText');
    const modality = unlisted(listed('ChannelModality'), 'whatsapp');
    const rated = unknownEventType('v1.conversation.rated');
    whatsapp['data'].channel.modality = modality;
    const answers = [
      await deliver(receiver.url, scored()),
      await deliver(receiver.url, scored()),
      await deliver(receiver.url, whatsapp),
      await deliver(receiver.url, { type: rated, timestamp: '2026-12-01T09:00:00Z', data: { rating: 5 } }),
    ];
    expect(answers.map(({ status }) => status)).to.deep.equal([200, 200, 422, 200]);

    const report = await eventually(async () => {
      const text = await drift();
      return text.includes(rated) && text.includes('2 deliveries') && text;
    });
    expect(report).to.contain('data.satisfaction_score (integer) is not described by the contract: 2 deliveries accepted');
    expect(report).to.contain(`data.channel.modality = "${modality}" is not a value the contract lists: 1 delivery quarantined`);
    expect(report).to.contain(`event type ${rated} is not described by the contract: 1 delivery handled as unknown`);
    expect(report).to.contain(`(e.g. ${answers[0]!.id})`);

    const driftLines = receiver.logs().filter((line) => String(line['msg']).startsWith('contract drift'));
    expect(driftLines.map((line) => line['msg'])).to.deep.equal([
      'contract drift in v1.conversation.created: data.satisfaction_score (integer) is not described by the contract',
      `contract drift in v1.conversation.message: data.channel.modality = "${modality}" is not a value the contract lists`,
      `contract drift in ${rated}: event type ${rated} is not described by the contract`,
    ]);
    expect(driftLines.map((line) => line['level'])).to.deep.equal([40, 40, 40]);

    const metrics = await (await fetch(`${receiver.url}/metrics`)).text();
    expect(metrics).to.contain('ada_webhook_contract_drift_paths{event_type="v1.conversation.created",kind="unknown_field"} 1');
    expect(metrics).to.contain('ada_webhook_contract_drift_paths{event_type="v1.conversation.message",kind="unlisted_value"} 1');
    expect(metrics).to.contain('ada_webhook_contract_drift_paths{event_type="unknown",kind="unknown_event_type"} 1');

    const json = JSON.parse(await drift('--json', '--type', 'v1.conversation.created')) as { path: string; deliveries: number }[];
    expect(json.map(({ path, deliveries }) => ({ path, deliveries }))).to.deep.equal([{ path: 'data.satisfaction_score', deliveries: 2 }]);
    expect(await drift('--since', '2999-01-01T00:00:00Z')).to.equal('No drift: what deliveries showed so far, the contract describes.\n');
  });

  it('records drift after idle time as in the first second: two rounds, each after more than a flush interval of quiet', async () => {
    receiver = await startReceiverProcess(temporaryDirectory(), { ADA_WEBHOOK_SECRET: testSecret, DATABASE_URL: database() });
    const idle = () => sleep(3 * driftFlushIntervalMs);
    const withField = (name: string) => {
      const event = contractExample('ConversationCreated');
      event['data'][name] = 4;
      return event;
    };
    const shows = async (...texts: string[]) =>
      eventually(async () => {
        const report = await drift();
        return texts.every((text) => report.includes(text)) && report;
      }, 10_000);

    await idle();
    expect((await deliver(receiver.url, withField('satisfaction_score'))).status).to.equal(200);
    await shows('data.satisfaction_score (integer) is not described by the contract: 1 delivery accepted');

    await idle();
    expect((await deliver(receiver.url, withField('satisfaction_score'))).status).to.equal(200);
    expect((await deliver(receiver.url, withField('survey_id'))).status).to.equal(200);
    const report = await shows(
      'data.satisfaction_score (integer) is not described by the contract: 2 deliveries accepted',
      'data.survey_id (integer) is not described by the contract: 1 delivery accepted',
    );
    // What the log warned of, the report shows.
    const warned = await eventually(() => {
      const paths = receiver!
        .logs()
        .filter((line) => String(line['msg']).startsWith('contract drift'))
        .map((line) => line['path']);
      return paths.length === 2 && paths;
    });
    expect(warned).to.deep.equal(['data.satisfaction_score', 'data.survey_id']);
    for (const path of warned) expect(report).to.contain(`${String(path)} (integer)`);
  });

  it('keeps an example value of a field only with DRIFT_EXAMPLE_VALUES=true', async () => {
    receiver = await startReceiverProcess(temporaryDirectory(), {
      ADA_WEBHOOK_SECRET: testSecret,
      DATABASE_URL: database(),
      DRIFT_EXAMPLE_VALUES: 'true',
    });
    const event = contractExample('ConversationCreated');
    event['data'].satisfaction_score = 4;
    const { id } = await deliver(receiver.url, event);
    const report = await eventually(async () => {
      const text = await drift();
      return text.includes('satisfaction_score') && text;
    });
    expect(report).to.contain(`(e.g. ${id}: 4)`);
  });

  it('--write refuses an edit that would make an example of the contract invalid, and writes nothing', async () => {
    const project = copyProject(join(temporaryDirectory(), 'project'));
    const contractPath = join(project.root, 'openapi', 'ada-webhooks.yaml');
    // The contract's example already has the field, as text; traffic shows it as a number.
    const contract = readFileSync(contractPath, 'utf8');
    const data = contract.indexOf(
      '\n        data:\n',
      contract.indexOf('\n    ConversationCreated:\n', contract.indexOf('\n  examples:\n')),
    );
    const before = `${contract.slice(0, data)}\n        data:\n          satisfaction_score: 'high'${contract.slice(data + '\n        data:'.length)}`;
    writeFileSync(contractPath, before);
    const inbox = new SqliteInbox(join(temporaryDirectory(), 'inbox.sqlite'));
    const seen = new Date();
    await inbox.recordDrift([
      {
        eventType: 'v1.conversation.created',
        kind: 'unknown_field',
        path: 'data.satisfaction_score',
        detail: 'integer',
        deliveries: 3,
        firstSeenAt: seen,
        lastSeenAt: seen,
        exampleId: 'msg_1',
        exampleValue: null,
      },
    ]);
    await inbox.close();

    const failed = await run(process.execPath, [project.script('drift'), '--write'], {
      cwd: project.root,
      env: childEnvironment({ DATABASE_URL: database() }),
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.contain(
      'The edit would make examples of the contract invalid; nothing was written:\n  conversationCreated: /data/satisfaction_score: must be integer',
    );
    expect(readFileSync(contractPath, 'utf8')).to.equal(before);
  });

  it('refuses a time it cannot read, with the reason', async () => {
    receiver = await startReceiverProcess(temporaryDirectory(), { ADA_WEBHOOK_SECRET: testSecret, DATABASE_URL: database() });
    const failed = await drift('--since', 'yesterday').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).to.equal(2);
    expect(failed?.stderr).to.contain('--since must be a time such as 2026-11-24T09:00:00Z, got "yesterday".');
  });
});
