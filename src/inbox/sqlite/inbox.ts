import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Violation } from '../../contract/validation.ts';
import {
  DataKeyGone,
  InboxNotFound,
  type ClaimOptions,
  type ClaimedDelivery,
  type DeliveryFilter,
  type DeliveryQuery,
  type DeliveryState,
  type Discard,
  type DriftFilter,
  type DriftSummary,
  type EndedSession,
  type EventTypeSelection,
  type FailedAttempt,
  type Inbox,
  type LaneState,
  type LeaseAtIntake,
  type NewDelivery,
  type NewDeliveriesListener,
  type PurgeBatch,
  type Requeue,
  type Settlement,
  type StoreOutcome,
  type StoredDataKey,
  type StoredDelivery,
} from '../inbox.ts';
import {
  countsByState,
  driftQuery,
  fromDeliveryRow,
  fromDriftRow,
  fromFailedAttemptRow,
  fromLaneRow,
  traceContextColumn,
  type DeliveryRow,
  type DriftRow,
  type FailedAttemptRow,
  type LaneRow,
  type RowCodec,
} from '../rows.ts';
import { countQuery, idRangeOf, listQuery } from '../list-query.ts';
import { readQueries, type StoreTables } from '../read-queries.ts';
import { refusalOf, storableViolations } from '../storable.ts';
import { Signal } from '../../support/signal.ts';
import { TurnBatch } from '../turn-batch.ts';
import { IntakeLeases } from '../intake-leases.ts';
import { ProbedAvailability, type Availability } from '../../support/availability.ts';
import { openDatabase, refusedForWhatItHolds } from './database.ts';
import { migrate } from './schema.ts';
import type { ErrorAnswer, WriterAnswer, WriterData, WriterRequest } from './writer-thread.ts';
import { newRow } from './intake.ts';
import { dataKeyReads } from './data-keys.ts';
import { dataKeyOwnerOf, storableEndUserId } from '../ordering.ts';
import { endedSessionsQuery } from './sessions.ts';
import type { Durability, WriteOperation, WriteResults } from './writes.ts';

/** The tables as SQLite's reads name them: a delivery's payload lives apart, and a list parameter is JSON text. */
const sqliteTables: StoreTables = {
  deliveries: 'deliveries',
  rows: 'deliveries JOIN delivery_payloads USING (id)',
  lanes: 'lanes',
  failedAttempts: 'failed_attempts',
  placeholder: () => '?',
  oneOf: (expression, parameter, negated) => `${expression} ${negated ? 'NOT IN' : 'IN'} (SELECT value FROM json_each(${parameter}))`,
};

/** SQLite keeps JSON and times as text. */
type SqliteDeliveryRow = DeliveryRow<string, string>;
const codec: RowCodec<string, string> = { json: (text) => JSON.parse(text), time: (text) => new Date(text) };
const fromRow = (row: SqliteDeliveryRow) => fromDeliveryRow(row, codec);

/** The writer thread's module: a .ts source run by Node, or the .js that the package ships (a URL is not rewritten by the compiler). */
const writerThread = new URL(`./writer-thread${extname(import.meta.url)}`, import.meta.url);

interface PostedBatch {
  resolve: (results: PromiseSettledResult<unknown>[]) => void;
  reject: (error: unknown) => void;
}

interface SqliteInboxOptions {
  /** How long a write waits for another connection's lock before it fails. */
  busyTimeoutMs?: number;
  /** Throw InboxNotFound rather than create the file. */
  mustExist?: boolean;
  /** Create the file's directory when it is missing (by default); otherwise throw InboxNotFound. */
  createDirectory?: boolean;
}

/**
 * The inbox in one SQLite file. Reads run on this thread's connection; writes go to a writer
 * thread (see writer-thread.ts): the writes requested in one turn of the event loop travel
 * as one batch, and the writer commits every batch that arrived during its previous commit in
 * one transaction, so one fsync makes many deliveries durable. Every promise resolves only after
 * its commit; a write that fails fails alone, and a commit that fails fails all of its writes.
 */
