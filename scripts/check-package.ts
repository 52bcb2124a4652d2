// Packs the package once, as `npm publish` would (prepack builds it), and checks the tarball:
// publint for the package.json and its files, Are the Types Wrong for what TypeScript resolves.
//   npm run check-package (part of npm test)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(project, 'node_modules', '.bin', name);
const destination = mkdtempSync(join(tmpdir(), 'ada-package-'));
try {
  const [{ filename }] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
      cwd: project,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as [{ filename: string }];
  const tarball = join(destination, filename);
  execFileSync(bin('publint'), ['run', tarball, '--strict'], { stdio: 'inherit' });
  // ESM only: CommonJS callers import() it. The contract's YAML is a file, not a module.
  execFileSync(bin('attw'), [tarball, '--profile', 'esm-only', '--exclude-entrypoints', './openapi/ada-webhooks.yaml'], {
    stdio: 'inherit',
  });
} finally {
  rmSync(destination, { recursive: true, force: true });
}
