// An inbox that keeps what deliveries say encrypted at rest (INBOX_ENCRYPTION_KEY): a delivery's
// body, its headers, its errors and the drift examples it gave are sealed (envelope.ts) under its
// end user's data key, or the key of the deliveries that name none (data-key-cache.ts), before the
// store sees them, and opened once it has read them. Ids, event types, lanes, states and times
// stay in clear, so that lanes, lists, filters, retention and erasure work on them as before.
// What cannot be opened (its key destroyed, a byte altered) makes that delivery unreadable, is
// told once, and stops nothing else. What was stored in clear before encryption was turned on
// reads as it is.
import { storableText } from '../../support/storable-text.ts';
import {
  DataKeyGone,
  type ClaimedDelivery,
  type ClaimOptions,
  type DeliveryFilter,
  type DeliveryQuery,
  type Discard,
  type DriftFilter,
  type DriftSummary,
  type EndedSession,
  type EventTypeSelection,
  type FailedAttempt,
  type Inbox,
  type LeaseAtIntake,
  type NewDeliveriesListener,
  type NewDelivery,
  type PurgeBatch,
  type Requeue,
  type Settlement,
  type StoreOutcome,
  type StoredDataKey,
  type StoredDelivery,
} from '../inbox.ts';
import type { Violation } from '../../contract/validation.ts';
import type { Availability } from '../../support/availability.ts';
import { dataKeyOwnerOf, endUserOf, storableEndUserId } from '../ordering.ts';
import { maxErrorBytes } from '../storable.ts';
import { DataKeyCache } from './data-key-cache.ts';
import { envelopeKeyId, isSealed, openField, plainBytesWithin, sealField, type SealedField } from './envelope.ts';
import type { EncryptionKeys } from './keys.ts';

export interface EncryptedInboxOptions {
  /** Told why a delivery's content cannot be read, once for each delivery and reason (among the last thousand): for an error line. */
  onUnreadable(deliveryId: string, reason: string): void;
  /** How long a data key is used before it is read again from the store (a minute by default). */
  keyLifetimeMs?: number;
  /** The most data keys held in memory (10,000 by default). */
  maxKeysHeld?: number;
}

/**
 * The headers of a delivery sealed with its body, in one envelope (one cipher a delivery rather
 * than two: each costs more than the bytes it seals), as the JSON object that a store keeps
 * headers as: no header kept for audit is named so.
 */
const sealedHeaders: Record<string, string> = { $sealed: 'with the body' };

/** How many deliveries' data key ids, and unreadable deliveries told, are remembered at most. */
const recentDeliveries = 10_000;
const recentTold = 1000;
/** How much of the bodies stored here lately is kept to hand to claims, in characters (sealed and as received). */
const storedHereLength = 16 * 1024 * 1024;

type Opened = { text: string; keyId: string | undefined } | { unreadable: string };

/** `inner` with the content of its deliveries sealed under `keys`. */
export const encryptedInbox = (inner: Inbox, keys: EncryptionKeys, options: EncryptedInboxOptions): Inbox =>
  new EncryptedInbox(inner, keys, options);

class EncryptedInbox implements Inbox {
  readonly #inner: Inbox;
  readonly #keys: DataKeyCache;
  readonly #onUnreadable: EncryptedInboxOptions['onUnreadable'];
  /**
   * The data key of each delivery stored, claimed or leased lately: what its settlement's error is
   * sealed under; null for one claimed that could not be read, whose error says only why.
   */
  readonly #keyIdOf = new Map<string, string | null>();
  /** The deliveries being written, by id, each sealed body with the body as received: what a lease at intake hands over. */
  readonly #beingWritten = new Map<string, { sealed: string; plain: string }[]>();
  /**
   * The deliveries stored here lately, until settled: a claim that the store hands back exactly as
   * it was sealed here (most are claimed by the process that stored them) needs no cipher to open.
   */
  readonly #storedHere = new RecentBodies(storedHereLength);
  /** The unreadable deliveries told lately, with why. */
  readonly #told = new Map<string, true>();

