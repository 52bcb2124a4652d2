// Answers under load on PostgreSQL that are not 2xx, and why: three replicas of the service as
// `npm start` runs it on one database (a database of its own, dropped afterwards), each in a
// cgroup capped at a share of a core and each loaded at 20 connections, for a number of rounds;
// prints every round's answers by status, the first non-2xx bodies, and the replicas' log lines
// above info (each replica's whole log is kept in the directory given). With --requeue, two
// requeuers of the bench's own (as two operators running `npm run replay` at once) also put the
// newest 200 done deliveries back, again and again, so that requeues meet intake, claims,
// settlements and each other on the lanes; it prints how many they requeued and how many failed.
//   node scripts/bench/replica-errors.ts [--requeue] [cores 0.3] [seconds 10] [rounds 3] [log directory]
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresInbox } from '../../src/inbox/postgres/inbox.ts';
import { cpuQuota, type CpuQuota } from './cpu-quota.ts';
import { conversationIds, loadAcross, messageTemplate, stopLoadGenerator } from './load.ts';
import { defaultPostgresUrl, withTemporaryDatabase } from './postgres.ts';
import { startService, type Server } from './servers.ts';

const requeueing = process.argv.includes('--requeue');
const [coresGiven, secondsGiven, roundsGiven, logsGiven] = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
const cores = Number(coresGiven ?? 0.3);
const seconds = Number(secondsGiven ?? 10);
const rounds = Number(roundsGiven ?? 3);
const logs = logsGiven ?? join(tmpdir(), `ada-replica-errors-${process.pid}`);
const connectionsEach = 20;
mkdirSync(logs, { recursive: true });
const traffic = { template: messageTemplate(1024), conversations: conversationIds('conversation', 1000) };
const logOf = (replica: number) => join(logs, `replica-${replica}.log`);

try {
  await withTemporaryDatabase(defaultPostgresUrl, async (url) => {
    const servers: Server[] = [];
    const groups: CpuQuota[] = [];
    try {
      for (let replica = 0; replica < 3; replica += 1) {
        const group = cpuQuota(`ada-replica-errors-${process.pid}-${replica}`, cores);
        if (typeof group === 'string') throw new Error(group);
        groups.push(group);
        const server = await startService(url, {}, { output: logOf(replica) });
        group.add(server.child.pid!);
        servers.push(server);
      }
      console.log(`Three replicas, ${cores} core each, ${connectionsEach} connections each; logs in ${logs}`);
      await loadAcross(servers, traffic, 2, connectionsEach * servers.length);
      const requeuers = requeueing ? [requeueWhileLoaded(url), requeueWhileLoaded(url)] : [];
      let requests = 0;
      let failures = 0;
      for (let round = 0; round < rounds; round += 1) {
        const figures = await loadAcross(servers, traffic, seconds, connectionsEach * servers.length);
        requests += figures.requests;
        failures += figures.errors;
        console.log(
          `round ${round + 1}: ${Math.round(figures.requestsPerSecond)} req/s, p99 ${figures.p99} ms, answers ${JSON.stringify(figures.statusCodes)}, ${figures.errors} non-2xx, errors or timeouts`,
        );
        for (const { url: at, status, body } of figures.failures) console.log(`  ${at} ${status} ${body}`);
      }
      console.log(`in all: ${failures} of ${requests} not answered 2xx`);
      for (const [index, requeuer] of requeuers.entries()) {
        const { requeued, errors } = await requeuer.stop();
        console.log(
          `requeuer ${index + 1}: ${requeued} deliveries requeued, ${errors.length} requeues failed${errors.length ? `: ${errors[0]}` : ''}`,
        );
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      for (const group of groups) group.remove();
    }
    servers.forEach((_, replica) => {
      const above = readFileSync(logOf(replica), 'utf8')
        .split('\n')
        .filter((line) => /"level":[4-6]0/.test(line));
      console.log(`replica ${replica + 1}: ${above.length} log lines above info`);
      for (const line of above.slice(0, 10)) console.log(`  ${line}`);
    });
  });
} finally {
  stopLoadGenerator();
}

interface Requeuer {
  /** Stops; resolves with how many it requeued and the errors it met. */
  stop(): Promise<{ requeued: number; errors: string[] }>;
}

/** Requeues the newest 200 done deliveries, 1 ms apart, until stopped. */
function requeueWhileLoaded(url: string): Requeuer {
  let stopped = false;
  let requeued = 0;
  const errors: string[] = [];
  const running = (async () => {
    const inbox = await PostgresInbox.open({
      connectionString: url,
      schema: 'ada_webhooks',
      poolSize: 2,
      connectTimeoutMs: 5000,
      queryTimeoutMs: 10_000,
    });
    try {
      while (!stopped) {
        try {
          const done = await inbox.list({ state: 'done', limit: 200 });
          requeued += await inbox.requeue(done.map(({ id }) => ({ id })));
        } catch (error) {
          errors.push(String(error));
        }
        await sleep(1);
      }
    } finally {
      await inbox.close();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return { requeued, errors };
    },
  };
}
