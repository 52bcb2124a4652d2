// The receiver's pipeline cut short after one stage, to show what each stage costs:
//   BENCH_STAGE=read           Koa, the router and the body reader, then 200
//   BENCH_STAGE=verify         + the signature check
//   BENCH_STAGE=commit         + the durable commit to the inbox that DATABASE_URL names (group commit)
//   BENCH_STAGE=single-insert  + instead of the inbox, one INSERT per request, each its own
//                              commit, as a hand-written receiver stores (SQLite: on the main
//                              thread, WAL, synchronous=FULL; PostgreSQL: one pool query)
// The full receiver (src/main.ts) adds the contract's validation, the dispatcher, the log line and
// the metrics. Built from the receiver's own intake modules; see scripts/bench.ts.
import Router from '@koa/router';
import Koa from 'koa';
import pg from 'pg';
import { loadSettings } from '../../src/service/environment.ts';
import { openInbox } from '../../src/inbox/open.ts';
import type { DatabaseSettings } from '../../src/inbox/settings.ts';
import { openDatabase } from '../../src/inbox/sqlite/database.ts';
import { intakeRequestOf, writeAnswer } from '../../src/intake/adapters/koa.ts';
import { headerReader } from '../../src/intake/headers.ts';
import { readDelivery } from '../../src/intake/read-delivery.ts';
import { createVerifier } from '../../src/intake/signature.ts';

const stages = ['read', 'verify', 'commit', 'single-insert'] as const;
const stage = stages.find((name) => name === process.env['BENCH_STAGE']);
if (!stage) throw new Error(`Set BENCH_STAGE to one of ${stages.join(', ')}`);
const settings = loadSettings();
const { database, secrets, bodyLimitBytes } = settings.receiver;
if (secrets.length === 0) throw new Error('Set ADA_WEBHOOK_SECRET: the stages sign with the bench secret');
const verify = createVerifier({ secrets, toleranceSeconds: 300 });

/** Stores one delivery with a commit of its own. */
async function singleInserts(database: DatabaseSettings) {
  const table = 'CREATE TABLE IF NOT EXISTS single_inserts (id text PRIMARY KEY, body text NOT NULL)';
  const insert = 'INSERT INTO single_inserts (id, body) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING';
  if (database.kind === 'sqlite') {
    const db = openDatabase(database.path, 1000);
    db.exec(table);
    const statement = db.prepare(insert);
    return { insert: async (id: string, body: string) => statement.run(id, body), close: async () => db.close() };
  }
  const pool = new pg.Pool({ connectionString: database.url, max: database.poolSize, options: `-c search_path=${database.schema}` });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${database.schema}`);
  await pool.query(table);
  return { insert: (id: string, body: string) => pool.query(insert, [id, body]), close: () => pool.end() };
}

const inbox = stage === 'commit' ? await openInbox(database) : undefined;
const store = stage === 'single-insert' ? await singleInserts(database) : undefined;

const router = new Router();
router.post('/webhooks/ada', async (ctx) => {
  const read = await readDelivery(intakeRequestOf(ctx), bodyLimitBytes);
  if (!read.ok) return writeAnswer(ctx, read.answer);
  const { bytes, text, value } = read.body;
  const signature = stage === 'read' ? undefined : verify(headerReader(ctx.headers), bytes);
  if (signature && !signature.ok) ctx.throw(401);
  const id = signature?.ok ? signature.id : 'unverified';
  await inbox?.accept({ id, receivedAt: new Date(), headers: {}, body: text, event: value });
  await store?.insert(id, text);
  ctx.body = { status: 'accepted', id };
});
const app = new Koa().use(router.routes());
const server = app.listen(settings.port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => void Promise.all([inbox?.close(), store?.close()])));
