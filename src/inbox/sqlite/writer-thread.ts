// The inbox's writer: a worker thread that owns the write connection, so that waiting for a
// commit's fsync never stops the main thread from taking the next requests. Group commit: every
// batch that arrived while the previous commit was under way is carried out in the next single
// transaction (the dispatcher's writes may wait for a delivery's commit: commit-timing.ts), and
// each batch is answered only after that commit: how each of its writes went (one
// that failed fails alone, see SqliteWrites.commit), or the error of a commit that failed as a whole.
// The inbox and its writer talk over a channel of their own, not the thread's parent port: Node
// posts messages of its own there (`node --watch` reports every module a thread imports).
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { commitDelay, holdsDelivery } from './commit-timing.ts';
import { openDatabase } from './database.ts';
import { SqliteWrites, type WriteOperation } from './writes.ts';

export interface WriterData {
  path: string;
  busyTimeoutMs: number;
  /** The writer's end of the channel that carries requests and answers. */
  port: MessagePort;
}

export type WriterRequest = { batch: number; operations: WriteOperation[] } | { close: true };
/** An error as it crosses to the inbox's thread. */
export interface ErrorAnswer {
  /** The error's class, where the inbox throws one of its own (DataKeyGone). */
  name: string;
  message: string;
  code?: string | undefined;
  /** SQLite's extended result code of a write that failed alone (see SqliteWrites.commit). */
  errcode?: number | undefined;
}
/** The answer to every batch of one commit: how each operation went, in the order of the batches' operations. */
export type WriterAnswer = { batches: number[]; results: PromiseSettledResult<unknown>[][] } | { batches: number[]; error: ErrorAnswer };

const { path, busyTimeoutMs, port } = workerData as WriterData;
const db = openDatabase(path, busyTimeoutMs);
const writes = new SqliteWrites(db);

/** Requests received and not carried out yet: the dispatcher's writes may wait for a delivery's commit (commit-timing.ts). */
let queued: WriterRequest[] = [];
let waiting: NodeJS.Timeout | undefined;
let lastDeliveryAt = Number.NEGATIVE_INFINITY;

port.on('message', (first: WriterRequest) => {
  queued.push(first);
  for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port)) queued.push(next.message as WriterRequest);
  const now = performance.now();
  const operations = queued.flatMap((request) => ('batch' in request ? request.operations : []));
  if (holdsDelivery(operations)) lastDeliveryAt = now;
  const delay = queued.some((request) => 'close' in request) ? 0 : commitDelay(operations, lastDeliveryAt, now);
  if (delay === 0) return carryOut();
  waiting ??= setTimeout(carryOut, delay);
});

function carryOut(): void {
  clearTimeout(waiting);
  waiting = undefined;
  const requests = queued;
  queued = [];
  const batches = requests.filter((request) => 'batch' in request);
  if (batches.length > 0) {
    const answer = commit(batches);
    if (batches.some(({ operations }) => operations.some(({ kind }) => kind === 'erase'))) truncateLog();
    port.postMessage(answer);
  }
  if (requests.some((request) => 'close' in request)) {
    db.close();
    port.close();
  }
}

function commit(batches: { batch: number; operations: WriteOperation[] }[]): WriterAnswer {
  const numbers = batches.map(({ batch }) => batch);
  try {
    const results = writes.commit(batches.map(({ operations }) => operations));
    return {
      batches: numbers,
      results: results.map((steps) =>
        steps.map((step) => (step.status === 'fulfilled' ? step : { status: 'rejected', reason: errorAnswer(step.reason) })),
      ),
    };
  } catch (error) {
    // A commit that failed as a whole failed every write of it: none was refused alone, whatever SQLite's code.
    const { name, message, code } = errorAnswer(error);
    return { batches: numbers, error: { name, message, code } };
  }
}

function errorAnswer(error: unknown): ErrorAnswer {
  const { name, message, code, errcode } = error as Error & { code?: string; errcode?: number };
  return { name, message, code, errcode };
}

/**
 * After an erasure: the write-ahead log's frames, which still hold the pages as they were before
 * it, copied into the database and the log emptied, so that what was erased is in neither file.
 * Best effort: a reader of another process that holds an older snapshot keeps the log until the
 * next erasure or checkpoint.
 */
function truncateLog(): void {
  try {
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } catch {
    // Busy: the next checkpoint copies the frames, and the log is overwritten as it is reused.
  }
}
