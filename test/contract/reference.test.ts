// `npm run docs` builds the partners' HTML reference from the contract with Redocly.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { knownEventNames } from '../../src/contract/events.ts';
import { run, useTemporaryDirectory } from '../support/process.ts';

const redoclyPath = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

describe('the HTML reference', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-reference-');

  it('is built offline and names every event', async () => {
    const output = join(temporaryDirectory(), 'reference.html');
    const scripts = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts as Record<string, string>;
    // The same arguments as `npm run docs`, with another output file.
    const args = scripts['docs']!.replace(/^redocly /, '')
      .replace('build/reference.html', output)
      .match(/'[^']*'|\S+/g)!;
    const projectRoot = new URL('../..', import.meta.url).pathname;
    const { code, stderr } = await run(
      redoclyPath,
      args.map((arg) => arg.replace(/^'|'$/g, '')),
      projectRoot,
      {},
    );
    expect(code, stderr).to.equal(0);

    const html = readFileSync(output, 'utf8');
    expect(html).to.include('<title>Ada webhooks: contract reference</title>');
    expect(html, 'the scripts are inlined, so the page works without the network').to.not.match(/<script[^>]+src="https?:/);
    for (const name of knownEventNames) expect(html).to.include(name);
  });
});
