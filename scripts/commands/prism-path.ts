import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Prism's entry script, to run with this Node: its `#!/usr/bin/env node` line would pick the system's. */
export const prismPath = join(dirname(createRequire(import.meta.url).resolve('@stoplight/prism-cli/package.json')), 'dist', 'index.js');
