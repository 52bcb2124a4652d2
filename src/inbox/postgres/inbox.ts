import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { driftKey } from '../../contract/drift.ts';
import type { Violation } from '../../contract/validation.ts';
import {
  InboxNotFound,
  addSightings,
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
  fromDeliveryRow,
  fromDriftRow,
  fromFailedAttemptRow,
  fromLaneRow,
  type DeliveryRow,
  type DriftRow,
  type FailedAttemptRow,
  type LaneRow,
  type RowCodec,
} from '../rows.ts';
import { countQuery, listQuery } from '../list-query.ts';
import { dataKeyOwnerOf, derivedFields, storableEndUserId } from '../ordering.ts';
import { refusalOf, storableViolations } from '../storable.ts';
import { TurnBatch } from '../turn-batch.ts';
import { IntakeLeases, type IntakeResult } from '../intake-leases.ts';
import { ProbedAvailability, type Availability } from '../../support/availability.ts';
import { NotificationListener } from './notifications.ts';
import { migrate, schemaExists } from './schema.ts';
import { claim, claimStatements } from './claim.ts';
import { dataKeyGoneOf, dataKeyStatements } from './data-keys.ts';
import { erase, eraseStatements } from './erase.ts';
import { intakeStatements, storeDeliveries, type IntakeWrite } from './intake.ts';
import { prepareAll } from './prepared.ts';
import { requeue, requeueStatements } from './requeue.ts';
import { settle, settleStatements } from './settle.ts';
import { createHandlerTransactions } from './settle-in-transaction.ts';
import type { HandlerTransactions } from '../handler-transactions.ts';
import { postgresTables, statements } from './statements.ts';
import { carryOutTogether, refusedForWhatItHolds } from './together.ts';

interface PostgresInboxOptions {
  /** A `postgres://` or `postgresql://` URL; its query parameters (sslmode, application_name, ...) apply. */
  connectionString: string;
  /** The PostgreSQL schema that holds the inbox's tables, created if missing. */
  schema: string;
  /** Connections in the pool. */
  poolSize: number;
  connectTimeoutMs: number;
  /** A statement that takes longer fails (and its delivery is answered 503), rather than hanging. */
  queryTimeoutMs: number;
  /** Throw InboxNotFound rather than create the schema. */
  mustExist?: boolean;
}

/** PostgreSQL's driver parses jsonb and timestamptz itself. */
type PostgresDeliveryRow = DeliveryRow<unknown, Date>;
const codec: RowCodec<unknown, Date> = { json: (value) => value, time: (value) => value };
const fromRow = (row: PostgresDeliveryRow) => fromDeliveryRow(row, codec);

type Write =
  | ({ kind: 'intake' } & IntakeWrite)
  | { kind: 'settle'; owner: string; settlements: Settlement[] }
  | { kind: 'claim'; options: Required<ClaimOptions> };

const int8 = 20;

/**
 * The inbox on PostgreSQL, shared by several replicas. The writes of one turn of the event loop
 * travel together: the deliveries taken in as one statement (one round trip, one commit), the
 * settlements as one statement, and then the claims, so that a claim sees the lanes that the
 * settlements before it moved on; a write that the server refuses fails alone. Other replicas hear
 * of new deliveries through LISTEN/NOTIFY.
 */
export class PostgresInbox implements Inbox {
  readonly #pool: pg.Pool;
  readonly #clientConfig: pg.ClientConfig;
  readonly #schema: string;
  readonly #sql: ReturnType<typeof statements>;
  /** The statements of intake, claim, settle and requeue, prepared on the pool. */
  readonly #operations;
  readonly #writes: TurnBatch<Write, unknown>;
  /** This process's listeners: each says whether it has room to claim what was stored. */
  readonly #newDeliveries = new Set<NewDeliveriesListener>();
  readonly #leasesAtIntake = new IntakeLeases();
  readonly #writeHealth = new ProbedAvailability(
    async () => void (await this.#pool.query(this.#sql.probe)),
    (error) => !refusedForWhatItHolds(error),
  );
  /** The channel of this inbox's notices, and this process's own payload on it. */
  readonly #channel: string;
  readonly #instance = randomUUID();
  #listener: NotificationListener | undefined;
  /** A notice is on its way; `#noticeAgain` when more deliveries were stored meanwhile. */
  #noticeInFlight = false;
  #noticeAgain = false;
  #closed: Promise<void> | undefined;
  /** Transactions of the pool for handlers whose writes commit with their settlement. */
  readonly handlerTransactions: HandlerTransactions;

