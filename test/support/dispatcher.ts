import { pino } from 'pino';
import { Dispatcher, type DispatcherSettings } from '../../src/dispatcher/dispatcher.ts';
import type { HandlerRegistry } from '../../src/dispatcher/handler-registry.ts';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';

/** Settings that make retries and polling fast enough for tests. */
export const fastDispatch: DispatcherSettings = {
  concurrency: 8,
  handlerTimeoutMs: 1000,
  maxAttempts: 3,
  retryBaseMs: 10,
  pollIntervalMs: 10,
};

export function createDispatcher(inbox: Inbox, handlers: HandlerRegistry, settings: Partial<DispatcherSettings> = {}, metrics: Metrics = createMetrics(inbox)) {
  return new Dispatcher({ ...fastDispatch, ...settings, inbox, handlers, metrics, logger: pino({ level: 'silent' }) });
}

/** Resolves once `check` holds, polling; rejects after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
