// A durable receiver as users write it by hand from Svix's documentation: Koa with a body
// parser, the `svix` library's verify, and one INSERT per request into SQLite (WAL,
// synchronous=FULL, so that the 200 survives a power loss, as the receiver's does), on the main
// thread. The benchmark's peer for the receiver; DATABASE_URL=sqlite:<path>.
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import { DatabaseSync } from 'node:sqlite';
import { Webhook } from 'svix';

const webhook = new Webhook(process.env['ADA_WEBHOOK_SECRET']!);
const db = new DatabaseSync(process.env['DATABASE_URL']!.replace(/^sqlite:/, ''));
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, body TEXT NOT NULL)`);
const insert = db.prepare('INSERT INTO deliveries (id, received_at, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING');

const app = new Koa();
app.use(bodyParser({ enableTypes: ['json'], jsonLimit: 1024 * 1024 }));
app.use((ctx) => {
  try {
    webhook.verify(ctx.request.rawBody, ctx.headers as Record<string, string>);
  } catch {
    ctx.status = 401;
    return;
  }
  insert.run(ctx.get('svix-id'), new Date().toISOString(), ctx.request.rawBody);
  ctx.body = { status: 'accepted' };
});
const server = app.listen(Number(process.env['PORT']), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => db.close()));
