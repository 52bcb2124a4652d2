// The service, once src/main.js has checked the Node that runs it.
// Node's compile cache (in the system's temporary folder) shortens every start after the first
// (BENCHMARKS.md, "What limits each figure", Start-up); it applies only to modules loaded after
// it is enabled, hence the dynamic imports.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { answerCommandLine } = await import('./service/command-line.ts');
answerCommandLine(process.argv.slice(2));
const [{ runService }, { registerHandlers }] = await Promise.all([import('./service/run.ts'), import('./handlers/index.ts')]);
await runService(registerHandlers);
