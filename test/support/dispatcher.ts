import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Dispatcher, type DispatcherSettings } from '../../src/dispatch/dispatcher.ts';
import type { HandlerRegistry } from '../../src/dispatch/handler-registry.ts';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { createMetrics, type Metrics } from '../../src/operations/metrics.ts';

/** Settings that make retries and polling fast enough for tests. */
export const fastDispatch: DispatcherSettings = {
  concurrency: 8,
  handlerTimeoutMs: 1000,
  maxAttempts: 3,
  retryBaseMs: 10,
  pollIntervalMs: 10,
};

export function createDispatcher(
  inbox: Inbox,
  handlers: HandlerRegistry,
  settings: Partial<DispatcherSettings> = {},
  metrics: Metrics = createMetrics(inbox),
  logger: Logger = pino({ level: 'silent' }),
) {
  return new Dispatcher({ ...fastDispatch, ...settings, inbox, handlers, metrics, logger });
}

/** A logger that keeps every line it writes, parsed. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Resolves once `check` holds, polling; rejects after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
