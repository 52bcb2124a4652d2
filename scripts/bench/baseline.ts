// The receiver as users run it against the same receiver at another git revision (`--baseline`),
// checked out beside this project and sharing its node_modules: what a change costs per delivery.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compare, Traffic } from './load.ts';
import { startReceiver, startServer } from './servers.ts';

const root = new URL('../..', import.meta.url).pathname;

/** The project at `revision`, checked out beside this one, sharing its node_modules. */
function checkOut(revision: string) {
  const directory = mkdtempSync(join(tmpdir(), 'ada-bench-baseline-'));
  execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', '--force', directory, revision], { stdio: 'ignore' });
  symlinkSync(join(root, 'node_modules'), join(directory, 'node_modules'));
  return {
    main: join(directory, 'src/main.ts'),
    remove() {
      execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', directory], { stdio: 'ignore' });
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

interface BaselineOptions {
  compare: Compare;
  traffic: Traffic;
  /** A DATABASE_URL of an inbox of its own. */
  freshInbox: (name: string) => string;
  revision: string;
}

export async function baselineFigures({ compare, traffic, freshInbox, revision }: BaselineOptions): Promise<void> {
  const checkout = checkOut(revision);
  const [before, now] = await Promise.all([
    startServer(checkout.main, { DATABASE_URL: freshInbox('baseline'), LOG_LEVEL: 'warn' }),
    startReceiver(freshInbox('receiver')),
  ]);
  try {
    await compare(
      `The receiver against the receiver at ${revision}`,
      { name: `receiver at ${revision}`, servers: [before], traffic },
      { name: 'receiver', servers: [now], traffic },
    );
  } finally {
    await Promise.all([before.stop(), now.stop()]);
    checkout.remove();
  }
}
