// A disk that really fills up: a small tmpfs mounted on a directory. Mounting needs root (as in CI);
// elsewhere the test or the soak that asks for one goes without, and says why.
import { execFile } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SmallDisk {
  /** Takes every byte that is left, with a filler file of its own. */
  fill(): Promise<void>;
  /** Removes the filler file, giving its space back. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `bytes` on `dir` (created if missing), or resolves with why it could not. */
export async function mountSmallDisk(dir: string, bytes: number): Promise<SmallDisk | { skipped: string }> {
  if (process.getuid?.() !== 0) return { skipped: 'mounting a tmpfs needs root' };
  await mkdir(dir, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  } catch (error) {
    return { skipped: `mounting a tmpfs on ${dir} failed: ${String((error as { stderr?: string }).stderr || error).trim()}` };
  }
  const filler = join(dir, 'filler');
  return {
    async fill() {
      const file = await open(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) await file.write(chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // Single bytes until the last one: a full disk, not one with 60 KB to spare.
        try {
          for (;;) await file.write(chunk, 0, 1);
        } catch (last) {
          if ((last as NodeJS.ErrnoException).code !== 'ENOSPC') throw last;
        }
      } finally {
        await file.close();
      }
    },
    free: () => rm(filler, { force: true }),
    async unmount() {
      await run('umount', [dir]);
    },
  };
}
