// Answers under load on PostgreSQL that are not 2xx, and why: three replicas of the service as
// `npm start` runs it on one database (a database of its own, dropped afterwards), each in a
// cgroup capped at a share of a core and each loaded at 20 connections, for a number of rounds;
// prints every round's answers by status, the first non-2xx bodies, and the replicas' log lines
// above info (each replica's whole log is kept in the directory given).
//   node scripts/bench/replica-errors.ts [cores 0.3] [seconds 10] [rounds 3] [log directory]
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuQuota, type CpuQuota } from './cpu-quota.ts';
import { conversationIds, loadAcross, messageTemplate, stopLoadGenerator } from './load.ts';
import { defaultPostgresUrl, withTemporaryDatabase } from './postgres.ts';
import { startService, type Server } from './servers.ts';

const cores = Number(process.argv[2] ?? 0.3);
const seconds = Number(process.argv[3] ?? 10);
const rounds = Number(process.argv[4] ?? 3);
const logs = process.argv[5] ?? join(tmpdir(), `ada-replica-errors-${process.pid}`);
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
