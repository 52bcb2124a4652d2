// A CPU quota for one process, as if it had a small machine of its own: a cgroup (v1 `cpu`
// controller) with cfs_quota_us / cfs_period_us = the cores it may use. On a 2-core machine
// shared by the replicas, PostgreSQL and the load generator, only a quota shows what replicas
// add when each has CPU of its own.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const controller = '/sys/fs/cgroup/cpu';
const periodMicroseconds = 100_000;

export interface CpuQuota {
  /** Moves the process (all its threads) into the group. */
  add(pid: number): void;
  /** Moves what is left back to the root group, and removes the group. */
  remove(): void;
}

/** A group allowed `cores` of CPU; undefined, with the reason, where the controller cannot be written. */
export function cpuQuota(name: string, cores: number): CpuQuota | string {
  const group = join(controller, name);
  try {
    if (!existsSync(controller)) return `no cgroup v1 cpu controller at ${controller}`;
    mkdirSync(group, { recursive: true });
    writeFileSync(join(group, 'cpu.cfs_period_us'), String(periodMicroseconds));
    writeFileSync(join(group, 'cpu.cfs_quota_us'), String(Math.round(cores * periodMicroseconds)));
  } catch (error) {
    return `cannot write ${group}: ${(error as Error).message}`;
  }
  return {
    add: (pid) => writeFileSync(join(group, 'cgroup.procs'), String(pid)),
    remove() {
      // A process that has exited has left; rmdir fails while one is still inside.
      try {
        rmdirSync(group);
      } catch {
        // Still in use (a receiver that did not stop): left for the operating system.
      }
    },
  };
}
