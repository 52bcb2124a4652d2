// The receiver as users run it against the same receiver at another git revision (`--baseline`),
// checked out beside this project and sharing its node_modules: what a change costs per delivery.
// Both run as `npm start` runs them (src/main.js, their defaults), each pinned to core 1 and the
// load generator to core 0 when taskset can pin them, so that the comparison is per core.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinLoadGenerator, type Compare, type Traffic } from './load.ts';
import { startServer, startService } from './servers.ts';

const root = new URL('../..', import.meta.url).pathname;

/** The project at `revision`, checked out beside this one, sharing its node_modules. */
function checkOut(revision: string) {
  const directory = mkdtempSync(join(tmpdir(), 'ada-bench-baseline-'));
  execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', '--force', directory, revision], { stdio: 'ignore' });
  symlinkSync(join(root, 'node_modules'), join(directory, 'node_modules'));
  return {
    // Revisions before src/main.js started the service from src/main.ts.
    main: ['src/main.js', 'src/main.ts'].map((entry) => join(directory, entry)).find((entry) => existsSync(entry))!,
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
  const pinned = pinLoadGenerator(0);
  const cpu = pinned ? { cpu: 1 } : {};
  const [before, now] = await Promise.all([
    startServer(checkout.main, { DATABASE_URL: freshInbox('baseline') }, cpu),
    startService(freshInbox('receiver'), {}, cpu),
  ]);
  try {
    await compare(
      `The receiver against the receiver at ${revision}${pinned ? ', each pinned to core 1, the load generator on core 0' : ''}`,
      { name: `receiver at ${revision}`, servers: [before], traffic },
      { name: 'receiver', servers: [now], traffic },
    );
  } finally {
    await Promise.all([before.stop(), now.stop()]);
    if (pinned) pinLoadGenerator(undefined);
    checkout.remove();
  }
}
