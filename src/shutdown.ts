import type { Logger } from 'pino';

/** Runs `stop` once on the first SIGTERM or SIGINT; the process then exits when nothing is left to do. */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  const onSignal = async (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping');
    try {
      await stop();
      logger.info('stopped');
    } catch (error) {
      logger.error({ err: error }, 'could not stop cleanly');
      process.exitCode = 1;
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, onSignal);
}
