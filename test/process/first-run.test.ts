// The README's first run: `npm start` with no configuration, `npm run send` from a second
// terminal, the delivery listed by `npm run inbox`. Real processes in a fresh directory.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, mainPath, run, runScript, startReceiverProcess, useTemporaryDirectory } from '../support/process.ts';

describe('a first run without configuration', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-first-run-');
  let directory: string;
  beforeEach(() => {
    directory = temporaryDirectory();
  });

  it('starts on SQLite with a development secret, takes a signed test event, and lists it', async () => {
    const port = String(await freePort());
    const receiver = await startReceiverProcess(directory, { PORT: port });
    try {
      const secretFile = join(directory, 'data', 'development-secret.txt');
      const secret = readFileSync(secretFile, 'utf8').trim();
      expect(secret).to.match(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(receiver.stderr()).to.include(secret).and.include('npm run send -- v1.conversation.created');
      expect(existsSync(join(directory, 'data', 'inbox.sqlite'))).to.equal(true);

      const sent = await runScript('send.ts', ['v1.conversation.created'], directory, { PORT: port });
      expect(sent.code, sent.stderr).to.equal(0);
      const [, id] = /^(msg_\w+) -> 200 \{"status":"accepted"/.exec(sent.stdout) ?? [];
      expect(id, sent.stdout).to.be.a('string');

      const listed = await runScript('inbox.ts', ['list'], directory, {});
      expect(listed.stdout).to.match(new RegExp(`(pending|done)\\s+v1\\.conversation\\.created\\s+${id}`));
      const shown = await runScript('inbox.ts', ['show', id!, '--json'], directory, {});
      expect(JSON.parse(shown.stdout)).to.deep.include({ id, eventType: 'v1.conversation.created' });
    } finally {
      receiver.child.kill('SIGTERM');
      expect(await receiver.exit).to.deep.equal({ code: 0, signal: null });
    }
  });

  it('keeps the same development secret across restarts', async () => {
    const first = await startReceiverProcess(directory, {});
    first.child.kill('SIGTERM');
    await first.exit;
    const secret = readFileSync(join(directory, 'data', 'development-secret.txt'), 'utf8');
    const second = await startReceiverProcess(directory, {});
    second.child.kill('SIGTERM');
    await second.exit;
    expect(readFileSync(join(directory, 'data', 'development-secret.txt'), 'utf8')).to.equal(secret);
  });

  it('refuses to start in production without a secret', async () => {
    const { code, stderr } = await run(mainPath, [], directory, { NODE_ENV: 'production' });
    expect(code).to.equal(1);
    expect(stderr).to.include('ADA_WEBHOOK_SECRET is required when NODE_ENV=production');
    expect(existsSync(join(directory, 'data'))).to.equal(false);
  });

  it('names a bad variable and exits 1', async () => {
    const { code, stderr } = await run(mainPath, [], directory, { PORT: 'eighty' });
    expect(code).to.equal(1);
    expect(stderr).to.include('PORT must be a whole number from 0 to 65535, got "eighty". Example: PORT=3000');
  });
});