  static async open(options: PostgresInboxOptions): Promise<PostgresInbox> {
    const inbox = new PostgresInbox(options);
    try {
      if (options.mustExist && !(await schemaExists(inbox.#pool, inbox.#schema))) {
        throw new InboxNotFound(
          `No inbox in the schema ${options.schema} of this database: the receiver creates it when it first starts. Set DATABASE_SCHEMA to the inbox's schema.`,
        );
      }
      await migrate(inbox.#pool, inbox.#schema);
    } catch (error) {
      await inbox.close();
      throw error;
    }
    return inbox;
  }

  private constructor({ connectionString, schema, poolSize, connectTimeoutMs, queryTimeoutMs }: PostgresInboxOptions) {
    this.#clientConfig = {
      connectionString,
      application_name: 'ada-webhooks',
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: queryTimeoutMs,
      // Event times and due times are milliseconds, well within a double.
      types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === int8 ? Number : pg.types.getTypeParser(oid, format)) },
    };
    this.#pool = new pg.Pool({ ...this.#clientConfig, max: poolSize, idleTimeoutMillis: 30_000 });
    // An idle connection that PostgreSQL closes (a restart, say) errors here; the pool drops it
    // and opens a new one when needed. Writes that fail meanwhile are answered 503 upstream, and
    // probes tell when the server takes writes again.
    this.#pool.on('error', (error) => this.#writeHealth.lost(`PostgreSQL closed a connection: ${error.message}`));
    this.#schema = pg.escapeIdentifier(schema);
    this.#sql = statements(this.#schema);
    this.#operations = prepareAll(
      this.#pool,
      this.#schema,
      {
        ...intakeStatements(this.#schema),
        ...claimStatements(this.#schema),
        ...settleStatements(this.#schema),
        ...requeueStatements(this.#schema),
        ...eraseStatements(this.#schema),
        ...dataKeyStatements(this.#schema),
      },
      queryTimeoutMs,
    );
    this.handlerTransactions = createHandlerTransactions(this.#pool, this.#schema, poolSize);
    this.#channel = `ada_webhooks:${schema}`;
    // One connection stays free for reads (readiness, metrics) while writes queue.
    this.#writes = new TurnBatch((writes) => this.#carryOut(writes), Math.max(1, poolSize - 1));
  }

  async accept(delivery: NewDelivery): Promise<StoreOutcome> {
    const fields = derivedFields(delivery);
    const { outcome } = await this.#leasesAtIntake.write(delivery, fields, (lease) =>
      this.#storeDelivery({ delivery, fields, violations: null, lease }),
    );
    return outcome;
  }

  async quarantine(delivery: NewDelivery, violations: Violation[]): Promise<StoreOutcome> {
    const fields = derivedFields(delivery);
    return (await this.#storeDelivery({ delivery, fields, violations: storableViolations(violations), lease: undefined })).outcome;
  }

  claim({ owner, limit, leaseMs, now = new Date() }: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.#write({ kind: 'claim', options: { owner, limit, leaseMs, now } }) as Promise<ClaimedDelivery[]>;
  }

  async settle(owner: string, settlements: Settlement[]): Promise<void> {
    await this.#write({ kind: 'settle', owner, settlements });
  }

  async requeue(deliveries: readonly Requeue[]): Promise<number> {
    this.#refuseWhenClosed();
    const requeued = await this.#writeHealth.track(requeue(this.#operations, deliveries));
    if (requeued > 0) this.#announceNewDeliveries();
    return requeued;
  }

  async updateViolations(id: string, violations: Violation[]): Promise<void> {
    this.#refuseWhenClosed();
    await this.#pool.query(this.#sql.updateViolations, [id, JSON.stringify(storableViolations(violations))]);
  }

  async discard(id: string, { at, by }: Discard): Promise<boolean> {
    this.#refuseWhenClosed();
    const { rowCount } = await this.#pool.query(this.#sql.discard, [id, at.getTime(), by]);
    return (rowCount ?? 0) > 0;
  }

  async erase(endUserId: string, at: Date): Promise<number> {
    this.#refuseWhenClosed();
    const kept = storableEndUserId(endUserId);
    const erased = await erase(this.#operations, kept, dataKeyOwnerOf(kept), at);
    // The destroyed key's row is dead, not gone, until a vacuum: gone from the table's file at once.
    await this.#pool.query(`VACUUM ${this.#schema}.data_keys`);
    return erased;
  }

  async countErased(endUserId?: string): Promise<number> {
    const kept = endUserId === undefined ? null : storableEndUserId(endUserId);
    const { rows } = await this.#pool.query<{ count: number }>(this.#sql.countErased, [kept]);
    return rows[0]!.count;
  }

  async dataKeyOf(owner: string): Promise<StoredDataKey | undefined> {
    return (await this.#operations.dataKeyOf<StoredDataKey>([owner])).rows[0];
  }

  async dataKeyById(id: string): Promise<StoredDataKey | undefined> {
    return (await this.#operations.dataKeyById<StoredDataKey>([id])).rows[0];
  }

  async addDataKey({ id, owner, wrapped }: StoredDataKey): Promise<StoredDataKey> {
    this.#refuseWhenClosed();
    const [stored] = (await this.#operations.addDataKey<StoredDataKey>([id, owner, wrapped])).rows;
    // None when another transaction stored the owner's key after this statement's snapshot was
    // taken: the insert waited for it and did nothing, and the snapshot does not show it.
    return stored ?? (await this.dataKeyOf(owner))!;
  }

  async dataKeys(afterId: string | undefined, limit: number): Promise<StoredDataKey[]> {
    return (await this.#operations.dataKeys<StoredDataKey>([afterId ?? '', limit])).rows;
  }

  async rewrapDataKey(id: string, previous: string, wrapped: string): Promise<boolean> {
    this.#refuseWhenClosed();
    const { rowCount } = await this.#operations.rewrapDataKey([id, previous, wrapped]);
    return (rowCount ?? 0) > 0;
  }

  async purge({ state, receivedBefore, limit }: PurgeBatch): Promise<number> {
    this.#refuseWhenClosed();
    const { rows } = await this.#writeHealth.track(
      this.#pool.query<{ purged: number }>(this.#sql.purge, [state, receivedBefore.toISOString(), limit]),
    );
    return rows[0]!.purged;
  }

  async recordDrift(summaries: readonly DriftSummary[]): Promise<void> {
    this.#refuseWhenClosed();
    // One row per key, as ON CONFLICT cannot update a row twice in one statement.
    const byKey = new Map<string, DriftSummary>();
    for (const summary of summaries) {
      const key = driftKey(summary);
      const before = byKey.get(key);
      byKey.set(key, before ? addSightings(before, summary) : summary);
    }
    const rows = [...byKey.values()];
    await this.#pool.query(this.#sql.recordDrift, [
      rows.map(({ eventType }) => eventType),
      rows.map(({ kind }) => kind),
      rows.map(({ path }) => path),
      rows.map(({ detail }) => detail),
      rows.map(({ deliveries }) => deliveries),
      rows.map(({ firstSeenAt }) => firstSeenAt.getTime()),
      rows.map(({ lastSeenAt }) => lastSeenAt.getTime()),
      rows.map(({ exampleId }) => exampleId),
      rows.map(({ exampleValue }) => exampleValue),
    ]);
  }

  async drift({ since, eventType }: DriftFilter = {}): Promise<DriftSummary[]> {
    const { rows } = await this.#pool.query<DriftRow>(this.#sql.drift, [since?.getTime() ?? 0, eventType ?? null]);
    return rows.map(fromDriftRow);
  }

  async endSession({ id, expiresAt }: EndedSession): Promise<void> {
    this.#refuseWhenClosed();
    await this.#pool.query(this.#sql.endSession, [id, expiresAt.getTime(), Date.now()]);
  }

  async endedSessions(ids: readonly string[]): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(this.#sql.endedSessions, [ids, Date.now()]);
    return rows.map(({ id }) => id);
  }

  leaseAtIntake(claimer: LeaseAtIntake): () => void {
    return this.#leasesAtIntake.register(claimer);
  }

  /** Deliveries stored by this process at once; by other replicas, when their notice arrives (they send one only when they have no room). */
  onNewDeliveries(listener: NewDeliveriesListener): () => void {
    this.#listener ??= new NotificationListener(this.#clientConfig, this.#channel, this.#instance, () => this.#tellListeners());
    this.#newDeliveries.add(listener);
    return () => this.#newDeliveries.delete(listener);
  }

  /** Tells every listener here; true when one of them has room to claim. */
  #tellListeners(): boolean {
    let room = false;
    for (const listener of this.#newDeliveries) room = listener() || room;
    return room;
  }

  onAvailabilityChange(listener: (availability: Availability) => void): () => void {
    return this.#writeHealth.onChange(listener);
  }

  async get(id: string): Promise<StoredDelivery | undefined> {
    const { rows } = await this.#pool.query<PostgresDeliveryRow>(this.#sql.get, [id]);
    return rows[0] && fromRow(rows[0]);
  }

  async list(filter: DeliveryFilter): Promise<StoredDelivery[]> {
    const { text, parameters } = listQuery(filter, postgresTables(this.#schema));
    const { rows } = await this.#pool.query<PostgresDeliveryRow>(text, parameters);
    return rows.map(fromRow);
  }

  async count(query: DeliveryQuery): Promise<number> {
    const { text, parameters } = countQuery(query, postgresTables(this.#schema));
    const { rows } = await this.#pool.query<{ count: number }>(text, parameters);
    return rows[0]!.count;
  }

  async failedAttempts(id: string): Promise<FailedAttempt[]> {
    const { rows } = await this.#pool.query<FailedAttemptRow>(this.#sql.failedAttempts, [id]);
    return rows.map(fromFailedAttemptRow);
  }

  async lane(key: string): Promise<LaneState | undefined> {
    const { rows } = await this.#pool.query<LaneRow>(this.#sql.lane, [key]);
    return rows[0] && fromLaneRow(rows[0]);
  }

  async laneQueue(key: string, limit: number): Promise<StoredDelivery[]> {
    const { rows } = await this.#pool.query<PostgresDeliveryRow>(this.#sql.laneQueue, [key, limit]);
    return rows.map(fromRow);
  }

  async countByState(): Promise<Record<DeliveryState, number>> {
    const { rows } = await this.#pool.query<{ state: DeliveryState; count: number }>(this.#sql.countByState);
    return countsByState(rows);
  }

  async oldestPending(): Promise<Date | undefined> {
    const { rows } = await this.#pool.query<{ oldest: Date | null }>(this.#sql.oldestPending);
    return rows[0]?.oldest ?? undefined;
  }

  async oldestUnforwarded(types: EventTypeSelection): Promise<Date | undefined> {
    const [selection, names] = 'only' in types ? (['only', types.only] as const) : (['except', types.except] as const);
    const { rows } = await this.#pool.query<{ received_at: Date }>(this.#sql.oldestUnforwarded(selection), [names]);
    return rows[0]?.received_at;
  }

  async ping(): Promise<void> {
    this.#refuseWhenClosed();
    await this.#pool.query('SELECT 1');
    await this.#writeHealth.check();
  }

  /** Sends what is queued, lets the pool finish what is under way, then closes every connection. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#writeHealth.stop();
      await this.#writes.idle();
      await this.#listener?.stop();
      await this.#pool.end();
    })();
    return this.#closed;
  }

  /**
   * Wakes this process's dispatcher; when it has no room (or there is none: a receiver alone, a
   * command), tells the other replicas: one notice at a time, after the commit, and the notices
   * asked for meanwhile become one. A lost notice costs a poll.
   */
  #announceNewDeliveries(): void {
    if (!this.#tellListeners()) this.#noticeOtherReplicas();
  }

  #noticeOtherReplicas(): void {
    if (this.#noticeInFlight) {
      this.#noticeAgain = true;
      return;
    }
    this.#noticeInFlight = true;
    this.#pool
      .query({ name: `notify ${this.#schema}`, text: this.#sql.notify, values: [this.#channel, this.#instance] })
      .catch(() => {})
      .finally(() => {
        this.#noticeInFlight = false;
        if (this.#noticeAgain) {
          this.#noticeAgain = false;
          this.#noticeOtherReplicas();
        }
      });
  }

  #refuseWhenClosed(): void {
    if (this.#closed) throw new Error('The inbox is closed');
  }

  /** Stores one delivery; a refusal of what it holds is that delivery's failure (DeliveryRefused), not an outage. */
  #storeDelivery(write: IntakeWrite): Promise<IntakeResult> {
    const stored = this.#write({ kind: 'intake', ...write }) as Promise<IntakeResult>;
    return this.#writeHealth.track(stored).catch((error: unknown) => {
      throw refusalOf(dataKeyGoneOf(error), refusedForWhatItHolds);
    });
  }

  async #write(write: Write): Promise<unknown> {
    this.#refuseWhenClosed();
    return this.#writes.add(write);
  }

  /**
   * One turn's writes: intake and settlements at once, then the claims; how each write went, in
   * order. Each group is a statement of its own, which fails only its own writes (see
   * together.ts): an intake that committed is answered, its leased deliveries handed over,
   * whatever became of the settlements beside it.
   */
  async #carryOut(writes: Write[]): Promise<PromiseSettledResult<unknown>[]> {
    const results = new Map<Write, PromiseSettledResult<unknown>>();
    const record = (group: readonly Write[], settled: PromiseSettledResult<unknown>[]) =>
      group.forEach((write, index) => results.set(write, settled[index]!));
    const intake = writes.filter((write) => write.kind === 'intake');
    const settlements = writes.filter((write) => write.kind === 'settle');
    const claims = writes.filter((write) => write.kind === 'claim');
    await Promise.all([
      intake.length > 0 && carryOutTogether(intake, (group) => this.#store(group)).then((settled) => record(intake, settled)),
      (async () => {
        // One statement per owner (a process has one).
        for (const [owner, ownWrites] of Map.groupBy(settlements, (write) => write.owner)) {
          const settled = await carryOutTogether(ownWrites, async (group) => {
            await settle(
              this.#operations,
              owner,
              group.flatMap((write) => write.settlements),
            );
            return group.map(() => undefined);
          });
          record(ownWrites, settled);
        }
        for (const write of claims) record([write], await Promise.allSettled([claim(this.#operations, write.options)]));
      })(),
    ]);
    return writes.map((write) => results.get(write)!);
  }

  /** Stores deliveries in one statement, and announces those that became pending without a lease. */
  async #store(writes: readonly IntakeWrite[]): Promise<IntakeResult[]> {
    const { results, pending } = await storeDeliveries(this.#operations, writes);
    if (pending) this.#announceNewDeliveries();
    return results;
  }
}
