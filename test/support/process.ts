// Runs the project's own entry points as real processes, as an operator would.
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const mainPath = new URL('../../src/main.js', import.meta.url).pathname;
const projectRoot = new URL('../..', import.meta.url).pathname;

/** The file that `npm run <command>` runs, in this project or a copy of it at `root`. */
export function scriptPath(command: string, root = projectRoot): string {
  const { scripts } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const file = /^node (\S+\.[jt]s)\b/.exec(scripts[command] ?? '')?.[1];
  if (!file) throw new Error(`npm run ${command} does not run a file with node`);
  return join(root, file);
}

/** The environment of a child: this one's, without settings that would leak into the test. */
export function childEnvironment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...overrides };
  for (const name of ['NODE_ENV', 'ADA_WEBHOOK_SECRET', 'DATABASE_URL', 'DATABASE_SCHEMA', 'PORT']) {
    if (!(name in overrides)) delete env[name];
  }
  for (const name of Object.keys(env)) if (/^(FORWARD|OTEL)_/.test(name) && !(name in overrides)) delete env[name];
  return env;
}

export { freePort } from '../../scripts/commands/free-port.ts';

export interface ReceiverProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  /** Every log line written to standard output so far, parsed. */
  logs: () => Record<string, unknown>[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node src/main.js` (or another entry point) and resolves once it logs that it listens. */
export async function startReceiverProcess(cwd: string, env: Record<string, string>, entry = mainPath): Promise<ReceiverProcess> {
  const child = spawn(process.execPath, [entry], { cwd, env: childEnvironment({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));

  const logs: Record<string, unknown>[] = [];
  const lines = createInterface({ input: child.stdout });
  const listening = new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (String(entry['msg']).startsWith('receiver listening')) resolve(entry['port'] as number);
    });
    void exit.then(({ code }) => reject(new Error(`the receiver exited with ${code} before listening:\n${stderr}`)));
  });
  const port = await listening;
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => stderr, logs: () => logs, exit };
}

/** Runs a Node program to completion; resolves with its exit code and output. */
export const run = (path: string, args: string[], cwd: string, env: Record<string, string>) =>
  completed(spawn(process.execPath, [path, ...args], { cwd, env: childEnvironment(env) }));

/** Runs `npm <args>` of this project from `cwd` (npm finds the project through --prefix), as a person types it. */
export const npm = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  completed(spawn('npm', ['--prefix', projectRoot, ...args], { cwd, env: childEnvironment(env) }));

async function completed(child: ChildProcessWithoutNullStreams) {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

export const runScript = (command: string, args: string[], cwd: string, env: Record<string, string>) =>
  run(scriptPath(command), args, cwd, env);

/** A fresh directory for each test of the calling suite, removed afterwards. */
export function useTemporaryDirectory(prefix: string): () => string {
  let directory = '';
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));
  return () => directory;
}
