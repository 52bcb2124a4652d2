// The system a soak runs: the receiver as users run it (one process on SQLite, two replicas
// behind a round-robin front on PostgreSQL), its inbox encrypted under a key drawn from the seed, a broker of the run's own reached through
// a TCP proxy, and a loopback OTLP stand-in that takes its traces. Everything is the run's own
// (a temporary directory, a database, a stream or an exchange and queue, ephemeral ports) and
// is removed by `close`.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDatabaseSettings } from '../../src/service/environment.ts';
import { openInbox, sealedWhenKeyed } from '../../src/inbox/open.ts';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { rabbitPort } from '../support/brokers.ts';
import { startOtlpReceiver, tracingEnvironment, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { temporaryDatabase } from '../support/postgres.ts';
import { freePort, startReceiverProcess, type ReceiverProcess } from '../support/process.ts';
import { testSecret } from '../support/receiver.ts';
import { mountSmallDisk, type SmallDisk } from './faults/full-disk.ts';
import { startNatsServer, type NatsServer } from './faults/nats-server.ts';
import { startTcpProxy, type TcpProxy } from './faults/tcp-proxy.ts';
import { startRoundRobinFront, type RoundRobinFront } from './front.ts';
import type { SoakOptions } from './options.ts';
import { poisonMarker } from './plan.ts';
import { jetStreamOfTheRun, rabbitMqOfTheRun, type SoakBroker } from './broker.ts';

const cutOnPoison = { cutWhenSent: Buffer.from(poisonMarker) };
const serviceEntry = new URL('service.ts', import.meta.url).pathname;

/** Settings that make a handler's timeout, retries and polls fit a run of minutes. */
const dispatchSettings = {
  HANDLER_TIMEOUT_SECONDS: '1',
  HANDLER_MAX_ATTEMPTS: '4',
  HANDLER_RETRY_BASE_MS: '200',
  DISPATCHER_POLL_MS: '200',
};

/** One process of the receiver: its port stays across restarts, so that the front and the traffic find it again. */
export class ReceiverSlot {
  readonly port: number;
  readonly #env: Record<string, string>;
  #process: ReceiverProcess | undefined;
  /** Resident memory of each process it ran, sampled: pid, then megabytes. */
  readonly memory = new Map<number, number[]>();
  /** The pids of the processes it killed. */
  readonly killed: number[] = [];

  constructor(port: number, env: Record<string, string>) {
    this.port = port;
    this.#env = env;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process?.child.pid;
  }

  async start(): Promise<void> {
    this.#process = await startReceiverProcess(process.cwd(), { ...this.#env, PORT: String(this.port) }, serviceEntry);
  }

  async kill(): Promise<void> {
    const running = this.#process;
    if (!running) return;
    this.#process = undefined;
    this.killed.push(running.child.pid!);
    running.child.kill('SIGKILL');
    await running.exit;
  }

  /** Stops it as an operator would; resolves with its exit code. */
  async stop(): Promise<number | null> {
    const running = this.#process;
    if (!running) return null;
    this.#process = undefined;
    running.child.kill('SIGTERM');
    return (await running.exit).code;
  }

  sampleMemory(): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      const megabytes = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
      this.memory.set(pid, [...(this.memory.get(pid) ?? []), megabytes]);
    } catch {
      // Between a kill and the restart.
    }
  }

  stderr(): string {
    return this.#process?.stderr() ?? '';
  }
}

export interface SoakSystem {
  /** Where traffic goes: the receiver, or the front of the replicas. */
  url: string;
  receivers: ReceiverSlot[];
  /** The inbox, opened apart from the receivers with their key, as an operator's command would. */
  inbox: Inbox;
  /** The same inbox as stored, encrypted: what the database holds. */
  atRest: Inbox;
  /** Where the handlers' record lies: a file per process. */
  recordDirectory: string;
  broker: SoakBroker | undefined;
  brokerProxy: TcpProxy | undefined;
  /** The run's own NATS server, killed and restarted by a fault. */
  nats: NatsServer | undefined;
  /** The run's PostgreSQL database, whose connections a fault terminates. */
  database: { url: string; name: string } | undefined;
  /** Where the SQLite inbox lies, when the machine lets the run mount a small disk; else why not. */
  disk: SmallDisk | { skipped: string } | undefined;
  otlp: OtlpReceiver;
  /** INSPECTOR_TOKEN of every receiver. */
  inspectorToken: string;
  close(): Promise<void>;
}

