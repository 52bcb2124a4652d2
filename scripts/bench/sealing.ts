// What encryption at rest costs a delivery, in CPU: sealing its headers and body at intake, and
// opening them when it is claimed (CPU time, the median of 5 runs of many deliveries), for a 1 KB
// and a 100 KB body; then the same deliveries through a SQLite inbox, plain and encrypted in
// alternating rounds: accept, claim, settle, with the process's CPU time (the writer thread's
// included) per delivery. Run: node scripts/bench/sealing.ts
import { createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptedInbox } from '../../src/inbox/encryption/encrypted-inbox.ts';
import { openField, sealField } from '../../src/inbox/encryption/envelope.ts';
import { EncryptionKeys } from '../../src/inbox/encryption/keys.ts';
import type { Inbox, NewDelivery } from '../../src/inbox/inbox.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';

const headers = {
  'svix-id': 'msg_2Ksp3Tq8bR0ZbQk0cBJ5o0oWmXq',
  'svix-timestamp': '1764939600',
  'svix-signature': `v1,${randomBytes(32).toString('base64')}`,
  'content-type': 'application/json',
  'user-agent': 'Svix-Webhooks/1.64.0',
};

/** A message event of about `bytes` bytes, its text the filler. */
function bodyOf(bytes: number, index: number): string {
  const event = {
    type: 'v1.conversation.message',
    timestamp: new Date().toISOString(),
    data: { conversation_id: `c${index % 500}`, end_user_id: `u${index % 500}`, message: { text: '' } },
  };
  event.data.message.text = 'x'.repeat(Math.max(0, bytes - JSON.stringify(event).length));
  return JSON.stringify(event);
}

/** CPU time of one call, in microseconds: the median of 5 runs. */
function cpuPerCall(iterations: number, work: () => unknown): number {
  const runs = Array.from({ length: 5 }, () => {
    const started = process.cpuUsage();
    for (let index = 0; index < iterations; index += 1) work();
    const { user, system } = process.cpuUsage(started);
    return (user + system) / iterations;
  });
  return median(runs);
}

function primitives(bytes: number): void {
  const dataKey = { id: randomBytes(16).toString('base64url'), key: createSecretKey(randomBytes(32)) };
  // As the encrypted inbox seals them: the headers and the body together.
  const payload = `${JSON.stringify(headers)}\n${bodyOf(bytes, 0)}`;
  const iterations = bytes > 10_000 ? 2000 : 50_000;
  const sealed = sealField(payload, dataKey, 'msg_1', 'payload');
  const seal = cpuPerCall(iterations, () => sealField(payload, dataKey, 'msg_1', 'payload'));
  const open = cpuPerCall(iterations, () => openField(sealed, dataKey, 'msg_1', 'payload'));
  const micro = (microseconds: number) => microseconds.toFixed(1);
  console.log(
    `${(bytes / 1024).toFixed(0).padStart(4)} KB: seal the headers and body ${micro(seal)} µs, open them ${micro(open)} µs: ${micro(seal + open)} µs a delivery claimed, ${micro(seal)} µs one leased at intake`,
  );
}

const dispatcherOwner = 'bench';

/** CPU time per delivery to accept, claim and settle `count` deliveries of `bytes` on `inbox`. */
async function roundTrip(inbox: Inbox, bytes: number, count: number, round: number): Promise<number> {
  const deliveries: NewDelivery[] = Array.from({ length: count }, (_, index) => {
    const body = bodyOf(bytes, index);
    return { id: `msg_${round}_${index}`, receivedAt: new Date(), headers, body, event: JSON.parse(body) as unknown };
  });
  const started = process.cpuUsage();
  // As intake runs: many at once, so that the writer thread commits them in groups.
  for (let start = 0; start < count; start += 50) await Promise.all(deliveries.slice(start, start + 50).map((each) => inbox.accept(each)));
  for (;;) {
    const claimed = await inbox.claim({ owner: dispatcherOwner, limit: 50, leaseMs: 60_000 });
    if (claimed.length === 0) break;
    await inbox.settle(
      dispatcherOwner,
      claimed.map(({ id }) => ({ id, outcome: 'done' })),
    );
  }
  const { user, system } = process.cpuUsage(started);
  return (user + system) / count;
}

async function throughInbox(bytes: number, count: number): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ada-bench-encryption-'));
  const keys = new EncryptionKeys([randomBytes(32)]);
  const plain = new SqliteInbox(join(directory, 'plain.sqlite'));
  const encrypted = encryptedInbox(new SqliteInbox(join(directory, 'encrypted.sqlite')), keys, {
    onUnreadable: (id, reason) => console.error(`${id}: ${reason}`),
  });
  try {
    const figures = { plain: [] as number[], encrypted: [] as number[] };
    for (let round = 0; round < 6; round += 1) {
      figures.plain.push(await roundTrip(plain, bytes, count, round));
      figures.encrypted.push(await roundTrip(encrypted, bytes, count, round));
    }
    const [plainCpu, encryptedCpu] = [median(figures.plain.slice(1)), median(figures.encrypted.slice(1))];
    console.log(
      `${(bytes / 1024).toFixed(0).padStart(4)} KB: plain ${plainCpu.toFixed(0)} µs, encrypted ${encryptedCpu.toFixed(0)} µs of CPU a delivery: ${((encryptedCpu / plainCpu - 1) * 100).toFixed(1)} % more (medians of 5 rounds of ${count}, after one to warm up)`,
    );
  } finally {
    await Promise.all([plain.close(), encrypted.close()]);
    rmSync(directory, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

console.log('Encryption at rest: AES-256-GCM from node:crypto, per delivery');
primitives(1024);
primitives(100 * 1024);
console.log('\nThrough a SQLite inbox (accept, claim, settle as done), plain and encrypted in alternating rounds:');
await throughInbox(1024, 2000);
await throughInbox(100 * 1024, 300);
