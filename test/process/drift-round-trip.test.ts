// "Ada changed something", end to end on a copy of the project: the receiver takes a delivery
// with a field the contract does not describe, quarantines one with a value it does not list, and
// takes an event type it does not know as unknown; `npm run drift -- --write` edits the contract;
// `npm run generate` gives the field a type that a handler compiles against; the restarted
// receiver takes the value and knows the event type; a replay of the quarantined delivery ends done. Real processes, the real generator and compiler.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { diffChars } from 'diff';
import ts from 'typescript';
import { eventually } from '../support/eventually.ts';
import { childEnvironment, startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { copyProject, type ProjectCopy } from '../support/project-copy.ts';
import { contractExample, deliver, testSecret } from '../support/receiver.ts';
import { listed, unlisted } from '../support/contract-values.ts';
import { knownEventNames } from '../../src/contract/events.ts';

const run = promisify(execFile);

const handlerSource = `import type { EventPayloadMap } from '../contract/events.ts';
export const score = (event: EventPayloadMap['v1.conversation.created']): number | undefined => event.data.satisfaction_score;
`;

/** The compiler's messages for one handler of the copy, with the project's options. */
function typeCheck(project: ProjectCopy, file: string): string[] {
  const { config } = ts.readConfigFile(join(project.root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson({ ...config.compilerOptions, types: [] }, project.root);
  const program = ts.createProgram([file], options);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe('contract drift, round trip on a copy of the project', function () {
  this.timeout(90_000);
  const temporaryDirectory = useTemporaryDirectory('ada-drift-trip-');
  const receivers: ReceiverProcess[] = [];
  afterEach(async () => {
    for (const { child, exit } of receivers.splice(0)) {
      child.kill('SIGKILL');
      await exit;
    }
  });

  it('observes, writes the contract, generates, type-checks a handler of the new field, and replays what was quarantined', async () => {
    const project = copyProject(temporaryDirectory());
    const env = { ADA_WEBHOOK_SECRET: testSecret, DATABASE_URL: `sqlite:${join(project.root, 'inbox.sqlite')}` };
    const command = (name: string, ...args: string[]) =>
      run(process.execPath, [project.script(name), ...args], { cwd: project.root, env: childEnvironment(env) });
    const start = async () => {
      const receiver = await startReceiverProcess(project.root, env, project.main);
      receivers.push(receiver);
      return receiver;
    };

    const first = await start();
    const scored = contractExample('ConversationCreated');
    scored['data'].satisfaction_score = 4;
    const whatsapp = contractExample('ConversationMessageText');
    const modalities = listed('ChannelModality');
    const modality = unlisted(modalities, 'whatsapp');
    whatsapp['data'].channel.modality = modality;
    expect((await deliver(first.url, scored)).status).to.equal(200);
    const quarantined = await deliver(first.url, whatsapp);
    expect(quarantined.status).to.equal(422);
    // Not the documentation's example of a new event (v1.conversation.rated), which a reader may have added.
    expect(knownEventNames).to.not.include('v1.conversation.reopened');
    const reopened = { type: 'v1.conversation.reopened', timestamp: '2026-12-01T09:00:00Z', data: { conversation_id: 'c-1', rating: 5 } };
    expect((await deliver(first.url, reopened)).status).to.equal(200);
    first.child.kill('SIGTERM');
    await first.exit;

    const handler = join(project.root, 'src', 'handlers', 'satisfaction.ts');
    writeFileSync(handler, handlerSource);
    expect(typeCheck(project, handler).join('\n')).to.match(/Property 'satisfaction_score' does not exist/);

    const contractPath = join(project.root, 'openapi', 'ada-webhooks.yaml');
    const before = readFileSync(contractPath, 'utf8');
    const { stdout } = await command('drift', '--write');
    const after = readFileSync(contractPath, 'utf8');
    expect(stdout)
      .to.contain('+        satisfaction_score:')
      .and.to.contain('Wrote 3 of the 3 recorded differences into openapi/ada-webhooks.yaml.');
    // Only insertions: every comment and every line of the document stays as it was.
    expect(diffChars(before, after).filter((part) => part.removed)).to.deep.equal([]);
    const property = [
      '        satisfaction_score:',
      '          type: integer',
      `          description: Seen in deliveries since ${new Date().toISOString().slice(0, 10)}, and not described by Ada yet.`,
      '',
    ].join('\n');
    expect(after).to.contain(property);
    expect(after).to.contain(`enum: [${[...modalities, modality].join(', ')}]`);
    // The new event: its drafted schema and example, in the three lists that name events.
    expect(after).to.contain('    ConversationReopenedEvent:\n      type: object\n');
    expect(after).to.contain(
      "        - $ref: '#/components/schemas/ConversationReopenedEvent'\n        - $ref: '#/components/schemas/UnknownEvent'",
    );
    expect(after).to.contain('              - v1.conversation.reopened\n');
    expect(after).to.contain('  v1.conversation.reopened:\n    post:\n      operationId: conversationReopened\n');
    expect(after).to.contain('          conversation_id: example\n          rating: 5\n');

    await command('generate');
    expect(readFileSync(join(project.root, 'generated', 'ada-webhooks.ts'), 'utf8')).to.contain('satisfaction_score?: number');
    expect(readFileSync(join(project.root, 'generated', 'event-names.ts'), 'utf8')).to.contain('"v1.conversation.reopened"');
    await command('generate', '--check');
    const { stdout: report } = await command('drift');
    expect(report).to.equal(
      'No drift: what deliveries showed so far, the contract describes.\n\n3 seen earlier are described by the contract now.\n',
    );
    // npm run typecheck in the copy: its sources, its scripts and the new handler.
    await run(process.execPath, [join(project.root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project.root], {
      cwd: project.root,
    });

    const restarted = await start();
    await command('replay', '--state', 'quarantined');
    await eventually(async () => {
      const { stdout: shown } = await command('inbox', 'show', quarantined.id, '--json');
      return (JSON.parse(shown) as { state: string }).state === 'done';
    }, 10_000);
    expect((await deliver(restarted.url, whatsapp)).status).to.equal(200);
    const known = await deliver(restarted.url, reopened);
    await eventually(() => restarted.logs().some((line) => line['deliveryId'] === known.id && line['msg'] === 'delivery'));
    expect(restarted.logs().find((line) => line['deliveryId'] === known.id && line['msg'] === 'delivery')).to.include({
      eventType: 'v1.conversation.reopened',
      outcome: 'accepted',
    });
  });
});
