// The real service with handlers that show what a trace holds. Each attempt logs "attempt" with
// the id of the span active in it (null when none is).
//   v1.conversation.created  fails its first attempt; its second starts a span of its own and
//                            calls TRACE_FETCH_URL with fetch() inside it
//   v1.conversation.ended    fails while the file TRACE_FAIL_FILE exists
//   v1.conversation.message  never finishes when TRACE_HANG=1, else finishes at once
import { trace } from '@opentelemetry/api';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { runService } from '../../../src/service/run.ts';

const tracer = trace.getTracer('scenario');
const logAttempt = (log: Logger) => log.info({ activeSpan: trace.getActiveSpan()?.spanContext().spanId ?? null }, 'attempt');

await runService((receiver) => {
  receiver
    .on('v1.conversation.created', async (_event, { attempt, log }) => {
      logAttempt(log);
      if (attempt === 1) throw new Error('the first attempt fails');
      await tracer.startActiveSpan('user work', async (span) => {
        await fetch(process.env['TRACE_FETCH_URL']!);
        span.end();
      });
    })
    .on('v1.conversation.ended', (_event, { log }) => {
      logAttempt(log);
      if (existsSync(process.env['TRACE_FAIL_FILE'] ?? '')) throw new Error('failing on purpose');
    })
    .on('v1.conversation.message', async (_event, { log }) => {
      logAttempt(log);
      if (process.env['TRACE_HANG'] === '1') await new Promise(() => {});
    });
});
