// Builds the package that users install: compiled JavaScript and declarations of the library
// (src/index.ts, src/verify.ts and what they import) into dist/, beside copies of the contract and
// of the inbox's migrations (SQL files) at the same place relative to the code as in this
// project, where the code finds them. Node strips
// types only outside node_modules, so the package cannot ship the .ts sources alone.
//   npm run build (and on npm pack, as prepack)
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));
const dist = `${project}dist`;
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', `${project}scripts/tsconfig.build.json`], {
  stdio: 'inherit',
});
cpSync(`${project}openapi/ada-webhooks.yaml`, `${dist}/openapi/ada-webhooks.yaml`);
for (const backend of ['sqlite', 'postgres']) {
  cpSync(`${project}src/inbox/${backend}/migrations`, `${dist}/src/inbox/${backend}/migrations`, { recursive: true });
}
