// The faults of a run, injected and healed on the plan's schedule, each through the same small
// interface; what was injected when, and healed when, is recorded for the checker (a valid
// delivery may be answered 503, or not at all, only while a fault is active).
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerConnectionCut, diskFull, natsServerKilled, postgresConnectionsTerminated, type Fault } from './faults/fault.ts';
import type { FaultKind, PlannedFault } from './plan.ts';
import type { SoakSystem } from './system.ts';

export interface InjectedFault {
  kind: FaultKind;
  name: string;
  injectedAt: number;
  healedAt: number;
  /** Why it was not injected: the machine does not allow it. */
  skipped?: string;
}

const nothing = async () => {};

/** The fault of `kind`, on `system`; or why this machine or configuration cannot have it. */
export function faultOf(system: SoakSystem, { kind, target }: PlannedFault): Fault | { skipped: string } {
  switch (kind) {
    case 'receiver-kill': {
      const receiver = system.receivers[target]!;
      return { name: `SIGKILL of receiver ${target + 1}, then a restart`, inject: () => receiver.kill(), heal: () => receiver.start() };
    }
    case 'broker-cut':
      return brokerConnectionCut(system.brokerProxy!);
    case 'nats-restart':
      return natsServerKilled(system.nats!);
    case 'postgres-terminate':
      return postgresConnectionsTerminated(system.database!.url, system.database!.name);
    case 'full-disk':
      return 'skipped' in system.disk! ? { skipped: `no full disk: ${system.disk.skipped}` } : diskFull(system.disk!);
    case 'timestamps-near-tolerance':
      // The plan signs the requests of its window near the tolerance: nothing to do here.
      return { name: 'signed timestamps near the tolerance', inject: nothing, heal: nothing };
  }
}

/** Injects and heals each fault at its time from now; resolves once the last is healed. */
export async function runFaultSchedule(system: SoakSystem, faults: readonly PlannedFault[]): Promise<InjectedFault[]> {
  const start = Date.now();
  const injected: InjectedFault[] = [];
  for (const planned of faults) {
    const wait = start + planned.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    const fault = faultOf(system, planned);
    if ('skipped' in fault) {
      injected.push({ kind: planned.kind, name: planned.kind, injectedAt: Date.now(), healedAt: Date.now(), skipped: fault.skipped });
      continue;
    }
    const injectedAt = Date.now();
    await fault.inject();
    await sleep(planned.durationMs);
    await fault.heal();
    injected.push({ kind: planned.kind, name: fault.name, injectedAt, healedAt: Date.now() });
  }
  return injected;
}