  constructor(inner: Inbox, keys: EncryptionKeys, { onUnreadable, keyLifetimeMs = 60_000, maxKeysHeld = 10_000 }: EncryptedInboxOptions) {
    this.#inner = inner;
    this.#keys = new DataKeyCache(inner, keys, { lifetimeMs: keyLifetimeMs, maxKeys: maxKeysHeld });
    this.#onUnreadable = onUnreadable;
  }

  accept(delivery: NewDelivery): Promise<StoreOutcome> {
    return this.#intake(delivery, (sealed) => this.#inner.accept(sealed));
  }

  quarantine(delivery: NewDelivery, violations: Violation[]): Promise<StoreOutcome> {
    return this.#intake(delivery, (sealed) => this.#inner.quarantine(sealed, violations));
  }

  async claim(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    return Promise.all((await this.#inner.claim(options)).map((claimed) => this.#openClaimed(claimed)));
  }

  async settle(owner: string, settlements: Settlement[]): Promise<void> {
    const sealed = await Promise.all(
      settlements.map(async (settlement) =>
        'error' in settlement ? { ...settlement, error: await this.#sealedError(settlement.id, settlement.error) } : settlement,
      ),
    );
    // A delivery's next attempt, if any, is claimed again, which says its key again.
    for (const { id } of settlements) {
      this.#keyIdOf.delete(id);
      this.#storedHere.delete(id);
    }
    return this.#inner.settle(owner, sealed);
  }

  leaseAtIntake(claimer: LeaseAtIntake): () => void {
    return this.#inner.leaseAtIntake({
      owner: claimer.owner,
      leaseMs: claimer.leaseMs,
      reserve: () => claimer.reserve(),
      leased: (delivery) => claimer.leased(delivery && this.#leasedAtIntake(delivery)),
    });
  }

  async get(id: string): Promise<StoredDelivery | undefined> {
    const delivery = await this.#inner.get(id);
    return delivery && this.#openDelivery(delivery);
  }

  async list(filter: DeliveryFilter): Promise<StoredDelivery[]> {
    return Promise.all((await this.#inner.list(filter)).map((delivery) => this.#openDelivery(delivery)));
  }

  async laneQueue(key: string, limit: number): Promise<StoredDelivery[]> {
    return Promise.all((await this.#inner.laneQueue(key, limit)).map((delivery) => this.#openDelivery(delivery)));
  }

  async failedAttempts(id: string): Promise<FailedAttempt[]> {
    return Promise.all(
      (await this.#inner.failedAttempts(id)).map(async (attempt) => {
        const error = await this.#open(id, attempt.error, 'error');
        return { ...attempt, error: 'text' in error ? error.text : this.#tell(id, error.unreadable) };
      }),
    );
  }

  async recordDrift(summaries: readonly DriftSummary[]): Promise<void> {
    const sealed = await Promise.all(
      summaries.map(async (summary) => {
        if (summary.exampleValue === null) return summary;
        // An example that cannot be sealed (its delivery was erased meanwhile) is not kept.
        const exampleValue = await this.#sealFor(summary.exampleId, summary.exampleValue, driftField(summary));
        return { ...summary, exampleValue: exampleValue ?? null };
      }),
    );
    return this.#inner.recordDrift(sealed);
  }

  async drift(filter?: DriftFilter): Promise<DriftSummary[]> {
    return Promise.all(
      (await this.#inner.drift(filter)).map(async (summary) => {
        if (summary.exampleValue === null) return summary;
        const example = await this.#open(summary.exampleId, summary.exampleValue, driftField(summary));
        if ('text' in example) return { ...summary, exampleValue: example.text };
        this.#tell(summary.exampleId, example.unreadable);
        return { ...summary, exampleValue: null };
      }),
    );
  }

  async erase(endUserId: string, at: Date): Promise<number> {
    const erased = await this.#inner.erase(endUserId, at);
    this.#keys.forgetOwner(dataKeyOwnerOf(storableEndUserId(endUserId)));
    // Which of them were the end user's is not known here.
    this.#storedHere.clear();
    return erased;
  }

  // What holds no content passes through.
  count = (query: DeliveryQuery): Promise<number> => this.#inner.count(query);
  lane = (key: string) => this.#inner.lane(key);
  countByState = () => this.#inner.countByState();
  oldestPending = (): Promise<Date | undefined> => this.#inner.oldestPending();
  oldestUnforwarded = (types: EventTypeSelection): Promise<Date | undefined> => this.#inner.oldestUnforwarded(types);
  onNewDeliveries = (listener: NewDeliveriesListener): (() => void) => this.#inner.onNewDeliveries(listener);
  requeue = (deliveries: readonly Requeue[]): Promise<number> => this.#inner.requeue(deliveries);
  purge = (batch: PurgeBatch): Promise<number> => this.#inner.purge(batch);
  updateViolations = (id: string, violations: Violation[]): Promise<void> => this.#inner.updateViolations(id, violations);
  discard = (id: string, discard: Discard): Promise<boolean> => this.#inner.discard(id, discard);
  countErased = (endUserId?: string): Promise<number> => this.#inner.countErased(endUserId);
  dataKeyOf = (owner: string): Promise<StoredDataKey | undefined> => this.#inner.dataKeyOf(owner);
  dataKeyById = (id: string): Promise<StoredDataKey | undefined> => this.#inner.dataKeyById(id);
  addDataKey = (key: StoredDataKey): Promise<StoredDataKey> => this.#inner.addDataKey(key);
  dataKeys = (afterId: string | undefined, limit: number): Promise<StoredDataKey[]> => this.#inner.dataKeys(afterId, limit);
  rewrapDataKey = (id: string, previous: string, wrapped: string): Promise<boolean> => this.#inner.rewrapDataKey(id, previous, wrapped);
  endSession = (session: EndedSession): Promise<void> => this.#inner.endSession(session);
  endedSessions = (ids: readonly string[]): Promise<string[]> => this.#inner.endedSessions(ids);
  onAvailabilityChange = (listener: (availability: Availability) => void): (() => void) => this.#inner.onAvailabilityChange(listener);
  ping = (): Promise<void> => this.#inner.ping();
  close = (): Promise<void> => this.#inner.close();

  /** Seals the delivery's headers and body under its owner's data key, then has `store` write it. */
  async #intake(delivery: NewDelivery, store: (sealed: NewDelivery) => Promise<StoreOutcome>): Promise<StoreOutcome> {
    const owner = dataKeyOwnerOf(endUserOf(delivery.event));
    for (let attempt = 1; ; attempt += 1) {
      const dataKey = await this.#keys.ofOwner(owner);
      // JSON text holds no line break: the first one ends the headers.
      const body = sealField(`${JSON.stringify(delivery.headers)}\n${delivery.body}`, dataKey, delivery.id, 'payload');
      const writing = { sealed: body, plain: delivery.body };
      this.#beingWritten.set(delivery.id, [...(this.#beingWritten.get(delivery.id) ?? []), writing]);
      try {
        const outcome = await store({ ...delivery, headers: sealedHeaders, body, dataKeyId: dataKey.id });
        if (outcome === 'stored') {
          remember(this.#keyIdOf, delivery.id, dataKey.id, recentDeliveries);
          this.#storedHere.add(delivery.id, writing);
        }
        return outcome;
      } catch (error) {
        // An erasure on another process destroyed the key after it was read here: once more, with the owner's key as it is now.
        if (!(error instanceof DataKeyGone) || attempt > 1) throw error;
        this.#keys.forget(dataKey.id);
      } finally {
        const others = this.#beingWritten.get(delivery.id)!.filter((each) => each !== writing);
        if (others.length > 0) this.#beingWritten.set(delivery.id, others);
        else this.#beingWritten.delete(delivery.id);
      }
    }
  }

  /** The delivery that intake leased, with the body as received: the lease is handed over while the write runs. */
  #leasedAtIntake(delivery: ClaimedDelivery): ClaimedDelivery | undefined {
    const body = this.#beingWritten.get(delivery.id)?.find(({ sealed }) => sealed === delivery.body)?.plain;
    // Never so while the store hands over the body it was given; if it were, the claimer would see
    // no lease, and the delivery would be claimed again once the lease runs out.
    if (body === undefined) return undefined;
    const keyId = envelopeKeyId(delivery.body);
    if (keyId !== undefined) remember(this.#keyIdOf, delivery.id, keyId, recentDeliveries);
    return { ...delivery, body };
  }

  async #openClaimed(claimed: ClaimedDelivery): Promise<ClaimedDelivery> {
    const unreadable = (reason: string): ClaimedDelivery => {
      remember(this.#keyIdOf, claimed.id, null, recentDeliveries);
      return { ...claimed, body: '', unreadable: reason };
    };
    if (claimed.unreadable !== null) return unreadable(claimed.unreadable);
    // Stored here, and handed back as it was sealed: the body as received, without a cipher.
    const storedHere = this.#storedHere.plainOf(claimed.id, claimed.body);
    if (storedHere !== undefined) return { ...claimed, body: storedHere };
    const payload = await this.#openPayload(claimed.id, claimed.body, undefined);
    if ('unreadable' in payload) return unreadable(this.#tell(claimed.id, payload.unreadable));
    if (payload.keyId !== undefined) remember(this.#keyIdOf, claimed.id, payload.keyId, recentDeliveries);
    return { ...claimed, body: payload.body };
  }

  async #openDelivery(delivery: StoredDelivery): Promise<StoredDelivery> {
    // Erased: its content is gone, and the store says so.
    if (delivery.unreadable !== null) return delivery;
    const unreadable = (reason: string): StoredDelivery => ({
      ...delivery,
      headers: {},
      body: '',
      lastError: null,
      unreadable: this.#tell(delivery.id, reason),
    });
    const payload = await this.#openPayload(delivery.id, delivery.body, delivery.headers);
    if ('unreadable' in payload) return unreadable(payload.unreadable);
    const { headers, body } = payload;
    if (delivery.lastError === null) return { ...delivery, headers, body };
    const lastError = await this.#open(delivery.id, delivery.lastError, 'error');
    if ('unreadable' in lastError) return unreadable(lastError.unreadable);
    return { ...delivery, headers, body, lastError: lastError.text };
  }

  /**
   * A delivery's headers and body: sealed together, or in clear as they were stored. `headers`:
   * as stored, unless they were not read (a claim's), and then the body alone is had.
   */
  async #openPayload(
    id: string,
    body: string,
    headers: Record<string, string> | undefined,
  ): Promise<{ headers: Record<string, string>; body: string; keyId: string | undefined } | { unreadable: string }> {
    const marked = headers !== undefined && Object.keys(headers).some(isSealed);
    if (!isSealed(body) && !marked) return { headers: headers ?? {}, body, keyId: undefined };
    const markedAsSealed = headers === undefined || (Object.keys(headers).length === 1 && headers['$sealed'] === sealedHeaders['$sealed']);
    if (!isSealed(body) || !markedAsSealed) return { unreadable: unreadableReason('payload', { tampered: true }) };
    const opened = await this.#open(id, body, 'payload');
    if ('unreadable' in opened) return opened;
    const end = opened.text.indexOf('\n');
    return {
      headers: JSON.parse(opened.text.slice(0, end)) as Record<string, string>,
      body: opened.text.slice(end + 1),
      keyId: opened.keyId,
    };
  }

  /** A stored text opened, or as it is when it is not sealed. */
  async #open(id: string, stored: string, field: SealedField): Promise<Opened> {
    if (!isSealed(stored)) return { text: stored, keyId: undefined };
    const keyId = envelopeKeyId(stored);
    const lookup = keyId === undefined ? undefined : await this.#keys.byId(keyId);
    if (lookup && 'missing' in lookup) return { unreadable: unreadableReason(field, { missing: lookup.missing }) };
    const opened = openField(stored, lookup?.key, id, field);
    return 'text' in opened ? { text: opened.text, keyId } : { unreadable: unreadableReason(field, { tampered: true }) };
  }

  /**
   * A settlement's error sealed as the delivery's content is, its sealed form within what the store
   * keeps of an error; as it is for a delivery claimed unreadable, whose error holds only why.
   */
  async #sealedError(id: string, error: string): Promise<string> {
    if (this.#keyIdOf.get(id) === null) return error;
    const sealed = await this.#sealFor(id, error, 'error');
    return sealed ?? 'the error is not kept: the content of the delivery cannot be read (erased, or its data key is missing)';
  }

  /**
   * `text` sealed under the data key of delivery `id`, or as it is when that delivery is stored in
   * clear (from before encryption); undefined when its key cannot be had.
   */
  async #sealFor(id: string, text: string, field: SealedField): Promise<string | undefined> {
    let keyId = this.#keyIdOf.get(id) ?? undefined;
    if (keyId === undefined) {
      const stored = await this.#inner.get(id);
      if (!stored || stored.unreadable !== null) return undefined;
      if (!isSealed(stored.body)) return text;
      keyId = envelopeKeyId(stored.body);
    }
    const lookup = keyId === undefined ? undefined : await this.#keys.byId(keyId);
    if (!lookup || 'missing' in lookup) return undefined;
    const bounded = field === 'error' ? storableText(text, plainBytesWithin(maxErrorBytes, lookup.key.id)) : text;
    return sealField(bounded, lookup.key, id, field);
  }

  /** Tells why a delivery cannot be read, unless that was told lately; returns the reason. */
  #tell(id: string, reason: string): string {
    const told = `${id}\n${reason}`;
    if (!this.#told.has(told)) {
      this.#onUnreadable(id, reason);
      remember(this.#told, told, true, recentTold);
    }
    return reason;
  }
}

const driftField = ({ eventType, kind, path, detail }: DriftSummary): SealedField => ({ drift: [eventType, kind, path, detail] });

function unreadableReason(field: SealedField, why: { missing: string } | { tampered: true }): string {
  const name = field === 'payload' ? 'its headers and body' : typeof field === 'string' ? `its ${field}` : 'its drift example';
  const cause = 'missing' in why ? why.missing : 'tampered with (altered, cut short, or moved from elsewhere)';
  return `${name} cannot be decrypted: ${cause}`;
}

/** Bodies as received, with their sealed form, by delivery id: at most `maxLength` characters of both, emptied when full. */
class RecentBodies {
  readonly #bodies = new Map<string, { sealed: string; plain: string }>();
  readonly #maxLength: number;
  #length = 0;

  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  add(id: string, body: { sealed: string; plain: string }): void {
    this.delete(id);
    const length = body.sealed.length + body.plain.length;
    if (this.#length + length > this.#maxLength) this.clear();
    this.#bodies.set(id, body);
    this.#length += length;
  }

  /** The body as received of delivery `id`, if it is held and was sealed as `sealed`. */
  plainOf(id: string, sealed: string): string | undefined {
    const body = this.#bodies.get(id);
    return body?.sealed === sealed ? body.plain : undefined;
  }

  delete(id: string): void {
    const body = this.#bodies.get(id);
    if (!body) return;
    this.#bodies.delete(id);
    this.#length -= body.sealed.length + body.plain.length;
  }

  clear(): void {
    this.#bodies.clear();
    this.#length = 0;
  }
}

/**
 * Sets an entry of a map that only recent entries are needed of, emptied whenever it would grow
 * past `max`: finding the oldest entry of a map that many were deleted from walks over every
 * deleted one (V8 keeps them until the map grows), which made each delivery pay for thousands.
 */
function remember<V>(recent: Map<string, V>, key: string, value: V, max: number): void {
  if (recent.size >= max) recent.clear();
  recent.set(key, value);
}