export async function startSoakSystem(options: SoakOptions): Promise<SoakSystem> {
  const directory = mkdtempSync(join(tmpdir(), 'ada-soak-'));
  const recordDirectory = join(directory, 'record');
  mkdirSync(recordDirectory);
  const tag = randomUUID().slice(0, 8);
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(directory, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  };
  try {
    const otlp = await startOtlpReceiver();
    cleanups.push(() => otlp.close());

    let databaseUrl: string;
    let database: SoakSystem['database'];
    let disk: SoakSystem['disk'];
    if (options.backend === 'postgres') {
      const created = await temporaryDatabase();
      cleanups.push(() => created.drop());
      databaseUrl = created.url;
      database = { url: created.url, name: created.name };
    } else {
      const inboxDirectory = join(directory, 'inbox');
      const mounted = await mountSmallDisk(inboxDirectory, 512 * 1024 * 1024);
      if (!('skipped' in mounted)) cleanups.push(() => mounted.unmount());
      disk = mounted;
      mkdirSync(inboxDirectory, { recursive: true });
      databaseUrl = `sqlite:${join(inboxDirectory, 'inbox.sqlite')}`;
    }

    let broker: SoakBroker | undefined;
    let brokerProxy: TcpProxy | undefined;
    let nats: SoakSystem['nats'];
    let forwardEnv: Record<string, string> = {};
    if (options.forward === 'nats') {
      const server = await startNatsServer({ dir: join(directory, 'jetstream') });
      cleanups.push(() => server.close());
      nats = server;
      brokerProxy = await startTcpProxy({ host: '127.0.0.1', port: server.port }, cutOnPoison);
      broker = await jetStreamOfTheRun(server.port, `SOAK_${tag}`);
      forwardEnv = {
        FORWARD_URL: `nats://127.0.0.1:${brokerProxy.port}`,
        FORWARD_STREAM: broker.destination,
        FORWARD_SUBJECT: `soak${tag}.{conversation}.{type}`,
      };
    } else if (options.forward === 'rabbitmq') {
      brokerProxy = await startTcpProxy({ host: '127.0.0.1', port: rabbitPort }, cutOnPoison);
      broker = await rabbitMqOfTheRun(rabbitPort, `ada-soak-${tag}`);
      forwardEnv = { FORWARD_URL: `amqp://guest:guest@127.0.0.1:${brokerProxy.port}`, FORWARD_EXCHANGE: broker.destination };
    }
    if (brokerProxy) cleanups.push(() => brokerProxy.close());
    if (broker) cleanups.push(() => broker.destroy());

    const inspectorToken = `soak-inspector-${randomUUID()}`;
    const inboxEnv = {
      DATABASE_URL: databaseUrl,
      INBOX_ENCRYPTION_KEY: createHash('sha256').update(`soak ${options.seed}`).digest('base64'),
    };
    const env = {
      ADA_WEBHOOK_SECRET: testSecret,
      ...inboxEnv,
      LOG_FORMAT: 'json',
      INSPECTOR_TOKEN: inspectorToken,
      INBOX_RETENTION: '28h',
      DRIFT_EXAMPLE_VALUES: 'true',
      SHUTDOWN_GRACE_SECONDS: '5',
      ...dispatchSettings,
      ...forwardEnv,
      ...tracingEnvironment(otlp),
      SOAK_SEED: String(options.seed),
      SOAK_RECORD: recordDirectory,
    };
    const replicas = options.backend === 'postgres' ? 2 : 1;
    const receivers: ReceiverSlot[] = [];
    for (let replica = 0; replica < replicas; replica += 1) receivers.push(new ReceiverSlot(await freePort(), env));
    cleanups.push(async () => void (await Promise.all(receivers.map((receiver) => receiver.kill()))));
    for (const receiver of receivers) await receiver.start();

    let front: RoundRobinFront | undefined;
    if (replicas > 1) {
      front = await startRoundRobinFront(receivers.map((receiver) => receiver.port));
      cleanups.push(() => front!.close());
    }
    const settings = loadDatabaseSettings(inboxEnv);
    const atRest = await openInbox(settings);
    cleanups.push(() => atRest.close());
    // An unreadable delivery is marked so in what the inbox reads, which the checker finds there.
    const inbox = sealedWhenKeyed(atRest, settings, () => {});
    return {
      url: front?.url ?? receivers[0]!.url,
      receivers,
      inbox,
      atRest,
      recordDirectory,
      broker,
      brokerProxy,
      nats,
      database,
      disk,
      otlp,
      inspectorToken,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
