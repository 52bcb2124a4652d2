// The production install of the README and docs/production.md on a fresh clone:
// `npm ci --omit=dev`; `node src/main.js` on an older Node says what to install; then `npm start`
// with NODE_ENV=production on a machine whose Node is 24 (here, this project's own Node 24 first on
// PATH: the install leaves out the pinned `node` package, a development dependency).
import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from '../support/eventually.ts';
import { installNode, oldestSupportedNode } from '../support/node-versions.ts';
import { useTemporaryDirectory } from '../support/process.ts';
import { contractExample, deliver } from '../support/receiver.ts';

const projectRoot = new URL('../..', import.meta.url).pathname;
const secret = `whsec_${Buffer.alloc(32, 11).toString('base64')}`;

describe('a production install', function () {
  this.timeout(180_000);
  const temporaryDirectory = useTemporaryDirectory('ada-production-');

  it('npm ci --omit=dev on a fresh clone, then npm start in production, takes a delivery; the commands work too', async () => {
    const clone = join(temporaryDirectory(), 'ada-webhooks');
    execFileSync('git', ['clone', '--quiet', projectRoot, clone]);
    // The machine's Node is Node 24; npm runs on it too.
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH']}`, NODE_ENV: 'production' };
    for (const name of ['ADA_WEBHOOK_SECRET', 'DATABASE_URL', 'DATABASE_SCHEMA', 'PORT']) delete env[name];
    execFileSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: clone, env });
    for (const development of ['node', 'mocha', '@stoplight/prism-cli', 'typescript', '@opentelemetry/sdk-node']) {
      expect(existsSync(join(clone, 'node_modules', development)), development).to.equal(false);
    }
    const kilobytes = Number(execFileSync('du', ['-sk', join(clone, 'node_modules')], { encoding: 'utf8' }).split('\t')[0]);
    console.log(`      node_modules after npm ci --omit=dev: ${Math.round(kilobytes / 1024)} MB`);

    // A machine whose Node is older than 24 (the oldest the package supports, 24 being the service's).
    const older = installNode(oldestSupportedNode(), join(temporaryDirectory(), 'older-node'));
    const refused = spawnSync(older, ['src/main.js'], { cwd: clone, env, encoding: 'utf8' });
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.match(
      new RegExp(
        `^ada-webhooks needs Node\\.js 24, and this is Node\\.js v${oldestSupportedNode().replaceAll('.', '\\.')} \\(.+\\): install Node\\.js 24 LTS, [^\\n]+\\n$`,
      ),
    );

    const started = spawn('npm', ['start', '--silent'], {
      cwd: clone,
      env: { ...env, ADA_WEBHOOK_SECRET: secret, PORT: '0', HOST: '127.0.0.1' },
      detached: true,
    });
    const logs: Record<string, unknown>[] = [];
    createInterface({ input: started.stdout }).on('line', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    let stderr = '';
    started.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(started, 'exit');
    try {
      const listening = await eventually(
        () => logs.find((line) => String(line['msg']).startsWith('receiver listening')) ?? stderr.includes('Error'),
        30_000,
      );
      expect(listening, stderr).to.be.an('object');
      const url = `http://127.0.0.1:${(listening as Record<string, unknown>)['port']}`;
      const { status, id } = await deliver(url, contractExample('ConversationCreated'), { secret });
      expect(status).to.equal(200);
      await eventually(() => logs.some((line) => line['deliveryId'] === id && line['outcome'] === 'done'), 10_000);

      const stats = execFileSync('npm', ['run', '--silent', 'inbox', '--', 'stats', '--json'], { cwd: clone, env, encoding: 'utf8' });
      expect(JSON.parse(stats)).to.deep.include({ done: 1 });
      expect(execFileSync('npm', ['start', '--silent', '--', '--version'], { cwd: clone, env, encoding: 'utf8' })).to.match(
        /^ada-webhooks \d/,
      );
    } finally {
      process.kill(-started.pid!, 'SIGTERM');
      await exited;
    }
  });

  it('the systemd unit in docs/ passes systemd-analyze verify', function () {
    const verify = spawnSync('systemd-analyze', ['verify', join(projectRoot, 'docs', 'ada-webhooks.service')], { encoding: 'utf8' });
    if (verify.error) {
      console.warn('    (skipped: this machine has no systemd-analyze)');
      this.skip();
    }
    expect(verify.status, verify.stderr).to.equal(0);
  });
});
