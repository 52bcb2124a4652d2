// A NATS server of a test's own, with JetStream storing in files, to kill and restart (a broker
// that crashes and comes back with what it stored), or to pause (a broker that stalls).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accepting } from '../../support/brokers.ts';
import { eventually } from '../../support/eventually.ts';
import { freePort } from '../../support/process.ts';

export interface NatsServer {
  url: string;
  port: number;
  /** SIGKILL; resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store (killing it first if it runs); resolves once it accepts connections. */
  restart(): Promise<void>;
  /** SIGSTOP; resolves once every thread of it has stopped: connections stay open and nothing answers. */
  pause(): Promise<void>;
  /** SIGCONT. */
  resume(): void;
  /** Stops it in order (SIGTERM), paused or not; resolves once it has exited. */
  close(): Promise<void>;
}

export interface NatsServerOptions {
  /** Its JetStream store. */
  dir: string;
  /** JetStream's limit on what it stores in files, as nats-server writes it (`20KB`). */
  maxFileStore?: string;
  /** The one user and password it takes, when given; without, it takes anyone. */
  authorization?: { user: string; password: string };
}

/** Starts /usr/sbin/nats-server on a free loopback port with JetStream; resolves once it accepts connections. */
export async function startNatsServer({ dir, maxFileStore, authorization }: NatsServerOptions): Promise<NatsServer> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir];
  if (authorization) args.push('--user', authorization.user, '--pass', authorization.password);
  if (maxFileStore) {
    // The command line has no flag for it.
    const configFile = join(dir, 'nats-server.conf');
    writeFileSync(configFile, `jetstream { max_file_store: ${maxFileStore} }\n`);
    args.push('-c', configFile);
  }

  let server: ChildProcess;
  let exited: Promise<unknown>;
  const start = async () => {
    server = spawn('/usr/sbin/nats-server', args, { stdio: 'ignore' });
    exited = once(server, 'exit');
    const exitedEarly = exited.then(() => {
      throw new Error(`nats-server exited with ${server.exitCode ?? server.signalCode} before accepting connections on port ${port}`);
    });
    await Promise.race([accepting(port, 10_000), exitedEarly]);
  };
  const running = () => server.exitCode === null && server.signalCode === null;
  const stop = async (signal: NodeJS.Signals) => {
    if (!running()) return;
    server.kill('SIGCONT');
    server.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    kill: () => stop('SIGKILL'),
    async restart() {
      await stop('SIGKILL');
      await start();
    },
    async pause() {
      server.kill('SIGSTOP');
      await eventually(() => everyThreadStopped(server.pid!), 5_000);
    },
    resume: () => void server.kill('SIGCONT'),
    close: () => stop('SIGTERM'),
  };
}

// kill(2) only queues SIGSTOP: a thread running on another core stops a moment later, and may
// answer what arrives in that moment. /proc tells when each thread is stopped (state T).
function everyThreadStopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((thread) => {
    try {
      return readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .startsWith('T');
    } catch {
      return true; // The thread ended since the listing: it answers nothing either.
    }
  });
}
