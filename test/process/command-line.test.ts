// The commands as a newcomer meets them: --help, mistakes answered in one line with a pointer to
// --help (exit 2), only the settings each command uses, and no stack trace for ordinary mistakes.
import { expect } from 'chai';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadContract } from '../../src/contract/document.ts';
import { packageVersion } from '../../src/service/project.ts';
import { listed, unlisted } from '../support/contract-values.ts';
import { variableMeanings } from '../../src/service/variables.ts';
import { mainPath, npm, run, runScript, useTemporaryDirectory } from '../support/process.ts';
import { contractExample, startReceiver, storedDelivery, testSecret, type TestReceiver } from '../support/receiver.ts';

const commands = ['send', 'inbox', 'replay', 'drift', 'generate', 'bench', 'mock', 'dev', 'soak'];

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

  it('every command, npm start included, answers --version with the version of ada-webhooks', async () => {
    const version = `ada-webhooks ${packageVersion()}\n`;
    expect(version).to.match(/^ada-webhooks \d+\.\d+\.\d+/);
    for (const command of commands) {
      expect(await runScript(command, ['--version'], temporaryDirectory(), {}), command).to.include({ code: 0, stdout: version });
    }
    expect(await run(mainPath, ['--version'], temporaryDirectory(), {})).to.include({ code: 0, stdout: version });
  });

  it('npm start -- --help lists every variable of the service with its meaning, and points to the reference', async () => {
    const { code, stdout, stderr } = await npm(['start', '--silent', '--', '--help'], temporaryDirectory());
    expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
    expect(stdout).to.match(/^Usage: npm start/);
    for (const [name, meaning] of Object.entries(variableMeanings)) expect(stdout).to.include(`  ${name} `).and.include(`  ${meaning}\n`);
    expect(stdout).to.include('docs/reference.md');
  });

  it('the service refuses an argument it does not take in one line, exit 2, without starting', async () => {
    for (const [args, problem] of [
      [['--prot', '4000'], 'Unknown option --prot.'],
      [['4000'], 'Unexpected argument 4000.'],
      [['--help=yes'], 'Option -h, --help takes no value.'],
    ] as const) {
      expect(await run(mainPath, [...args], temporaryDirectory(), {}), args.join(' ')).to.deep.equal({
        code: 2,
        stdout: '',
        stderr: `${problem} The service takes --help and --version; its settings are environment variables (npm start -- --help).\n`,
      });
    }
    const viaNpm = await npm(['start', '--silent', '--', '--prot'], temporaryDirectory());
    expect(viaNpm.code).to.equal(2);
    expect(viaNpm.stderr).to.match(/^Unknown option --prot\. .*\n/);
  });

  it('answers a wrong argument with the one problem and a pointer to --help, exit 2', async () => {
    const cases: [string, string[], string][] = [
      ['inbox', ['list', '--nope'], 'Unknown option --nope.'],
      ['inbox', ['list', '--json=yes'], 'Option --json takes no value.'],
      ['inbox', ['drop'], 'Unknown command "drop"; the commands are list, show, stats, tail, purge, erase, rewrap-keys.'],
      [
        'inbox',
        ['eras'],
        'Unknown command "eras"; did you mean erase? The commands are list, show, stats, tail, purge, erase, rewrap-keys.',
      ],
      ['inbox', ['stats', '--yes'], '--yes goes with purge or erase, not with stats.'],
      ['inbox', ['erase', '--yes'], 'Give --end-user with the id of the end user whose data to erase (data.end_user_id in their events).'],
      ['inbox', ['erase', '--end-user=', '--yes'], '--end-user must be the id of an end user, got "".'],
      ['inbox', ['erase', '--end-usr', 'ana'], 'Unknown option --end-usr; did you mean --end-user?'],
      ['inbox', ['erase', '--end-user', 'ana', '--state', 'dead'], '--state goes with list or purge, not with erase.'],
      ['inbox', ['erase', 'ana'], 'Unexpected argument "ana".'],
      [
        'inbox',
        ['purge', '--older-than', '2 weeks'],
        '--older-than must be a duration of at least 1 second, a whole number with a unit: s, m, h or d (days), got "2 weeks". Example: --older-than 30d',
      ],
      ['inbox', ['purge'], 'Give --older-than, such as --older-than 30d: purge never deletes recent deliveries by default.'],
      [
        'inbox',
        ['list', '--since', 'yesterday'],
        '--since must be a time such as 2026-11-24T09:00:00Z or a duration ago such as 12h, got "yesterday".',
      ],
      ['replay', ['--state', 'done', '--secret', testSecret], '--secret and --rate go with --to.'],
      [
        'replay',
        ['--to', 'http://localhost:1/webhooks/ada', '--state', 'done'],
        'Give --secret, the whsec_ secret of the receiver at --to.',
      ],
      [
        'send',
        ['v1.conversation.created', '--set', 'data'],
        '--set takes a dotted path and a value, such as --set data.ended_by.role=system or --set data.ended_by.id=null, got "data".',
      ],
      [
        'send',
        ['v1.conversation.ended', '--set', 'data.ended_by.rol=system'],
        '--set data.ended_by.rol: the example has no data.ended_by.rol; did you mean data.ended_by.role? ' +
          'To add a field it does not have, use --add data.ended_by.rol=...',
      ],
      [
        'send',
        ['v1.conversation.ended', '--set', 'data.rating=5'],
        '--set data.rating: the example has no data.rating. To add a field it does not have, use --add data.rating=...',
      ],
      [
        'send',
        ['v1.conversation.created', '--set', 'type.name=x'],
        '--set type.name: type is "v1.conversation.created", which has no fields.',
      ],
      ['replay', ['--state'], 'Option --state <value> needs a value.'],
      ['send', ['v1.conversation.created', '--count', 'many'], '--count must be a whole number of at least 1, got "many".'],
      ['bench', ['--large-inbox', 'huge'], '--large-inbox must be a whole number of at least 0, got "huge".'],
      ['soak', ['--backend', 'mysql'], '--backend must be one of sqlite, postgres, got "mysql".'],
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
      const id = /^(msg_\w+) -> 200/m.exec(link.stdout)![1]!;
      expect(JSON.parse((await receiver.inbox.get(id))!.body)['data'].content.type).to.equal('link');

      const several = await send('v1.conversation.created', '--count', '3');
      expect(several.stdout.split('\n').at(-2)).to.equal('Sent 3: 3 × 200.');
    });

    it('takes a relative file path from where `npm run send` was typed, not from the project', async () => {
      const typedIn = temporaryDirectory();
      writeFileSync(join(typedIn, 'event.json'), JSON.stringify(contractExample('ConversationCreated')));
      const sent = await npm(
        ['run', '--silent', 'send', '--', 'event.json', '--url', `${receiver.url}/webhooks/ada`, '--secret', testSecret],
        typedIn,
      );
      expect(sent.code, sent.stderr).to.equal(0);
      expect(sent.stdout).to.match(/^msg_\w+ -> 200 \{"status":"accepted"/m);
      const missing = await npm(['run', '--silent', 'send', '--', 'nowhere/event.json'], typedIn);
      expect(missing).to.include({ code: 1, stdout: '', stderr: `No file ${join(typedIn, 'nowhere', 'event.json')}.\n` });
    });

    it('prints the reasons a delivery was refused', async () => {
      const file = join(temporaryDirectory(), 'invalid.json');
      writeFileSync(file, JSON.stringify({ ...contractExample('ConversationCreated'), timestamp: 'soon' }));
      const refused = await send(file);
      expect(refused.code).to.equal(1);
      expect(refused.stdout).to.include('-> 422').and.include('\n    /timestamp: must match pattern');
    });

    it('--set replaces fields of the example and --add adds fields, checked against the contract unless --invalid', async () => {
      const set = await send(
        'v1.conversation.ended',
        '--set',
        'data.ended_by.role=system',
        '--set',
        'data.ended_by.id=null',
        '--add',
        'data.rating=5',
        '--add',
        'data.survey.score=4',
      );
      expect(set.code, set.stderr).to.equal(0);
      const id = /^(msg_\w+) -> 200/m.exec(set.stdout)![1]!;
      const sent = JSON.parse((await receiver.inbox.get(id))!.body);
      expect(sent.data).to.deep.include({ ended_by: { id: null, role: 'system' }, rating: 5, survey: { score: 4 } });

      const robot = unlisted(listed('EndedBy', 'role'), 'robot');
      const refused = await send('v1.conversation.ended', '--set', `data.ended_by.role=${robot}`);
      expect(refused).to.include({ code: 1, stdout: '' });
      expect(refused.stderr).to.match(
        /^The v1\.conversation\.ended to send violates the contract:\n {2}\/data\/ended_by\/role: must be one of: /,
      );
      expect(refused.stderr).to.include('add --invalid to send it anyway');
      expect(await receiver.inbox.countByState()).to.deep.include({ quarantined: 0 });

      const invalid = await send('v1.conversation.ended', '--set', `data.ended_by.role=${robot}`, '--invalid');
      expect(invalid.code).to.equal(1);
      expect(invalid.stdout).to.include('-> 422').and.include('\n    /data/ended_by/role: must be one of: ');
      expect(await receiver.inbox.countByState()).to.deep.include({ quarantined: 1 });
    });

    it('answers ordinary mistakes in one line', async () => {
      expect(await send('./nowhere/event.json')).to.include({
        code: 1,
        stdout: '',
        stderr: `No file ${join(temporaryDirectory(), 'nowhere', 'event.json')}.\n`,
      });
      const types = Object.keys(loadContract().webhooks).join(', ');
      const misspelt = await send('v1.conversation.endd');
      expect(misspelt).to.include({
        code: 1,
        stdout: '',
        stderr: `"v1.conversation.endd" is neither a file nor an event type of the contract; did you mean v1.conversation.ended? The event types: ${types}.\n`,
      });
      const unknown = await send('v1.nothing.like_it');
      expect(unknown).to.include({
        code: 1,
        stderr: `"v1.nothing.like_it" is neither a file nor an event type of the contract. The event types: ${types}.\n`,
      });
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
