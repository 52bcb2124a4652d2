// What watching for contract drift costs a delivery: the drift observer over the bench's 1 KB
// message, as intake runs it for every delivery it stores, in nanoseconds (the median of 5 runs
// of 100,000). Its counting in memory and the inbox write once a second come on top, shared by
// every delivery of that second.
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { createDriftObserver } from '../../src/contract/drift.ts';
import type { Traffic } from './load.ts';

export async function driftFigures(traffic: Traffic): Promise<void> {
  const observer = createDriftObserver(await dereferenceContract(loadContract()));
  const event = JSON.parse(
    traffic.template
      .replace('__ID__', crypto.randomUUID())
      .replace('__CONVERSATION__', 'c')
      .replace('__TIMESTAMP__', new Date().toISOString()),
  ) as unknown;
  const withNewField = { ...(event as Record<string, unknown>), satisfaction_score: 4 };
  const iterations = 100_000;
  const nanoseconds = (value: unknown) => {
    const runs = Array.from({ length: 5 }, () => {
      const started = performance.now();
      for (let index = 0; index < iterations; index += 1) observer.accepted(value);
      return ((performance.now() - started) * 1e6) / iterations;
    });
    return runs.sort((a, b) => a - b)[2]!.toFixed(0);
  };
  console.log(
    `\nContract drift: looking at one ${Buffer.byteLength(traffic.template)}-byte delivery for what the contract does not describe costs ${nanoseconds(event)} ns (${nanoseconds(withNewField)} ns with a field it does not describe)`,
  );
}
