// Node.js of other versions than the one the project pins, for tests that run the package or the
// service on them: the npm package `node` of that version, installed into a directory of the test.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The oldest Node that the package claims to run on: package.json's `engines`, as `22.13.0`. */
export function oldestSupportedNode(): string {
  const { engines } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
  const match = /^>=(\d+)\.(\d+)(?:\.(\d+))?$/.exec(engines.node);
  if (!match) throw new Error(`package.json's engines.node is ${engines.node}; the tests read it as >=MAJOR.MINOR`);
  return `${match[1]}.${match[2]}.${match[3] ?? 0}`;
}

/** Installs Node.js `version` (an exact version, or a range such as `20`) into `directory`; its executable. */
export function installNode(version: string, directory: string): string {
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ name: 'node-install', private: true }));
  execFileSync('npm', ['install', `node@${version}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: directory,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return join(directory, 'node_modules', '.bin', 'node');
}
