import type { Logger } from 'pino';

/** How often a receiver started by npm checks that npm is still there. */
const parentCheckMs = 500;

/**
 * Runs `stop` once, on the first SIGTERM or SIGINT, or, for a process started by an npm script,
 * when its parent exits: npm passes SIGTERM on to the shell that runs the script, and dash
 * (Debian's /bin/sh) dies of it without passing it on, so a receiver left behind would go on
 * holding its port. The process then exits, even when a handler that ignored its
 * abort signal still holds a timer or a socket: `stop` has given its delivery back already.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals | 'npm exited') => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    try {
      await stop();
      logger.info('stopped');
    } catch (error) {
      logger.error({ err: error }, 'could not stop cleanly');
      process.exitCode = 1;
    }
    process.exit();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (received) => void onSignal(received));

  onNpmExit(() => void onSignal('npm exited'));
}

/**
 * Calls `callback` once when the parent that started this process through an npm script (npm,
 * or the shell npm runs it in) exits: the process is then handed to another parent. Does nothing
 * outside npm.
 */
export function onNpmExit(callback: () => void): void {
  if (process.env['npm_lifecycle_event'] === undefined) return;
  const npm = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === npm) return;
    clearInterval(watch);
    callback();
  }, parentCheckMs);
  watch.unref();
}
