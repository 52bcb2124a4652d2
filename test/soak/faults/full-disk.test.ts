// A small tmpfs that fills up: no byte left once filled, room again once freed, and nothing
// mounted after unmount. Skipped, saying why, where mounting is not allowed.
import { expect } from 'chai';
import { mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountSmallDisk, type SmallDisk } from './full-disk.ts';

/** Whether `dir` is a mount point of its own. */
const mounted = async (dir: string) => (await readFile('/proc/self/mounts', 'utf8')).split('\n').some((line) => line.split(' ')[1] === dir);

/** Writes one byte to a new file on the disk; resolves with the error code, or 'written'. */
const writeOneByte = (dir: string, name: string) =>
  writeFile(join(dir, name), 'x').then(
    () => 'written',
    (error: NodeJS.ErrnoException) => error.code,
  );

describe('a small disk', function () {
  this.timeout(10_000);
  let dir: string | undefined;
  let disk: SmallDisk | undefined;
  afterEach(async () => {
    try {
      await disk?.unmount();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = disk = undefined;
    }
  });

  it('fills to the last byte, has room again once freed, and is gone once unmounted', async function () {
    dir = await mkdtemp(join(tmpdir(), 'ada-soak-disk-'));
    const small = await mountSmallDisk(dir, 1024 * 1024);
    if ('skipped' in small) {
      console.warn(`    (skipped: ${small.skipped})`);
      return this.skip();
    }
    disk = small;
    expect(await mounted(dir)).to.equal(true);
    const { blocks, bsize } = await statfs(dir);
    expect(blocks * bsize, 'its size').to.equal(1024 * 1024);
    expect(await writeOneByte(dir, 'before')).to.equal('written');

    await disk.fill();
    expect((await statfs(dir)).bavail, 'blocks left').to.equal(0);
    expect(await writeOneByte(dir, 'while-full')).to.equal('ENOSPC');

    await disk.free();
    expect(await writeOneByte(dir, 'after')).to.equal('written');

    await disk.unmount();
    disk = undefined;
    expect(await mounted(dir), 'mounted after unmount').to.equal(false);
  });
});
