// The README's first run: `npm start` with no configuration, `npm run send` from a second
// terminal, the delivery listed by `npm run inbox`. Real processes, in a copy of the project.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../support/eventually.ts';
import { freePort, run, startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { copyProject, type ProjectCopy } from '../support/project-copy.ts';
import { testSecret } from '../support/receiver.ts';
import { secretFingerprint } from '../../src/intake/signature.ts';

/** The line that says where the receiver listens (the retention's line may come before it). */
const listeningLine = (receiver: ReceiverProcess) => receiver.logs().find((line) => String(line['msg']).startsWith('receiver listening'));

describe('a first run without configuration', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-first-run-');
  let project: ProjectCopy;
  beforeEach(() => {
    project = copyProject(temporaryDirectory());
  });

  it('starts on SQLite with a development secret, says where it listens, takes a signed test event, and lists it', async () => {
    const port = String(await freePort());
    const receiver = await startReceiverProcess(project.root, { PORT: port }, project.main);
    try {
      const secretFile = join(project.root, 'data', 'development-secret.txt');
      const secret = readFileSync(secretFile, 'utf8').trim();
      expect(secret).to.match(/^whsec_[A-Za-z0-9+/]{32}$/);
      await eventually(() => receiver.stderr().includes('npm run send -- v1.conversation.created'));
      expect(receiver.stderr())
        .to.include(secret)
        .and.include(`(fingerprint ${secretFingerprint(secret)})`);
      const inboxFile = join(project.root, 'data', 'inbox.sqlite');
      expect(existsSync(inboxFile)).to.equal(true);
      expect(listeningLine(receiver)).to.include({
        msg: `receiver listening on http://127.0.0.1:${port}/webhooks/ada; inspector off`,
        inbox: inboxFile,
        secrets: 'development',
        inspector: 'off',
      });
      // What retention will do to the inbox, and how to keep every delivery instead.
      const retention = await eventually(() => receiver.logs().find((line) => String(line['msg']).startsWith('retention: ')));
      expect(retention['msg']).to.match(
        /^retention: done deliveries received more than 30 days ago are purged \(0 now, received before \S+Z\); set INBOX_RETENTION=forever to keep every delivery$/,
      );

      const sent = await run(project.script('send'), ['v1.conversation.created'], project.root, { PORT: port });
      expect(sent.code, sent.stderr).to.equal(0);
      expect(sent.stdout.split('\n')[0]).to.equal(
        `Signed with the secret of fingerprint ${secretFingerprint(secret)} (the development secret, data/development-secret.txt).`,
      );
      expect(sent.stdout).to.not.include(secret);
      const [, id] = /^(msg_\w+) -> 200 \{"status":"accepted"/m.exec(sent.stdout) ?? [];
      expect(id, sent.stdout).to.be.a('string');

      const listed = await run(project.script('inbox'), ['list'], project.root, {});
      expect(listed.stdout).to.match(/^RECEIVED\s+STATE\s+EVENT TYPE\s+ATTEMPTS\s+NEXT ATTEMPT\s+ID\s+LAST ERROR\n/);
      expect(listed.stdout).to.match(new RegExp(`(pending|done)\\s+v1\\.conversation\\.created\\s+[01]\\s+-\\s+${id}`));
      const shown = await run(project.script('inbox'), ['show', id!, '--json'], project.root, {});
      expect(JSON.parse(shown.stdout)).to.deep.include({ id, eventType: 'v1.conversation.created' });
    } finally {
      receiver.child.kill('SIGTERM');
      expect(await receiver.exit).to.deep.equal({ code: 0, signal: null });
    }
  });

  it('prints a send command that reaches this receiver, on its port and path, and says where the inspector is', async () => {
    const port = String(await freePort());
    const inspectorToken = 'an-inspector-token-of-at-least-32-characters';
    const receiver = await startReceiverProcess(
      project.root,
      { PORT: port, WEBHOOK_PATH: '/hooks/ada', INSPECTOR_TOKEN: inspectorToken },
      project.main,
    );
    try {
      expect(listeningLine(receiver)).to.include({
        msg: `receiver listening on http://127.0.0.1:${port}/hooks/ada; inspector on http://127.0.0.1:${port}/inspector`,
        inspector: `http://127.0.0.1:${port}/inspector`,
      });
      const hint = await eventually(() => /from another terminal: {2}npm run send -- (.+)$/m.exec(receiver.stderr())?.[1]);
      expect(hint).to.equal(`v1.conversation.created --url http://127.0.0.1:${port}/hooks/ada`);
      // Typed as printed, in a terminal whose environment sets neither PORT nor WEBHOOK_PATH.
      const sent = await run(project.script('send'), hint.split(' '), project.root, {});
      expect(sent.code, sent.stderr).to.equal(0);
      expect(sent.stdout).to.match(/^msg_\w+ -> 200 \{"status":"accepted"/m);
    } finally {
      receiver.child.kill('SIGTERM');
      await receiver.exit;
    }
  });

  it('uses the inbox and secret of the project when started from another folder, as a process manager does', async () => {
    const first = await startReceiverProcess(project.root, {}, project.main);
    first.child.kill('SIGTERM');
    await first.exit;
    const secret = readFileSync(join(project.root, 'data', 'development-secret.txt'), 'utf8');

    const fromRoot = await startReceiverProcess('/', {}, project.main);
    fromRoot.child.kill('SIGTERM');
    await fromRoot.exit;
    expect(readFileSync(join(project.root, 'data', 'development-secret.txt'), 'utf8')).to.equal(secret);
    expect(listeningLine(fromRoot)).to.include({ inbox: join(project.root, 'data', 'inbox.sqlite') });
    expect(existsSync('/data/inbox.sqlite')).to.equal(false);

    const listed = await run(project.script('inbox'), ['stats'], '/', {});
    expect(listed.code, listed.stderr).to.equal(0);
  });

  it('says why a delivery was refused outside production, and only there, and npm run send prints it', async () => {
    const wrongSecret = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
    const production = { NODE_ENV: 'production', ADA_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 3).toString('base64')}` };
    for (const env of [{}, production]) {
      const receiver = await startReceiverProcess(project.root, env, project.main);
      try {
        const sent = await run(
          project.script('send'),
          ['v1.conversation.created', '--url', `${receiver.url}/webhooks/ada`, '--secret', wrongSecret],
          project.root,
          {},
        );
        expect(sent.code).to.equal(1);
        const [signedWith, answer, reason] = sent.stdout.split('\n');
        expect(signedWith).to.equal(`Signed with the secret of fingerprint ${secretFingerprint(wrongSecret)} (--secret).`);
        expect(answer).to.match(/^msg_\w+ -> 401 \{"type":"about:blank","title":"Unauthorized","status":401/);
        if (env === production) expect(reason).to.equal('');
        else expect(reason).to.match(/^ {4}No signature matches the body with the receiver's secrets \(fingerprints [0-9a-f]{8}\)\. /);
      } finally {
        receiver.child.kill('SIGTERM');
        await receiver.exit;
      }
    }
  });

  it('refuses to start in production without a secret, however blank, and never falls back to the development secret', async () => {
    for (const blank of [undefined, '   ', ' , ']) {
      const env: Record<string, string> = { NODE_ENV: 'production', ...(blank !== undefined && { ADA_WEBHOOK_SECRET: blank }) };
      const { code, stdout, stderr } = await run(project.main, [], project.root, env);
      expect(code, `ADA_WEBHOOK_SECRET=${JSON.stringify(blank)}`).to.equal(1);
      expect(stderr).to.match(/ADA_WEBHOOK_SECRET (is required when NODE_ENV=production|lists no secret)/);
      expect(`${stdout}${stderr}`).to.not.include('development secret');
      expect(existsSync(join(project.root, 'data'))).to.equal(false);
    }
  });

  it('refuses in production a secret that the project publishes', async () => {
    const { code, stderr } = await run(project.main, [], project.root, { NODE_ENV: 'production', ADA_WEBHOOK_SECRET: testSecret });
    expect(code).to.equal(1);
    expect(stderr).to.include('is an example secret published with ada-webhooks');
  });

  it('in production, refuses a SQLite path whose directory does not exist, and creates nothing', async () => {
    const typo = join(project.root, 'dta', 'inbox.sqlite');
    const { code, stdout, stderr } = await run(project.main, [], project.root, {
      NODE_ENV: 'production',
      ADA_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 3).toString('base64')}`,
      DATABASE_URL: `sqlite:${typo}`,
    });
    expect(code).to.equal(1);
    expect(`${stdout}${stderr}`).to.include(`${join(project.root, 'dta')} does not exist`);
    expect(existsSync(join(project.root, 'dta'))).to.equal(false);
  });

  it('names a bad variable and exits 1', async () => {
    const { code, stderr } = await run(project.main, [], project.root, { PORT: 'eighty' });
    expect(code).to.equal(1);
    expect(stderr).to.include('PORT must be a whole number from 0 to 65535, got "eighty". Example: PORT=3000');
  });
});
