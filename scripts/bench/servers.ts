// The processes the benchmark measures, each on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../commands/free-port.ts';

export const benchSecret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
const root = new URL('../..', import.meta.url).pathname;

export interface Server {
  url: string;
  child: ChildProcess;
  /** CPU time the process has used so far, all its threads, in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

function cpuSecondsOf(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces; utime and
  // stime are the 14th and 15th fields of the whole line.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * Starts `script` (from the project's root, or an absolute path) with this Node and resolves once
 * it answers HTTP; its output is dropped, as a log shipper would read it, or appended to the file
 * `output` names. `cpu`: pinned to that core, every thread of it (taskset execs the program: the
 * pid is the server's).
 */
export async function startServer(
  script: string,
  env: Record<string, string> = {},
  { cpu, output }: { cpu?: number; output?: string } = {},
): Promise<Server> {
  const port = await freePort();
  const command = [process.execPath, resolve(root, script)];
  const [program, ...args] = cpu === undefined ? command : ['taskset', '-c', String(cpu), ...command];
  const log = output === undefined ? undefined : openSync(output, 'a');
  const child = spawn(program!, args, {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ADA_WEBHOOK_SECRET: benchSecret, ...env },
    stdio: ['ignore', log ?? 'ignore', log ?? 'inherit'],
  });
  if (log !== undefined) closeSync(log);
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  while (
    !(await fetch(url).then(
      () => true,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || performance.now() - started > 30_000) throw new Error(`${script} did not start`);
    await sleep(5);
  }
  return {
    url,
    child,
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The service exactly as `npm start` runs it: `src/main.js` with its defaults, LOG_LEVEL=info included. */
export const startService = (databaseUrl: string, env: Record<string, string> = {}, options: { cpu?: number; output?: string } = {}) =>
  startServer('src/main.js', { DATABASE_URL: databaseUrl, ...env }, options);

/** The receiver as users run it: `src/main.ts` with its defaults (dispatcher on, the shipped handlers) and LOG_LEVEL=warn. */
export const startReceiver = (databaseUrl: string, env: Record<string, string> = {}, options: { cpu?: number } = {}) =>
  startServer('src/main.ts', { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...env }, options);
