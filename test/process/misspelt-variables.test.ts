// A variable that looks like one of the service's but is not, as an operator types it: the
// receiver names it with the closest real name; it warns outside production and refuses to start
// in production. Real processes, in a copy of the project.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, startReceiverProcess, useTemporaryDirectory } from '../support/process.ts';
import { copyProject, type ProjectCopy } from '../support/project-copy.ts';

const secret = `whsec_${Buffer.alloc(32, 12).toString('base64')}`;
const misspelt: [name: string, value: string, meant: string][] = [
  ['ADA_WEBHOOK_SECRETS', secret, 'ADA_WEBHOOK_SECRET'],
  ['INSPECTER_TOKEN', 'an-inspector-token-of-at-least-32-characters', 'INSPECTOR_TOKEN'],
  ['PORTT', '4150', 'PORT'],
  ['DATABSE_URL', 'postgres://ada@127.0.0.1:5432/test', 'DATABASE_URL'],
];

describe('a misspelt variable', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-misspelt-');
  let project: ProjectCopy;
  beforeEach(() => {
    project = copyProject(temporaryDirectory());
  });

  it('is named with the closest real name in a warning outside production, and the receiver starts on the defaults', async () => {
    const receiver = await startReceiverProcess(
      project.root,
      Object.fromEntries(misspelt.map(([name, value]) => [name, value])),
      project.main,
    );
    try {
      const warnings = receiver.logs().filter((line) => line['level'] === 40);
      expect(warnings.map((line) => line['msg'])).to.deep.equal(
        misspelt.map(([name, , meant]) => `${name} is not a variable of ada-webhooks (ignored); did you mean ${meant}?`),
      );
      const listening = receiver.logs().find((line) => String(line['msg']).startsWith('receiver listening'));
      expect(listening).to.include({ secrets: 'development', inspector: 'off', inbox: join(project.root, 'data', 'inbox.sqlite') });
    } finally {
      receiver.child.kill('SIGTERM');
      await receiver.exit;
    }
  });

  for (const [name, value, meant] of misspelt) {
    it(`${name} stops the start in production, naming ${meant}, before anything is created`, async () => {
      const { code, stdout, stderr } = await run(project.main, [], project.root, {
        NODE_ENV: 'production',
        ...(name !== 'ADA_WEBHOOK_SECRETS' && { ADA_WEBHOOK_SECRET: secret }),
        [name]: value,
      });
      expect(code, stdout).to.equal(1);
      expect(stderr).to.include(
        `  - ${name} is not a variable of ada-webhooks (refused when NODE_ENV=production, where a misspelt setting must not leave the default in place); did you mean ${meant}?`,
      );
      expect(existsSync(join(project.root, 'data')), 'data/ created').to.equal(false);
    });
  }
});
