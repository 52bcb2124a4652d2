// A real Prism process (mock or validating proxy) on a free loopback port.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './process.ts';

const prismPackage = createRequire(import.meta.url).resolve('@stoplight/prism-cli/package.json');
/** Prism's entry script, run with this Node: its `#!/usr/bin/env node` line would pick the system's. */
export const prismPath = join(dirname(prismPackage), 'dist', 'index.js');

export interface PrismProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts `prism mock <document>` or `prism proxy <document> <upstream>`; resolves once it listens. */
export async function startPrism(args: string[]): Promise<PrismProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [prismPath, ...args, '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      if (line.includes('Prism is listening')) resolve();
    });
    void exited.then(() => reject(new Error(`Prism exited before listening:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
