// What `koa()` returns, described by its shape rather than by Koa's types: a Koa app's `use()`
// takes it as it is, and an app without Koa compiles the package's types without @types/koa
// (which fails to compile against the content-disposition that Koa 3 installs, unless a project
// skips checking libraries).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ParsedUrlQuery } from 'node:querystring';

/** The part of Koa's context that the package's middleware reads and writes. */
export interface KoaContext {
  readonly path: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly query: ParsedUrlQuery;
  readonly req: IncomingMessage;
  /** `rawBody` is read when a body parser in front kept it (@koa/bodyparser). */
  readonly request: object;
  readonly ip: string;
  status: number;
  body: unknown;
  set(fields: { [name: string]: string | string[] }): void;
}

/** A Koa middleware: `app.use(receiver.koa())`. */
export type KoaMiddleware = (context: KoaContext, next: () => Promise<unknown>) => Promise<unknown>;
