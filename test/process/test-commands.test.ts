// The project's own test commands. `npm test` on a machine without Chromium: the browser tests
// are skipped with one loud line that says how to install it, unless in CI (CI=true), where a
// missing browser fails the run (the browser suite itself, run by mocha as a real process, with
// CHROMIUM_PATH naming no browser). `npm run test:fast`: the quick suites, on SQLite alone.
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { childEnvironment } from '../support/process.ts';

const project = new URL('../..', import.meta.url).pathname;

async function runBrowserSuite(env: Record<string, string>) {
  const mocha = join(project, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const child = spawn(process.execPath, [mocha, '--no-config', join(project, 'test', 'inspector', 'browser.test.ts')], {
    cwd: project,
    env: childEnvironment({ CHROMIUM_PATH: '/nonexistent/chromium', ...env }),
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('the browser tests without a browser', function () {
  this.timeout(60_000);

  it('are skipped outside CI, with one line that says how to install Chromium', async () => {
    const { code, output } = await runBrowserSuite({ CI: '' });
    expect(code, output).to.equal(0);
    const skipped = output.split('\n').filter((line) => line.includes('SKIPPED'));
    expect(skipped).to.deep.equal([
      "    SKIPPED the browser tests: no Chromium at /nonexistent/chromium: install Debian's package (apt-get install -y chromium), as .ci/run does.",
    ]);
    expect(output)
      .to.match(/\b0 passing\b/)
      .and.match(/\b\d+ pending\b/);
  });

  it('fail in CI', async () => {
    const { code, output } = await runBrowserSuite({ CI: 'true' });
    expect(code, output).to.not.equal(0);
    expect(output).to.include('The browser tests need Chromium, and CI runs them: no Chromium at /nonexistent/chromium');
  });
});

describe('npm run test:fast', function () {
  this.timeout(60_000);

  it('runs the unit, conformance and integration suites, on SQLite alone', () => {
    const listed = execFileSync('npm', ['run', '--silent', 'test:fast', '--', '--dry-run'], {
      cwd: project,
      env: childEnvironment({}),
      encoding: 'utf8',
    });
    for (const suite of ['configuration', "the inbox's rules on SQLite", 'the dispatcher (SQLite)'])
      expect(listed).to.include(`\n  ${suite}\n`);
    expect(listed).to.not.include('(PostgreSQL)');
    expect(listed).to.not.include('the inspector in a browser');
  });
});
