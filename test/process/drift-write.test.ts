// `npm run drift -- --write` on what a sender may send, on a copy of the project: field names
// longer than the receiver keeps, event types whose drafted names the contract uses already (or
// that another drafted event takes), beside drift it can write. What it cannot write is skipped with
// the reason, the rest is written, and `npm run generate` takes the result.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { eventually } from '../support/eventually.ts';
import { childEnvironment, startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { copyProject } from '../support/project-copy.ts';
import { contractExample, deliver, testSecret } from '../support/receiver.ts';

const run = promisify(execFile);

/** Every operationId of a contract, in document order. */
function operationIds(text: string): string[] {
  const contract = load(text) as Record<'paths' | 'webhooks', Record<string, Record<string, { operationId?: string }>>>;
  return [...Object.values(contract.paths), ...Object.values(contract.webhooks)].flatMap((item) =>
    Object.values(item).flatMap(({ operationId }) => (operationId ? [operationId] : [])),
  );
}

describe('contract drift, --write on what a sender may send', function () {
  this.timeout(90_000);
  const temporaryDirectory = useTemporaryDirectory('ada-drift-write-');
  let receiver: ReceiverProcess | undefined;
  afterEach(async () => {
    receiver?.child.kill('SIGKILL');
    await receiver?.exit;
  });

  it('skips a field name it cannot write with the reason, suffixes drafted names the contract or another draft has, and writes the rest', async () => {
    const project = copyProject(temporaryDirectory());
    const database = join(project.root, 'inbox.sqlite');
    const env = { ADA_WEBHOOK_SECRET: testSecret, DATABASE_URL: `sqlite:${database}` };
    const command = (name: string, ...args: string[]) =>
      run(process.execPath, [project.script(name), ...args], { cwd: project.root, env: childEnvironment(env) });

    receiver = await startReceiverProcess(project.root, env, project.main);
    const created = (field: string) => {
      const event = contractExample('ConversationCreated');
      event['data'][field] = 4;
      return event;
    };
    // An event type of Ada's form, drafted under the names that `type` gives.
    const unknown = (type: string) => ({ type, timestamp: '2026-12-01T09:00:00Z', data: { conversation_id: 'c-1', score: 5 } });
    const traffic = [
      created('x'.repeat(5000)),
      created('satisfaction_score'),
      // ConversationMessageText is an example of the contract.
      unknown('v1.conversation.message.text'),
      // receiveAdaWebhook and getHealth are operations of the contract.
      unknown('v1.receive.ada.webhook'),
      unknown('v1.get.health'),
      // Both are ConversationMessageRated.
      unknown('v1.conversation.message_rated'),
      unknown('v1.conversation_message.rated'),
    ];
    for (const event of traffic) expect((await deliver(receiver.url, event)).status).to.equal(200);
    receiver.child.kill('SIGTERM');
    await receiver.exit;
    receiver = undefined;

    // What an earlier version of the receiver kept whole.
    const inbox = new SqliteInbox(database);
    await eventually(async () => (await inbox.drift()).length === traffic.length);
    const seen = new Date();
    await inbox.recordDrift([
      {
        eventType: 'v1.conversation.created',
        kind: 'unknown_field',
        path: `data.${'z'.repeat(5000)}`,
        detail: 'integer',
        deliveries: 1,
        firstSeenAt: seen,
        lastSeenAt: seen,
        exampleId: 'msg_before_the_bound',
        exampleValue: null,
      },
    ]);
    await inbox.close();

    const contractPath = join(project.root, 'openapi', 'ada-webhooks.yaml');
    const { stdout } = await command('drift', '--write');
    const reason = 'the receiver keeps at most 256 bytes of a path, and this one may be longer: add it by hand if it is real.';
    const notWritten = stdout.split('\n').filter((line) => line.startsWith('Not written'));
    expect(notWritten.sort()).to.deep.equal(
      ['x', 'z'].map(
        (letter) =>
          `Not written: v1.conversation.created data.${letter.repeat(248)}… (integer) is not described by the contract: ${reason}`,
      ),
    );
    expect(stdout).to.contain('Wrote 6 of the 8 recorded differences into openapi/ada-webhooks.yaml (2 not written, listed above).');

    const after = readFileSync(contractPath, 'utf8');
    expect(after).to.contain('        satisfaction_score:\n          type: integer\n');
    expect(after).to.contain('    ConversationMessageTextEvent:\n').and.to.contain('    ConversationMessageText2:\n');
    expect(after).to.contain(
      "            schema:\n              $ref: '#/components/schemas/ConversationMessageTextEvent'\n" +
        "            examples:\n              conversationMessageText:\n                $ref: '#/components/examples/ConversationMessageText2'\n",
    );
    expect(after).to.contain('    ConversationMessageRatedEvent:\n').and.to.contain('    ConversationMessageRatedEvent2:\n');
    expect(after).to.contain('    ConversationMessageRated:\n').and.to.contain('    ConversationMessageRated2:\n');
    const ids = operationIds(after);
    expect(ids).to.include.members(['receiveAdaWebhook', 'receiveAdaWebhook2', 'getHealth', 'getHealth2', 'conversationMessageRated2']);
    expect(new Set(ids).size).to.equal(ids.length);

    await command('generate');
    await command('generate', '--check');
    const types = readFileSync(join(project.root, 'generated', 'event-names.ts'), 'utf8');
    for (const { type } of traffic.slice(2)) expect(types).to.contain(`"${String(type)}"`);
    const { stdout: report } = await command('drift');
    expect(report).to.contain('6 seen earlier are described by the contract now.');
  });

  it('names a field with a dot or a line break in its name unambiguously, writes it where it was sent, and skips what an older receiver kept ambiguously', async () => {
    const project = copyProject(temporaryDirectory());
    const database = join(project.root, 'inbox.sqlite');
    const env = { ADA_WEBHOOK_SECRET: testSecret, DATABASE_URL: `sqlite:${database}` };
    const command = (name: string, ...args: string[]) =>
      run(process.execPath, [project.script(name), ...args], { cwd: project.root, env: childEnvironment(env) });
    const ended = (satisfaction: number) => {
      const event = contractExample('ConversationEndedBySystem');
      event['data']['ended_by.satisfaction'] = satisfaction;
      event['data']['line\nbreak'] = true;
      return event;
    };
    const driftLines = (logs: Record<string, unknown>[]) =>
      logs.flatMap(({ msg }) => (String(msg).startsWith('contract drift') ? [String(msg)] : []));

    receiver = await startReceiverProcess(project.root, env, project.main);
    const first = await deliver(receiver.url, ended(5));
    expect(first.status).to.equal(200);
    const warned = [
      'contract drift in v1.conversation.ended: data["ended_by.satisfaction"] (integer) is not described by the contract',
      String.raw`contract drift in v1.conversation.ended: data["line\nbreak"] (boolean) is not described by the contract`,
    ];
    await eventually(() => driftLines(receiver!.logs()).length === warned.length);
    expect(driftLines(receiver.logs())).to.deep.equal(warned);
    receiver.child.kill('SIGTERM');
    await receiver.exit;
    receiver = undefined;

    // What an older receiver kept of the same delivery: the name with a dot as two names, and a
    // name that is not plain after a dot.
    const inbox = new SqliteInbox(database);
    await eventually(async () => (await inbox.drift()).length === 2);
    const older = { eventType: 'v1.conversation.ended', kind: 'unknown_field', detail: 'integer', deliveries: 1 } as const;
    const seen = (await inbox.drift())[0]!.firstSeenAt;
    const times = { firstSeenAt: seen, lastSeenAt: seen, exampleId: first.id, exampleValue: null };
    await inbox.recordDrift([
      { ...older, path: 'data.ended_by.satisfaction', ...times },
      { ...older, path: 'data.ended-by', ...times },
    ]);
    await inbox.close();

    const { stdout: report } = await command('drift');
    expect(report).to.contain('\n  data["ended_by.satisfaction"] (integer) is not described by the contract: 1 delivery accepted');
    expect(report).to.contain(String.raw`  data["line\nbreak"] (boolean) is not described by the contract: 1 delivery accepted`);
    expect(report).to.not.contain('line\nbreak');

    const contractPath = join(project.root, 'openapi', 'ada-webhooks.yaml');
    const endedBy = (text: string) => text.slice(text.indexOf('    EndedBy:\n'), text.indexOf('    # ---', text.indexOf('    EndedBy:\n')));
    const before = readFileSync(contractPath, 'utf8');
    const { stdout } = await command('drift', '--write');
    expect(
      stdout
        .split('\n')
        .filter((line) => line.startsWith('Not written'))
        .sort(),
    ).to.deep.equal([
      'Not written: v1.conversation.ended data.ended-by (integer) is not described by the contract: its path is not in the form the receiver writes now (an older one kept it): add it by hand if it is real.',
      `Not written: v1.conversation.ended data.ended_by.satisfaction (integer) is not described by the contract: its example delivery ${first.id} has nothing at this path (an older receiver kept a name with a dot as two): add it by hand if it is real.`,
    ]);
    expect(stdout).to.contain('Wrote 2 of the 4 recorded differences into openapi/ada-webhooks.yaml (2 not written, listed above).');
    const after = readFileSync(contractPath, 'utf8');
    expect(endedBy(after)).to.equal(endedBy(before));
    expect(after).to.contain(
      "          $ref: '#/components/schemas/AiAgentDomain'\n" +
        '        ended_by.satisfaction:\n          type: integer\n' +
        `          description: Seen in deliveries since ${seen.toISOString().slice(0, 10)}, and not described by Ada yet.\n` +
        '        "line\\nbreak":\n          type: boolean\n',
    );

    await command('generate');
    await command('generate', '--check');
    expect(readFileSync(join(project.root, 'generated', 'ada-webhooks.ts'), 'utf8')).to.contain('"ended_by.satisfaction"?: number;');

    // The receiver of the written contract: the fields are described.
    receiver = await startReceiverProcess(project.root, env, project.main);
    const again = await deliver(receiver.url, ended(4));
    expect(again.status).to.equal(200);
    await eventually(() => receiver!.logs().some((line) => line['deliveryId'] === again.id && line['msg'] === 'delivery'));
    expect(driftLines(receiver.logs())).to.deep.equal([]);
    const { stdout: afterwards } = await command('drift');
    expect(afterwards).to.contain('2 seen earlier are described by the contract now.');
    expect(afterwards).to.contain('data.ended_by.satisfaction (integer)').and.to.contain('data.ended-by (integer)');
  });
});
