// The inbox's writer: a worker thread that owns the write connection, so that waiting for a
// commit's fsync never stops the main thread from taking the next requests. Each message is a
// batch of writes, carried out in one transaction; the answer comes only after its commit.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, transaction } from './sqlite-database.ts';
import { SqliteWrites, type WriteOperation } from './sqlite-writes.ts';

export interface WriterData {
  path: string;
  busyTimeoutMs: number;
}

export type WriterRequest = { batch: number; operations: WriteOperation[] } | { close: true };
export type WriterAnswer = { batch: number; results: unknown[] } | { batch: number; error: { message: string; code?: string } };

const { path, busyTimeoutMs } = workerData as WriterData;
const db = openDatabase(path, busyTimeoutMs);
const writes = new SqliteWrites(db);

parentPort!.on('message', (request: WriterRequest) => {
  if ('close' in request) {
    db.close();
    parentPort!.close();
    return;
  }
  let answer: WriterAnswer;
  try {
    answer = { batch: request.batch, results: transaction(db, () => request.operations.map((operation) => writes.apply(operation))) };
  } catch (error) {
    const { message, code } = error as Error & { code?: string };
    answer = { batch: request.batch, error: { message, code } };
  }
  parentPort!.postMessage(answer);
});
