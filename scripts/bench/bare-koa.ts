// The benchmark's baseline: Koa with the same JSON body parser, answering 200 without doing
// anything else. The receiver is measured against it in the same run.
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';

const app = new Koa();
app.use(bodyParser({ enableTypes: ['json'], jsonLimit: 1024 * 1024 }));
app.use((ctx) => {
  ctx.body = { status: 'accepted' };
});
const server = app.listen(Number(process.env['PORT']), '127.0.0.1');
process.once('SIGTERM', () => server.close());
