// A contract that cannot be used, as someone editing it meets it: `npm start` and
// `npm run generate` say that the contract is invalid, where (the file, and a line and column or a
// JSON pointer) and why, exit 1 without a stack, and neither open an inbox nor write generated/.
// Real processes, in a copy of the project.
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, useTemporaryDirectory } from '../support/process.ts';
import { copyProject, type ProjectCopy } from '../support/project-copy.ts';

const endedData = `        data:
          $ref: '#/components/schemas/ConversationEndedData'
`;
const endedChannel = `        channel_id:
          type: string
          description: The channel (an id here, unlike the message event's channel object).`;

const mistakes = [
  {
    what: 'a misspelt type',
    edit: (yaml: string) => yaml.replace(endedChannel, endedChannel.replace('type: string', 'type: strin')),
    says: [
      'openapi/ada-webhooks.yaml#/components/schemas/ConversationEndedData/properties/channel_id/type: ' +
        'must be one of: array, boolean, integer, null, number, object, string, got "strin"',
    ],
  },
  {
    what: 'a misspelt $ref',
    edit: (yaml: string) => yaml.replace(endedData, endedData.replace('ConversationEndedData', 'ConversationEndData')),
    says: [
      'openapi/ada-webhooks.yaml#/components/schemas/ConversationEndedEvent/properties/data/$ref: ' +
        '$ref "#/components/schemas/ConversationEndData" points at nothing: #/components/schemas has no "ConversationEndData"; ' +
        'did you mean #/components/schemas/ConversationEndedData?',
    ],
  },
  {
    what: 'a misspelt keyword',
    edit: (yaml: string) => yaml.replace('      required: [type, timestamp, data]\n', '      requird: [type, timestamp, data]\n'),
    says: ['is not a keyword of JSON Schema or OpenAPI; did you mean required?'],
  },
  {
    what: 'a pattern that is not a regular expression',
    edit: (yaml: string) =>
      yaml.replace(
        '      items:\n        type: string\n\n    Metadata:',
        "      items:\n        type: string\n        pattern: 'a{2,1}'\n\n    Metadata:",
      ),
    says: [
      'openapi/ada-webhooks.yaml#/components/schemas/Tags/items/pattern: is not a regular expression that the validator compiles ' +
        '(with the u flag): Invalid regular expression: /a{2,1}/u: numbers out of order in {} quantifier',
    ],
  },
];

describe('an invalid contract', function () {
  this.timeout(60_000);
  const temporaryDirectory = useTemporaryDirectory('ada-contract-');
  let project: ProjectCopy;
  const contractPath = () => join(project.root, 'openapi', 'ada-webhooks.yaml');
  const editContract = (edit: (yaml: string) => string) => {
    const before = readFileSync(contractPath(), 'utf8');
    const after = edit(before);
    expect(after, 'the edit applies').to.not.equal(before);
    writeFileSync(contractPath(), after);
  };
  const generated = () => readFileSync(join(project.root, 'generated', 'ada-webhooks.ts'), 'utf8');
  beforeEach(() => {
    project = copyProject(temporaryDirectory());
  });

  for (const { what, edit, says } of mistakes) {
    it(`with ${what}: the receiver names the place and the reason before opening its inbox, and generate refuses it`, async () => {
      editContract(edit);
      const started = await run(project.main, [], project.root, {});
      expect(started.code, started.stdout).to.equal(1);
      for (const line of says) expect(started.stderr).to.include(line);
      expect(`${started.stdout}${started.stderr}`).to.not.include('inbox');
      expect(started.stderr).to.not.match(/^\s+at /m);
      expect(existsSync(join(project.root, 'data')), 'data/ created').to.equal(false);

      const before = generated();
      for (const args of [[], ['--check']]) {
        const generate = await run(project.script('generate'), args, project.root, {});
        expect(generate.code, `generate ${args.join(' ')}`).to.equal(1);
        for (const line of says) expect(generate.stderr).to.include(line);
        expect(generate.stderr).to.not.match(/^\s+at /m);
      }
      expect(generated()).to.equal(before);
    });
  }

  it('without the operation the receiver serves: the receiver says so, not that its inbox failed, and opens none', async () => {
    editContract((yaml) => yaml.replace('operationId: receiveAdaWebhook', 'operationId: receiveWebhook'));
    const started = await run(project.main, [], project.root, {});
    expect(started.code, started.stderr).to.equal(1);
    const output = `${started.stdout}${started.stderr}`;
    expect(output).to.include('could not start the receiver: The contract has no operation receiveAdaWebhook, which the receiver serves');
    expect(output).to.not.include('inbox');
    expect(existsSync(join(project.root, 'data', 'inbox.sqlite')), 'inbox created').to.equal(false);
  });

  it('with malformed YAML: one line with the file, the line and the column, from the receiver and from generate', async () => {
    editContract((yaml) =>
      yaml.replace(
        '    ConversationEndedEvent:\n      type: object\n',
        '    ConversationEndedEvent:\n      type: object\n     oops: true\n',
      ),
    );
    const line = readFileSync(contractPath(), 'utf8').split('\n').indexOf('     oops: true') + 1;
    for (const [command, args] of [
      [project.main, []],
      [project.script('generate'), []],
      [project.script('generate'), ['--check']],
    ] as const) {
      const { code, stderr } = await run(command, [...args], project.root, {});
      expect(code, command).to.equal(1);
      expect(stderr).to.match(new RegExp(`^openapi/ada-webhooks\\.yaml:${line}:\\d+: the contract is not valid YAML: [^\\n]+\\n$`));
    }
  });
});
