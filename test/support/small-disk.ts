// A disk that really fills up: a small tmpfs mounted for one test. Mounting needs root (as in CI);
// elsewhere the test that asks for one is skipped and says why.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  path: string;
  /** Takes every byte that is left, with a file of its own. */
  fill(): void;
  /** Gives the space back. */
  free(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `megabytes`, or returns why it could not. */
export function mountSmallDisk(megabytes: number): SmallDisk | { unavailable: string } {
  const path = mkdtempSync(join(tmpdir(), 'ada-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    return { unavailable: `mounting a tmpfs needs root: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}` };
  }
  const filler = join(path, 'filler');
  return {
    path,
    fill() {
      const file = openSync(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) writeSync(file, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // Single bytes until the last one: a full disk, not one with 60 KB to spare.
        try {
          for (;;) writeSync(file, chunk, 0, 1);
        } catch (last) {
          if ((last as NodeJS.ErrnoException).code !== 'ENOSPC') throw last;
        }
      } finally {
        closeSync(file);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', [path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}
