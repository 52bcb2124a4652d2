// A copy of the project, as a user's fresh clone would be: sources, contract, scripts, tests (the
// soak's command runs test/soak/) and configuration, with node_modules linked. Processes run from it keep their data/ in it, not in
// this checkout, and a test may change its files.
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { scriptPath } from './process.ts';

const root = new URL('../..', import.meta.url).pathname;
const copied = ['src', 'scripts', 'test', 'openapi', 'generated', 'package.json', 'tsconfig.json'];
/** What the project's own checks read besides: the test runner's and the linters' settings. */
const checks = ['.mocharc.json', 'redocly.yaml', '.redocly.lint-ignore.yaml'];

export interface ProjectCopy {
  root: string;
  main: string;
  /** The file that `npm run <command>` runs in the copy. */
  script(command: string): string;
}

/** `withChecks`: the test runner's and the linters' settings too, to run the project's own checks in the copy. */
export function copyProject(directory: string, { withChecks = false } = {}): ProjectCopy {
  for (const entry of [...copied, ...(withChecks ? checks : [])]) cpSync(join(root, entry), join(directory, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(directory, 'node_modules'));
  return { root: directory, main: join(directory, 'src', 'main.js'), script: (command) => scriptPath(command, directory) };
}
