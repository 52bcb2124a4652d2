// A real Prism process (mock or validating proxy) on a free loopback port, and the partner mock
// (`npm run mock`: Prism behind its front) as a process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { childEnvironment, freePort, scriptPath } from './process.ts';

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
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
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

/** Starts `npm run mock` (scripts/mock.ts) on a free port; resolves once it listens. */
export async function startMock(env: Record<string, string> = {}): Promise<PrismProcess & { output(): string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [scriptPath('mock.ts')], {
    env: childEnvironment({ MOCK_PORT: String(port), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += `${line}\n`;
      if (line.startsWith('mock listening on')) resolve();
    });
    void exited.then(() => reject(new Error(`the mock exited before listening:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
