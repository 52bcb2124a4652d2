// What the SQLite writer's work costs per delivery by how many deliveries a commit carries, on
// the writer's operations alone in this process: each commit accepts that many 1 KB deliveries,
// each with a lease (as intake does when the dispatcher has room), and settles the deliveries of
// the commit before (done). Prints the CPU time of this thread per delivery (user and system), the
// wall time, and the WAL pages that a commit writes.
//   node scripts/bench/commit-sizes.ts [sizes 1,2,4,8,16] [deliveries 3000] [synchronous FULL]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settlement } from '../../src/inbox/inbox.ts';
import { openDatabase } from '../../src/inbox/sqlite/database.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { newRow } from '../../src/inbox/sqlite/intake.ts';
import { SqliteWrites, type WriteOperation } from '../../src/inbox/sqlite/writes.ts';
import { conversationIds, messageTemplate, nextBody } from './load.ts';

const sizes = (process.argv[2] ?? '1,2,4,8,16').split(',').map(Number);
const deliveries = Number(process.argv[3] ?? 3000);
const synchronous = process.argv[4] ?? 'FULL';
const traffic = { template: messageTemplate(1024), conversations: conversationIds('conversation', 1000) };
const directory = mkdtempSync(join(tmpdir(), 'ada-commit-sizes-'));
// The headers a delivery keeps: the verified set and the content type.
const headers = (id: string) => ({
  'content-type': 'application/json',
  'svix-id': id,
  'svix-timestamp': String(Math.floor(Date.now() / 1000)),
  'svix-signature': `v1,${'x'.repeat(44)}`,
});

let sent = 0;

/** Commits `count` deliveries `size` at a time on a fresh inbox; `countPages`: checkpoints after each commit to count its WAL pages. */
async function run(size: number, count: number, countPages: boolean) {
  const path = join(directory, `size-${size}-${countPages ? 'pages' : 'cpu'}.sqlite`);
  await new SqliteInbox(path).close(); // the schema
  const db = openDatabase(path, 1000);
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  const writes = new SqliteWrites(db);
  // PASSIVE says how many frames the WAL holds (and copies them); TRUNCATE then empties it.
  const walFrames = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  let pages = 0;
  let previous: Settlement[] = [];
  const cpu = process.threadCpuUsage();
  const started = performance.now();
  for (let done = 0; done < count; done += size) {
    const operations: WriteOperation[] = [];
    const settlements: Settlement[] = [];
    for (let index = 0; index < size; index += 1) {
      const body = nextBody(traffic);
      const id = `msg_${(sent += 1)}`;
      const row = newRow({ id, receivedAt: new Date(), headers: headers(id), body, event: JSON.parse(body) });
      operations.push({ kind: 'accept', row, lease: { owner: 'bench', until: Date.now() + 60_000 } });
      settlements.push({ id, outcome: 'done' });
    }
    operations.push({ kind: 'settle', owner: 'bench', settlements: previous, now: new Date() });
    writes.commit([operations]);
    previous = settlements;
    if (countPages) {
      pages += (walFrames.get() as { log: number }).log;
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    }
  }
  const used = process.threadCpuUsage(cpu);
  const wall = performance.now() - started;
  db.close();
  return { used, wall, pagesPerCommit: pages / Math.ceil(count / size) };
}

try {
  console.log(`synchronous=${synchronous}, ${deliveries} deliveries for each size`);
  for (const size of sizes) {
    const { used, wall } = await run(size, deliveries, false);
    const { pagesPerCommit } = await run(size, Math.min(deliveries, 50 * size), true);
    const perDelivery = (microseconds: number) => (microseconds / deliveries).toFixed(1);
    console.log(
      `  ${String(size).padStart(3)} per commit: CPU ${perDelivery(used.user + used.system)} µs per delivery (user ${perDelivery(used.user)}, system ${perDelivery(used.system)}), wall ${perDelivery(wall * 1000)} µs, ${pagesPerCommit.toFixed(1)} WAL pages per commit`,
    );
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
