// "Adding a whole new event" of docs/contract.md on a copy of the project: the event's schema, its
// example and its `webhooks:` entry, then `npm run generate`; the lists the contract repeats follow,
// and the project's own checks (its contract tests, Redocly, the type check of every test) pass
// without editing anything else.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { run, startReceiverProcess, useTemporaryDirectory } from '../support/process.ts';
import { copyProject, type ProjectCopy } from '../support/project-copy.ts';

const schema = `
    ConversationRatedEvent:
      type: object
      description: The end user rated a conversation.
      required: [type, timestamp, data]
      properties:
        type:
          type: string
          enum: [v1.conversation.rated]
        timestamp:
          $ref: '#/components/schemas/AdaTimestamp'
        data:
          type: object
          required: [conversation_id, rating]
          properties:
            conversation_id:
              type: string
            rating:
              type: integer
              minimum: 1
              maximum: 5
`;

const example = `
    ConversationRated:
      summary: A conversation rated 4 of 5
      value:
        type: v1.conversation.rated
        timestamp: '2026-11-24T11:00:00.000Z'
        data:
          conversation_id: 6742f0be9d1c4a0012c3e8a1
          rating: 4
`;

const webhook = `  v1.conversation.rated:
    post:
      operationId: conversationRated
      summary: Conversation rated
      tags: [Webhooks]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/ConversationRatedEvent'
            examples:
              conversationRated:
                $ref: '#/components/examples/ConversationRated'
      responses:
        '200':
          $ref: '#/components/responses/Accepted'
`;

/** The contract with the three parts of a new event, each where its kind lives. */
function withNewEvent(text: string): string {
  const insert = (before: string, part: string) => {
    const at = text.indexOf(before);
    if (at === -1) throw new Error(`the contract has no ${JSON.stringify(before)}`);
    text = text.slice(0, at) + part + text.slice(at);
  };
  insert('\npaths:\n', `\n${webhook.trimEnd()}`);
  insert('\n  examples:\n', schema.trimEnd());
  return `${text.trimEnd()}\n${example}`;
}

describe('adding an event to the contract', function () {
  this.timeout(120_000);
  const temporaryDirectory = useTemporaryDirectory('ada-add-event-');
  let project: ProjectCopy;
  beforeEach(() => {
    project = copyProject(temporaryDirectory(), { withChecks: true });
  });
  const inCopy = (file: string, ...args: string[]) => run(join(project.root, file), args, project.root, {});

  it('takes its schema, its example and its webhooks: entry; generate derives the rest, and no test needs editing', async () => {
    const contractPath = join(project.root, 'openapi', 'ada-webhooks.yaml');
    writeFileSync(contractPath, withNewEvent(readFileSync(contractPath, 'utf8')));

    const stale = await inCopy('scripts/generate.ts', '--check');
    expect(stale.code).to.equal(1);
    expect(stale.stderr).to.match(
      /^Out of step with the contract: the lists of events in openapi\/ada-webhooks\.yaml, derived from its webhooks:, /,
    );

    const generated = await inCopy('scripts/generate.ts');
    expect(generated.code, generated.stderr).to.equal(0);
    expect((await inCopy('scripts/generate.ts', '--check')).code).to.equal(0);

    const contract = load(readFileSync(contractPath, 'utf8')) as any;
    const receiverBody = contract.paths['/webhooks/ada'].post.requestBody.content['application/json'];
    expect(contract.components.schemas.AdaWebhookDelivery.oneOf.slice(-2)).to.deep.equal([
      { $ref: '#/components/schemas/ConversationRatedEvent' },
      { $ref: '#/components/schemas/UnknownEvent' },
    ]);
    expect(contract.components.schemas.UnknownEvent.properties.type.not.enum.at(-1)).to.equal('v1.conversation.rated');
    expect(receiverBody.examples.conversationRated).to.deep.equal({ $ref: '#/components/examples/ConversationRated' });
    expect(Object.keys(receiverBody.examples).at(-1)).to.equal('unknownEvent');

    const node = (bin: string, ...args: string[]) => run(join(project.root, 'node_modules', ...bin.split('/')), args, project.root, {});
    const lint = await node('@redocly/cli/bin/cli.js', 'lint');
    expect(lint.code, lint.stdout + lint.stderr).to.equal(0);
    const typeCheck = await node('typescript/bin/tsc', '-p', project.root);
    expect(typeCheck.code, typeCheck.stdout).to.equal(0);
    const contractTests = await node(
      'mocha/bin/mocha.js',
      '--no-config',
      'test/contract/document.test.ts',
      'test/contract/type-round-trip.test.ts',
    );
    expect(contractTests.code, contractTests.stdout + contractTests.stderr).to.equal(0);
  });

  it('warns at start while generated/ is older than the contract', async () => {
    const contractPath = join(project.root, 'openapi', 'ada-webhooks.yaml');
    writeFileSync(contractPath, withNewEvent(readFileSync(contractPath, 'utf8')));
    const warnings = async () => {
      const receiver = await startReceiverProcess(project.root, {}, project.main);
      receiver.child.kill('SIGTERM');
      await receiver.exit;
      return receiver
        .logs()
        .filter((line) => line['level'] === 40)
        .map((line) => line['msg']);
    };
    expect(await warnings()).to.deep.equal([
      'generated/ was written from another version of openapi/ada-webhooks.yaml: run npm run generate, then type-check (npm run typecheck) and restart; the handlers were checked against the old types',
    ]);
    expect((await inCopy('scripts/generate.ts')).code).to.equal(0);
    expect(await warnings()).to.deep.equal([]);
  });
});
