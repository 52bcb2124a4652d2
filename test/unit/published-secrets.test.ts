// Every signing secret written out in this project (documentation, test vectors, test support) is
// one anyone can sign with: production must refuse each of them, so the list the configuration
// keeps has to know them all.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isPublishedSecret } from '../../src/service/environment.ts';

const root = new URL('../..', import.meta.url).pathname;

describe('published secrets', () => {
  it('are all refused in production', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    const written = new Set<string>();
    for (const file of files.filter((name) => name !== 'package-lock.json')) {
      for (const [secret] of readFileSync(`${root}${file}`, 'utf8').matchAll(/whsec_[A-Za-z0-9+/]+={0,2}/g)) {
        // Only what the configuration would take as a secret: base64 of at least 24 bytes.
        if (Buffer.from(secret.slice('whsec_'.length), 'base64').length >= 24) written.add(secret);
      }
    }
    expect(written.size, 'secrets found in the tree').to.be.greaterThan(0);
    expect([...written].filter((secret) => !isPublishedSecret(secret))).to.deep.equal([]);
  });
});
