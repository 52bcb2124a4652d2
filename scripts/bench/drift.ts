// What watching for contract drift costs a delivery: the drift observer over the bench's 1 KB
// message, as intake runs it for every delivery it stores, in nanoseconds (the median of 5 runs
// of 100,000). Its counting in memory and the inbox write once a second come on top, shared by
// every delivery of that second.
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { createDriftObserver } from '../../src/contract/drift.ts';
import { nanosecondsPerCall, nextBody, type Traffic } from './load.ts';

export async function driftFigures(traffic: Traffic): Promise<void> {
  const observer = createDriftObserver(await dereferenceContract(loadContract()));
  const event = JSON.parse(nextBody(traffic)) as Record<string, unknown>;
  const withNewField = { ...event, satisfaction_score: 4 };
  const nanoseconds = (value: unknown) => nanosecondsPerCall(100_000, () => observer.accepted(value)).toFixed(0);
  console.log(
    `\nContract drift: looking at one ${Buffer.byteLength(traffic.template)}-byte delivery for what the contract does not describe costs ${nanoseconds(event)} ns (${nanoseconds(withNewField)} ns with a field it does not describe)`,
  );
}
