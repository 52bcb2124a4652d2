// Live updates as Server-Sent Events: the stream looks at what a page shows every interval and
// sends `changed` when it differs, and the page reloads that part (htmx's SSE extension). Looking
// at the store, rather than listening to this process, sees what every replica does.
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'koa';

const keepAliveMs = 15_000;

export class LiveUpdates {
  readonly #intervalMs: number;
  readonly #open = new Set<PassThrough>();
  #closed = false;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Answers `ctx` with a stream that says `changed` whenever `look()` gives something new. */
  stream(ctx: Context, look: () => Promise<string>): void {
    const stream = new PassThrough();
    ctx.req.socket.setTimeout(0);
    ctx.set({ 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    ctx.type = 'text/event-stream';
    ctx.body = stream;
    if (this.#closed) {
      stream.end();
      return;
    }
    this.#open.add(stream);
    const ended = new AbortController();
    const end = () => {
      ended.abort();
      this.#open.delete(stream);
      stream.end();
    };
    ctx.req.once('close', end);
    stream.once('close', end);
    stream.write(`retry: ${Math.max(1000, this.#intervalMs)}\n\n`);
    void (async () => {
      let last = await look().catch(() => '');
      let quietSince = Date.now();
      while (!ended.signal.aborted) {
        await sleep(this.#intervalMs, undefined, { signal: ended.signal }).catch(() => undefined);
        if (ended.signal.aborted) return;
        const now = await look().catch(() => last);
        if (now !== last) {
          stream.write('event: changed\ndata: changed\n\n');
          quietSince = Date.now();
        } else if (Date.now() - quietSince >= keepAliveMs) {
          // A comment now and then, so that proxies do not take a quiet stream for a dead one.
          stream.write(': no change\n\n');
          quietSince = Date.now();
        }
        last = now;
      }
    })();
  }

  /** Ends every stream, and answers new ones with an empty stream: the server is stopping. */
  close(): void {
    this.#closed = true;
    for (const stream of this.#open) stream.end();
    this.#open.clear();
  }
}
