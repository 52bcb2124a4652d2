// A real Prism process (mock or validating proxy) on a free loopback port, and the partner mock
// (`npm run mock`: Prism behind its front) as a process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { prismPath } from '../../scripts/commands/prism-path.ts';
import { childEnvironment, freePort, scriptPath } from './process.ts';

export interface PrismProcess {
  url: string;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Runs a Node program that serves on `port`; resolves once it prints a line that `ready` accepts. */
async function startServing(
  args: string[],
  port: number,
  ready: (line: string) => boolean,
  env?: NodeJS.ProcessEnv,
): Promise<PrismProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += `${line}\n`;
      if (ready(line)) resolve();
    });
    void exited.then(() => reject(new Error(`${args.join(' ')} exited before listening:\n${output}`)));
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

/** Starts `prism mock <document>` or `prism proxy <document> <upstream>`; resolves once it listens. */
export async function startPrism(args: string[]): Promise<PrismProcess> {
  const port = await freePort();
  return startServing([prismPath, ...args, '--host', '127.0.0.1', '--port', String(port)], port, (line) =>
    line.includes('Prism is listening'),
  );
}

/** Starts `npm run mock` (scripts/mock.ts) on a free port; resolves once it listens. */
export async function startMock(env: Record<string, string> = {}, args: string[] = []): Promise<PrismProcess> {
  const port = await freePort();
  return startServing(
    [scriptPath('mock'), ...args],
    port,
    (line) => line.startsWith('mock listening on'),
    childEnvironment({ MOCK_PORT: String(port), ...env }),
  );
}
