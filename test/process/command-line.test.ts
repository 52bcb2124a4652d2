// The commands as a newcomer meets them: --help, mistakes answered in one line with a pointer to
// --help (exit 2), only the settings each command uses, and no stack trace for ordinary mistakes.
import { expect } from 'chai';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainPath, run, runScript, useTemporaryDirectory } from '../support/process.ts';
import { contractExample, startReceiver, storedDelivery, testSecret, type TestReceiver } from '../support/receiver.ts';

const commands = ['send', 'inbox', 'replay', 'generate', 'bench', 'mock', 'dev'];

describe('the commands', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-command-line-');

  for (const command of commands) {
    it(`npm run ${command} answers --help and -h with its usage`, async () => {
      for (const flag of ['--help', '-h']) {
        const { code, stdout, stderr } = await runScript(command, [flag], temporaryDirectory(), {});
        expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
        expect(stdout).to.match(new RegExp(`^Usage: npm run ${command}`));
      }
    });
  }

  it('answers a wrong argument with the one problem and a pointer to --help, exit 2', async () => {
    const cases: [string, string[], string][] = [
      ['inbox', ['list', '--nope'], 'Unknown option --nope.'],
      ['inbox', ['list', '--json=yes'], 'Option --json takes no value.'],
      ['inbox', ['drop'], 'Unknown command "drop"; the commands are list, show and stats.'],
      ['replay', ['--state'], 'Option --state <value> needs a value.'],
      ['send', ['v1.conversation.created', '--count', 'many'], '--count must be a whole number of at least 1, got "many".'],
      ['bench', ['--large-inbox', 'huge'], '--large-inbox must be a whole number of at least 0, got "huge".'],
    ];
    for (const [script, args, problem] of cases) {
      const { code, stdout, stderr } = await runScript(script, args, temporaryDirectory(), {});
      expect({ code, stdout, stderr }, `${script} ${args.join(' ')}`).to.deep.equal({
        code: 2,
        stdout: '',
        stderr: `${problem}\nSee: npm run ${script} -- --help\n`,
      });
    }
  });

  describe('inbox and replay', () => {
    it('need no signing secret, even in production', async () => {
      const store = await startReceiver();
      try {
        await store.inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg_listed'));
        const env = { NODE_ENV: 'production', ...store.env };
        const listed = await runScript('inbox', ['list'], temporaryDirectory(), env);
        expect(listed.code, listed.stderr).to.equal(0);
        expect(listed.stdout).to.include('msg_listed');
        const replayed = await runScript('replay', ['--id', 'msg_listed'], temporaryDirectory(), env);
        expect(replayed.stdout).to.equal('msg_listed  already pending\nReplayed 0 of 1 matching deliveries.\n');
        expect(replayed.code).to.equal(1);
      } finally {
        await store.close();
      }
    });

    it('refuse an inbox that does not exist, without creating one', async () => {
      const missing = join(temporaryDirectory(), 'nowhere', 'inbox.sqlite');
      for (const [script, args] of [
        ['inbox', ['stats']],
        ['replay', ['--state', 'dead']],
      ] as const) {
        const { code, stdout, stderr } = await runScript(script, [...args], temporaryDirectory(), { DATABASE_URL: `sqlite:${missing}` });
        expect({ code, stdout }).to.deep.equal({ code: 1, stdout: '' });
        expect(stderr).to.equal(
          `No inbox at ${missing}: the receiver creates it when it first starts. Set DATABASE_URL=sqlite:<path> to the inbox's file.\n`,
        );
      }
      expect(existsSync(missing)).to.equal(false);
    });

    it('replay says when nothing matched, and exits 1', async () => {
      const store = await startReceiver();
      try {
        const { env } = store;
        expect(await runScript('replay', ['--id', 'msg_nowhere'], temporaryDirectory(), env)).to.include({
          code: 1,
          stdout: '',
          stderr: 'No delivery with id msg_nowhere.\n',
        });
        expect(await runScript('replay', ['--state', 'dead'], temporaryDirectory(), env)).to.include({
          code: 1,
          stdout: '',
          stderr: 'No dead delivery matched.\n',
        });
      } finally {
        await store.close();
      }
    });
  });

  describe('send', () => {
    let receiver: TestReceiver;
    beforeEach(async () => {
      receiver = await startReceiver();
    });
    afterEach(() => receiver.close());
    const send = (...args: string[]) =>
      runScript('send', [...args, '--url', `${receiver.url}/webhooks/ada`, '--secret', testSecret], temporaryDirectory(), {
        PORT: 'not a port',
      });

    it('needs no PORT with --url, sends any file, picks an example by name, and sums up several deliveries', async () => {
      const file = join(temporaryDirectory(), 'event.txt');
      writeFileSync(file, JSON.stringify(contractExample('EndUserUpdated')));
      const fromFile = await send(file);
      expect(fromFile.code, fromFile.stderr).to.equal(0);
      expect(fromFile.stdout).to.match(/-> 200 \{"status":"accepted"/);

      const link = await send('v1.conversation.message', '--example', 'linkOnNativeChannel');
      const id = /^(msg_\w+) -> 200/.exec(link.stdout)![1]!;
      expect(JSON.parse((await receiver.inbox.get(id))!.body)['data'].content.type).to.equal('link');

      const several = await send('v1.conversation.created', '--count', '3');
      expect(several.stdout.split('\n').at(-2)).to.equal('Sent 3: 3 × 200.');
    });

    it('prints the reasons a delivery was refused', async () => {
      const file = join(temporaryDirectory(), 'invalid.json');
      writeFileSync(file, JSON.stringify({ ...contractExample('ConversationCreated'), timestamp: 'soon' }));
      const refused = await send(file);
      expect(refused.code).to.equal(1);
      expect(refused.stdout).to.include('-> 422').and.include('\n    /timestamp: must match pattern');
    });

    it('answers ordinary mistakes in one line', async () => {
      expect(await send('./nowhere/event.json')).to.include({ code: 1, stdout: '', stderr: 'No file ./nowhere/event.json.\n' });
      const unknown = await send('v1.conversation.rated_twice');
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.match(
        /^"v1\.conversation\.rated_twice" is neither a file nor an event type of the contract: v1\.conversation\.created, .*\.\n$/,
      );
      const example = await send('v1.conversation.message', '--example', 'poem');
      expect(example.stderr).to.match(
        /^The event type v1\.conversation\.message has no example "poem"; its examples: textOnCustomChannel, /,
      );
      const secret = await runScript('send', ['v1.conversation.created', '--secret', 'hunter2'], temporaryDirectory(), {});
      expect(secret.code).to.equal(2);
      expect(secret.stderr).to.match(
        /^--secret must be "whsec_" followed by base64 of at least 24 bytes \(7 characters given, not shown\)/,
      );
      expect(secret.stderr).to.not.include('hunter2');
    });
  });

  it('the receiver names an inbox path that cannot exist in one line', async () => {
    const { code, stdout, stderr } = await run(mainPath, [], temporaryDirectory(), {
      DATABASE_URL: 'sqlite:/etc/hostname/inbox.sqlite',
      LOG_FORMAT: 'json',
    });
    expect(code).to.equal(1);
    const lines = stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    const line = JSON.parse(lines[0]!) as { level: number; msg: string };
    expect(line.level).to.equal(60);
    expect(line.msg).to.match(/^could not open the inbox at \/etc\/hostname\/inbox\.sqlite: E(EXIST|NOTDIR): .*, mkdir '\/etc\/hostname'$/);
    expect(stdout + stderr).to.not.include('    at ');
  });
});
