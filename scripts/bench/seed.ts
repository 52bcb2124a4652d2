// Inboxes filled before a measurement: pending backlogs through the inbox's own rules (one
// transaction, no fsync per row), and a large history of done rows.
import { DatabaseSync } from 'node:sqlite';
import type { NewDelivery } from '../../src/inbox/inbox.ts';
import { transaction } from '../../src/inbox/sqlite/database.ts';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { newRow } from '../../src/inbox/sqlite/intake.ts';
import { SqliteWrites } from '../../src/inbox/sqlite/writes.ts';
import { nextBody, type Traffic } from './load.ts';

/** `count` pending deliveries of `traffic`, each event a millisecond older than the next. */
export function pendingDeliveries(traffic: Traffic, count: number, prefix: string): NewDelivery[] {
  const start = Date.now() - count;
  return Array.from({ length: count }, (_, index) => {
    const event = JSON.parse(nextBody(traffic)) as { timestamp: string };
    event.timestamp = new Date(start + index).toISOString();
    const body = JSON.stringify(event);
    return { id: `msg_${prefix}_${index}`, receivedAt: new Date(start + index), headers: {}, body, event };
  });
}

export async function seedPending(databasePath: string, deliveries: NewDelivery[]): Promise<void> {
  await new SqliteInbox(databasePath).close(); // creates the schema
  const db = new DatabaseSync(databasePath);
  const writes = new SqliteWrites(db);
  transaction(db, () => writes.applyAll([deliveries.map((delivery) => ({ kind: 'accept', row: newRow(delivery) }))]));
  db.close();
}

/** `count` deliveries already handled a month ago: rows in no lane, as a long-running inbox holds them. */
export async function seedDone(databasePath: string, traffic: Traffic, count: number): Promise<void> {
  await new SqliteInbox(databasePath).close();
  const db = new DatabaseSync(databasePath);
  const insert = db.prepare(
    `INSERT INTO deliveries (id, state, event_type, received_at, lane, event_time)
     VALUES (?, 'done', 'v1.conversation.message', ?, ?, ?)`,
  );
  const insertPayload = db.prepare(`INSERT INTO delivery_payloads (id, headers, body) VALUES (?, '{}', ?)`);
  const start = Date.now() - 30 * 86_400_000 - count;
  transaction(db, () => {
    for (let index = 0; index < count; index += 1) {
      const id = `msg_done_${index}`;
      insert.run(id, new Date(start + index).toISOString(), `conversation:${index % 5000}`, start + index);
      insertPayload.run(id, nextBody(traffic));
    }
  });
  db.close();
}