export class SqliteInbox implements Inbox {
  readonly #reader: DatabaseSync;
  readonly #writer: Worker;
  /** The inbox's end of the channel to the writer thread. */
  readonly #writerPort: MessagePort;
  readonly #reads;
  readonly #batches = new TurnBatch<WriteOperation, unknown>((operations) => this.#post(operations));
  readonly #newDeliveries = new Signal();
  readonly #leasesAtIntake = new IntakeLeases();
  readonly #writeHealth = new ProbedAvailability(
    () => this.#write({ kind: 'probe' }),
    (error) => !refusedForWhatItHolds(error) && !(error instanceof DataKeyGone),
  );
  /** Batches posted to the writer thread and not answered yet, by number. */
  readonly #inFlight = new Map<number, PostedBatch>();
  #nextBatch = 0;
  #closed: Promise<void> | undefined;
  /** Set when the writer thread died: every write fails from then on (503), never hangs. */
  #writerFailure: Error | undefined;

  constructor(path: string, { busyTimeoutMs = 1000, mustExist = false, createDirectory = true }: SqliteInboxOptions = {}) {
    if (mustExist && !existsSync(path)) {
      throw new InboxNotFound(
        `No inbox at ${path}: the receiver creates it when it first starts. Set DATABASE_URL=sqlite:<path> to the inbox's file.`,
      );
    }
    if (createDirectory) mkdirSync(dirname(path), { recursive: true });
    else if (!existsSync(dirname(path))) {
      throw new InboxNotFound(
        `the directory ${dirname(path)} does not exist: create it, or correct the path in DATABASE_URL (in production the receiver creates no directory but its default's)`,
      );
    }
    this.#reader = openDatabase(path, busyTimeoutMs);
    migrate(this.#reader);
    const prepare = (sql: string) => this.#reader.prepare(sql);
    const reads = readQueries(sqliteTables);
    this.#reads = {
      get: prepare(reads.get),
      countByState: prepare('SELECT state, count FROM state_counts'),
      oldestPending: prepare(reads.oldestPending),
      oldestUnforwardedOf: prepare(reads.oldestUnforwarded('only')),
      oldestUnforwardedExcept: prepare(reads.oldestUnforwarded('except')),
      failedAttempts: prepare(reads.failedAttempts),
      drift: prepare(driftQuery()),
      lane: prepare(reads.lane),
      laneQueue: prepare(reads.laneQueue),
      endedSessions: prepare(endedSessionsQuery),
      countErased: prepare(
        'SELECT count(*) AS count FROM deliveries WHERE erased_at IS NOT NULL AND (:endUserId IS NULL OR end_user_id = :endUserId)',
      ),
      dataKeyOf: prepare(dataKeyReads.dataKeyOf),
      dataKeyById: prepare(dataKeyReads.dataKeyById),
      dataKeys: prepare(dataKeyReads.dataKeys),
      ping: prepare('SELECT 1'),
    };

    const { port1, port2 } = new MessageChannel();
    const workerData: WriterData = { path, busyTimeoutMs, port: port2 };
    this.#writer = new Worker(writerThread, { workerData, transferList: [port2] });
    this.#writerPort = port1;
    this.#writerPort.on('message', (answer: WriterAnswer) => this.#settleCommit(answer));
    this.#writer.on('error', (error) => this.#failAll(error));
    this.#writer.on('exit', () => this.#failAll(new Error('The inbox writer thread exited')));
    // An idle writer does not keep the process alive; a batch under way does (its port is ref'd).
    this.#writer.unref();
    this.#writerPort.unref();
  }

  async accept(delivery: NewDelivery): Promise<StoreOutcome> {
    const row = newRow(delivery);
    const { outcome, leased } = await this.#leasesAtIntake.write(delivery, row, (lease) =>
      this.#storeDelivery({ kind: 'accept', row, lease }),
    );
    if (outcome === 'stored' && !leased) this.#newDeliveries.emit();
    return outcome;
  }

  async quarantine(delivery: NewDelivery, violations: Violation[]): Promise<StoreOutcome> {
    return this.#storeDelivery({ kind: 'quarantine', row: newRow(delivery), violations: storableViolations(violations) });
  }

  claim({ owner, limit, leaseMs, now = new Date() }: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.#write({ kind: 'claim', options: { owner, limit, leaseMs, now } });
  }

  settle(owner: string, settlements: Settlement[]): Promise<void> {
    return this.#write({ kind: 'settle', owner, settlements, now: new Date() });
  }

  async requeue(deliveries: readonly Requeue[]): Promise<number> {
    const rows = deliveries.map(({ id, traceContext }) => ({ id, traceContext: traceContextColumn(traceContext) }));
    const requeued = await this.#writeHealth.track(this.#write({ kind: 'requeue', deliveries: rows }));
    if (requeued > 0) this.#newDeliveries.emit();
    return requeued;
  }

  updateViolations(id: string, violations: Violation[]): Promise<void> {
    return this.#write({ kind: 'updateViolations', id, violations: storableViolations(violations) });
  }

  discard(id: string, discard: Discard): Promise<boolean> {
    return this.#write({ kind: 'discard', id, discard });
  }

  erase(endUserId: string, at: Date): Promise<number> {
    const kept = storableEndUserId(endUserId);
    return this.#write({ kind: 'erase', endUserId: kept, owner: dataKeyOwnerOf(kept), at });
  }

  async countErased(endUserId?: string): Promise<number> {
    const kept = endUserId === undefined ? null : storableEndUserId(endUserId);
    return (this.#reads.countErased.get({ endUserId: kept }) as { count: number }).count;
  }

  async dataKeyOf(owner: string): Promise<StoredDataKey | undefined> {
    return this.#reads.dataKeyOf.get(owner) as StoredDataKey | undefined;
  }

  async dataKeyById(id: string): Promise<StoredDataKey | undefined> {
    return this.#reads.dataKeyById.get(id) as StoredDataKey | undefined;
  }

  addDataKey(key: StoredDataKey): Promise<StoredDataKey> {
    return this.#write({ kind: 'addDataKey', key });
  }

  async dataKeys(afterId: string | undefined, limit: number): Promise<StoredDataKey[]> {
    return this.#reads.dataKeys.all(afterId ?? '', limit) as unknown as StoredDataKey[];
  }

  rewrapDataKey(id: string, previous: string, wrapped: string): Promise<boolean> {
    return this.#write({ kind: 'rewrapDataKey', id, previous, wrapped });
  }

  purge({ state, receivedBefore, limit }: PurgeBatch): Promise<number> {
    return this.#write({ kind: 'purge', state, receivedBefore: receivedBefore.toISOString(), limit });
  }

  recordDrift(summaries: readonly DriftSummary[]): Promise<void> {
    return this.#write({ kind: 'recordDrift', summaries });
  }

  /** How the writer's connection makes each commit durable: its journal mode and synchronous level, read on it. */
  durability(): Promise<Durability> {
    return this.#write({ kind: 'durability' });
  }

  async drift({ since, eventType }: DriftFilter = {}): Promise<DriftSummary[]> {
    const rows = this.#reads.drift.all({ since: since?.getTime() ?? 0, eventType: eventType ?? null });
    return (rows as unknown as DriftRow[]).map(fromDriftRow);
  }

  endSession(session: EndedSession): Promise<void> {
    return this.#write({ kind: 'endSession', session, now: new Date() });
  }

  async endedSessions(ids: readonly string[]): Promise<string[]> {
    const rows = this.#reads.endedSessions.all(JSON.stringify(ids), Date.now()) as { id: string }[];
    return rows.map(({ id }) => id);
  }

  leaseAtIntake(claimer: LeaseAtIntake): () => void {
    return this.#leasesAtIntake.register(claimer);
  }

  /** Only this process's deliveries: another process on the same file is seen at the next poll. */
  onNewDeliveries(listener: NewDeliveriesListener): () => void {
    return this.#newDeliveries.subscribe(listener);
  }

  onAvailabilityChange(listener: (availability: Availability) => void): () => void {
    return this.#writeHealth.onChange(listener);
  }

  async get(id: string): Promise<StoredDelivery | undefined> {
    const row = this.#reads.get.get(id) as SqliteDeliveryRow | undefined;
    return row && fromRow(row);
  }

  async list(filter: DeliveryFilter): Promise<StoredDelivery[]> {
    const { text, parameters } = listQuery(filter, {
      ...sqliteTables,
      idPrefixAsRange: filter.idPrefix !== undefined && this.#fewIdsStartWith(filter.idPrefix),
    });
    const rows = this.#reader.prepare(text).all(...(parameters as SQLInputValue[]));
    return (rows as unknown as SqliteDeliveryRow[]).map(fromRow);
  }

  async count(query: DeliveryQuery): Promise<number> {
    const { text, parameters } = countQuery(query, { ...sqliteTables, idPrefixAsRange: true });
    const { count } = this.#reader.prepare(text).get(...(parameters as SQLInputValue[])) as { count: number };
    return count;
  }

  /**
   * Whether fewer than a few thousand ids start with `prefix`, counted along the id's index: a
   * list then reads their range and sorts it, rather than reading every state newest first until
   * a page of them turns up (which is quicker when many share the prefix).
   */
  #fewIdsStartWith(prefix: string): boolean {
    const parameters: string[] = [];
    const range = idRangeOf(prefix, (parameter) => (parameters.push(parameter as string), '?'));
    const few = 2000;
    const { rows } = this.#reader
      .prepare(`SELECT count(*) AS rows FROM (SELECT 1 FROM deliveries WHERE ${range} LIMIT ${few})`)
      .get(...parameters) as { rows: number };
    return rows < few;
  }

  async failedAttempts(id: string): Promise<FailedAttempt[]> {
    return (this.#reads.failedAttempts.all(id) as unknown as FailedAttemptRow[]).map(fromFailedAttemptRow);
  }

  async lane(key: string): Promise<LaneState | undefined> {
    const row = this.#reads.lane.get(key) as LaneRow | undefined;
    return row && fromLaneRow(row);
  }

  async laneQueue(key: string, limit: number): Promise<StoredDelivery[]> {
    return (this.#reads.laneQueue.all(key, limit) as unknown as SqliteDeliveryRow[]).map(fromRow);
  }

  async countByState(): Promise<Record<DeliveryState, number>> {
    return countsByState(this.#reads.countByState.all() as { state: DeliveryState; count: number }[]);
  }

  async oldestPending(): Promise<Date | undefined> {
    const { oldest } = this.#reads.oldestPending.get() as { oldest: string | null };
    return oldest === null ? undefined : new Date(oldest);
  }

  async oldestUnforwarded(types: EventTypeSelection): Promise<Date | undefined> {
    const [statement, names] =
      'only' in types ? [this.#reads.oldestUnforwardedOf, types.only] : [this.#reads.oldestUnforwardedExcept, types.except];
    const row = statement.get(JSON.stringify(names)) as { received_at: string } | undefined;
    return row && new Date(row.received_at);
  }

  async ping(): Promise<void> {
    if (this.#closed) throw new Error('The inbox is closed');
    this.#reads.ping.get();
    await this.#writeHealth.check();
  }

  /** Commits what is queued, waits for every batch under way, then closes both connections. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#writeHealth.stop();
      await this.#batches.idle();
      if (!this.#writerFailure) {
        this.#writer.ref();
        const exited = once(this.#writer, 'exit');
        this.#writerPort.postMessage({ close: true } satisfies WriterRequest);
        await exited;
      }
      this.#writerPort.close();
      this.#reader.close();
    })();
    return this.#closed;
  }

  /** Stores one delivery; a refusal of what it holds is that delivery's failure (DeliveryRefused), not an outage. */
  #storeDelivery<Kind extends 'accept' | 'quarantine'>(operation: WriteOperation & { kind: Kind }): Promise<WriteResults[Kind]> {
    return this.#writeHealth.track(this.#write<Kind>(operation)).catch((error: unknown) => {
      throw refusalOf(error, refusedForWhatItHolds);
    });
  }

  #write<Kind extends WriteOperation['kind']>(operation: WriteOperation & { kind: Kind }): Promise<WriteResults[Kind]> {
    if (this.#closed) return Promise.reject(new Error('The inbox is closed'));
    if (this.#writerFailure) return Promise.reject(this.#writerFailure);
    return this.#batches.add(operation) as Promise<WriteResults[Kind]>;
  }

  /** Posts one batch to the writer thread; resolves with how each operation went once their commit is done. */
  #post(operations: WriteOperation[]): Promise<PromiseSettledResult<unknown>[]> {
    if (this.#writerFailure) return Promise.reject(this.#writerFailure);
    const batch = (this.#nextBatch += 1);
    return new Promise((resolve, reject) => {
      this.#inFlight.set(batch, { resolve, reject });
      this.#writerPort.ref();
      this.#writerPort.postMessage({ batch, operations } satisfies WriterRequest);
    });
  }

  #settleCommit(answer: WriterAnswer): void {
    const error = 'error' in answer ? fromErrorAnswer(answer.error) : undefined;
    answer.batches.forEach((batch, index) => {
      const posted = this.#inFlight.get(batch);
      this.#inFlight.delete(batch);
      if (error) posted?.reject(error);
      else if ('results' in answer) {
        const steps = answer.results[index]!;
        posted?.resolve(steps.map((step) => (step.status === 'fulfilled' ? step : { ...step, reason: fromErrorAnswer(step.reason) })));
      }
    });
    if (this.#inFlight.size === 0) this.#writerPort.unref();
  }

  #failAll(error: Error): void {
    this.#writerFailure ??= error;
    for (const posted of this.#inFlight.values()) posted.reject(error);
    this.#inFlight.clear();
    this.#writerPort.unref();
  }
}

function fromErrorAnswer({ name, message, code, errcode }: ErrorAnswer): Error {
  if (name === DataKeyGone.name) return new DataKeyGone(message);
  return Object.assign(new Error(message), { code, errcode });
}
