// The receiver's pipeline cut short after one stage, to show what each stage costs:
//   BENCH_STAGE=read    Koa, the router and the body reader, then 200
//   BENCH_STAGE=verify  + the signature check
//   BENCH_STAGE=commit  + the durable commit to the SQLite inbox
// The full receiver (src/main.ts) adds openapi-backend's routing and validation, the log line
// and the metrics. Built from the receiver's own modules; see scripts/bench.ts --stages.
import Router from '@koa/router';
import Koa from 'koa';
import { SqliteInbox } from '../../src/inbox/sqlite/inbox.ts';
import { jsonBodyOf, readJsonBody } from '../../src/server/json-body.ts';
import { createVerifier } from '../../src/signature.ts';

const stages = ['read', 'verify', 'commit'] as const;
const stage = stages.indexOf(process.env['BENCH_STAGE'] as (typeof stages)[number]);
if (stage === -1) throw new Error(`Set BENCH_STAGE to one of ${stages.join(', ')}`);
const verify = createVerifier({ secrets: [process.env['ADA_WEBHOOK_SECRET']!], toleranceSeconds: 300 });
const inbox = stage >= 2 ? new SqliteInbox(process.env['DATABASE_URL']!.replace(/^sqlite:/, '')) : undefined;

const router = new Router();
router.post('/webhooks/ada', readJsonBody(1024 * 1024), async (ctx) => {
  const { bytes, text, value } = jsonBodyOf(ctx);
  const signature = stage >= 1 ? verify((name) => ctx.get(name) || undefined, bytes) : undefined;
  if (signature && !signature.ok) ctx.throw(401);
  const id = signature?.ok ? signature.id : 'unverified';
  await inbox?.accept({ id, receivedAt: new Date(), headers: {}, body: text, event: value });
  ctx.body = { status: 'accepted', id };
});
const app = new Koa().use(router.routes());
const server = app.listen(Number(process.env['PORT']), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => void inbox?.close()));
