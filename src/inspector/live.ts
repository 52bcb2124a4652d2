// Live updates as Server-Sent Events: a page opens a stream on what it shows (a view), the stream
// says `changed` when the view differs, and the page reloads that part (htmx's SSE extension).
// Every stream on one view shares one look at the store per interval, however many watch it;
// looking at the store, rather than listening to this process, sees what every replica does.
// Streams are capped in all and per visitor: a stream over a cap gets one `refused` event, which
// the page shows and closes its stream on (it still works by reloading). A stream ends with its
// session: at sign-out here, and at the next look when another replica signed it out.
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { LiveLimits } from './settings.ts';

const keepAliveMs = 15_000;
/** What a browser that is not htmx's extension waits before it asks again after a refusal. */
const refusedRetryMs = 60_000;

interface LiveOptions {
  intervalMs: number;
  limits: LiveLimits;
  /** Which of these sessions were signed out (on any replica). */
  endedSessions: (ids: readonly string[]) => Promise<string[]>;
}

/** Who opens a stream, and what it watches. */
export interface StreamRequest {
  /** Names the view: streams with the same key share one look. */
  view: string;
  /** What the page shows, as text to compare; called once per interval for all the view's streams. */
  look: () => Promise<string>;
  /** The visitor the per-visitor cap counts against. */
  visitor: string;
  /** The session the stream ends with; none for a script. */
  session: string | undefined;
}

interface Stream {
  out: PassThrough;
  visitor: string;
  session: string | undefined;
}

interface View {
  look: () => Promise<string>;
  streams: Set<Stream>;
  /** What the last look saw; undefined until the first one. */
  last: string | undefined;
  /** The first look, taken when the view opens: what later looks are compared with. */
  opened: Promise<void>;
  /** When its streams were last written to. */
  writtenAt: number;
}

export class LiveUpdates {
  readonly #options: LiveOptions;
  readonly #views = new Map<string, View>();
  readonly #streamsByVisitor = new Map<string, number>();
  #streams = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: LiveOptions) {
    this.#options = options;
  }

  /** Streams open now. */
  get streams(): number {
    return this.#streams;
  }

  /** Views watched now: one look at the store per interval each. */
  get views(): number {
    return this.#views.size;
  }

  /**
   * Answers `ctx` with a stream that says `changed` whenever the view's look gives something new:
   * its first bytes are sent once the view has been looked at, so every change after them is told.
   */
  async stream(ctx: Context, request: StreamRequest): Promise<void> {
    const out = new PassThrough();
    ctx.req.socket.setTimeout(0);
    ctx.set({ 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    ctx.type = 'text/event-stream';
    ctx.body = out;
    if (this.#closed) {
      out.end();
      return;
    }
    const refusal = this.#refusal(request.visitor);
    if (refusal) {
      out.end(`retry: ${refusedRetryMs}\nevent: refused\ndata: ${refusal}\n\n`);
      return;
    }
    const stream: Stream = { out, visitor: request.visitor, session: request.session };
    const view = this.#join(request, stream);
    const leave = () => this.#leave(request.view, view, stream);
    ctx.req.once('close', leave);
    out.once('close', leave);
    this.#timer ??= setTimeout(() => void this.#tick(), this.#options.intervalMs);
    await view.opened;
    // The page may have gone meanwhile.
    if (!out.writableEnded) out.write(`retry: ${Math.max(1000, this.#options.intervalMs)}\n\n`);
  }

  /** Ends the streams of a session that was signed out here. */
  endSession(id: string): void {
    for (const view of this.#views.values()) for (const stream of view.streams) if (stream.session === id) stream.out.end();
  }

  /** Ends every stream, and answers new ones with an empty stream: the server is stopping. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const view of this.#views.values()) for (const stream of view.streams) stream.out.end();
  }

  #refusal(visitor: string): string | undefined {
    const { streams, perVisitor } = this.#options.limits;
    if (this.#streams >= streams)
      return `Live updates are off: the inspector has ${streams} live pages open, its most. Reload the page to see changes.`;
    if ((this.#streamsByVisitor.get(visitor) ?? 0) >= perVisitor)
      return `Live updates are off: you have ${perVisitor} live pages open, the most for one visitor. Close one, or reload the page to see changes.`;
    return undefined;
  }

  #join(request: StreamRequest, stream: Stream): View {
    let view = this.#views.get(request.view);
    if (!view) {
      const created: View = { look: request.look, streams: new Set(), last: undefined, writtenAt: Date.now(), opened: Promise.resolve() };
      created.opened = created.look().then(
        (seen) => void (created.last ??= seen),
        () => {},
      );
      this.#views.set(request.view, (view = created));
    }
    view.streams.add(stream);
    this.#streams += 1;
    this.#streamsByVisitor.set(stream.visitor, (this.#streamsByVisitor.get(stream.visitor) ?? 0) + 1);
    return view;
  }

  #leave(key: string, view: View, stream: Stream): void {
    if (!view.streams.delete(stream)) return;
    stream.out.end();
    this.#streams -= 1;
    const left = (this.#streamsByVisitor.get(stream.visitor) ?? 1) - 1;
    if (left === 0) this.#streamsByVisitor.delete(stream.visitor);
    else this.#streamsByVisitor.set(stream.visitor, left);
    if (view.streams.size === 0 && this.#views.get(key) === view) this.#views.delete(key);
  }

  /** One look per view, then the sessions of the open streams; again after the interval while any stream is open. */
  async #tick(): Promise<void> {
    await Promise.all([...this.#views.values()].map((view) => this.#lookAt(view)));
    await this.#endSignedOutStreams();
    this.#timer = this.#streams > 0 && !this.#closed ? setTimeout(() => void this.#tick(), this.#options.intervalMs) : undefined;
  }

  async #lookAt(view: View): Promise<void> {
    let seen: string;
    try {
      seen = await view.look();
    } catch {
      // The store is unreachable for now: the page stays as it is, and the next look tries again.
      return;
    }
    const now = Date.now();
    if (view.last !== undefined && seen !== view.last) this.#write(view, 'event: changed\ndata: changed\n\n', now);
    // A comment now and then, so that proxies do not take a quiet stream for a dead one.
    else if (now - view.writtenAt >= keepAliveMs) this.#write(view, ': no change\n\n', now);
    view.last = seen;
  }

  #write(view: View, text: string, now: number): void {
    for (const stream of view.streams) stream.out.write(text);
    view.writtenAt = now;
  }

  async #endSignedOutStreams(): Promise<void> {
    const sessions = new Set<string>();
    for (const view of this.#views.values()) for (const { session } of view.streams) if (session) sessions.add(session);
    if (sessions.size === 0) return;
    const ended = await this.#options.endedSessions([...sessions]).catch(() => []);
    for (const id of ended) this.endSession(id);
  }
}
