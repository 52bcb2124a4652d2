// The data keys of an encrypted inbox, unwrapped in memory: the owner's key for each delivery
// sealed, the key an envelope names for each one opened. Each key is read from the store, and
// made when its owner has none, once for all who ask at the same time. The cache is bounded, and
// a key is read again once `lifetimeMs` has passed, so that a key that an erasure destroyed on
// another process does not live on here for long. An owner's key whose wrapping was altered is
// lost; a new key takes its place, so that the owner's deliveries are stored again.
import { createSecretKey, randomBytes } from 'node:crypto';
import type { DataKeys, StoredDataKey } from '../inbox.ts';
import type { NamedKey } from './envelope.ts';
import type { EncryptionKeys } from './keys.ts';

export interface DataKeyCacheOptions {
  /** How long a key read is used before it is read again. */
  lifetimeMs: number;
  /** The most keys held at once: past it, every key is forgotten, and read again when needed. */
  maxKeys: number;
}

/** A key at hand, or why it cannot be had (in words, for an unreadable delivery: `its data key ... is missing`). */
export type KeyLookup = { key: NamedKey } | { missing: string };

interface Held {
  lookup: KeyLookup;
  readAt: number;
  /** Whose key it is, once its row was read. */
  owner: string | undefined;
}

export class DataKeyCache {
  readonly #store: DataKeys;
  readonly #keys: EncryptionKeys;
  readonly #options: DataKeyCacheOptions;
  /** By key id. */
  readonly #byId = new Map<string, Held>();
  /** The id of each owner's key, among those held. */
  readonly #idOfOwner = new Map<string, string>();
  readonly #reading = new Map<string, Promise<unknown>>();

  constructor(store: DataKeys, keys: EncryptionKeys, options: DataKeyCacheOptions) {
    this.#store = store;
    this.#keys = keys;
    this.#options = options;
  }

  /** The key that seals an owner's content, made and stored when the owner has none. Throws when the owner's key cannot be unwrapped. */
  async ofOwner(owner: string): Promise<NamedKey> {
    const id = this.#idOfOwner.get(owner);
    const held = id === undefined ? undefined : this.#fresh(id);
    if (held && 'key' in held) return held.key;
    return this.#once(`owner ${owner}`, async () => {
      const stored = (await this.#store.dataKeyOf(owner)) ?? (await this.#make(owner));
      let lookup = this.#hold(stored);
      if ('missing' in lookup && this.#altered(stored)) lookup = await this.#replace(stored);
      if ('missing' in lookup) throw new Error(`cannot seal a delivery: ${lookup.missing}`);
      return lookup.key;
    });
  }

  /** The key of this id, or why it cannot be had. */
  async byId(id: string): Promise<KeyLookup> {
    const held = this.#fresh(id);
    if (held) return held;
    return this.#once(`id ${id}`, async () => {
      const stored = await this.#store.dataKeyById(id);
      if (stored) return this.#hold(stored);
      return this.#remember(id, undefined, { missing: `its data key ${id} is missing` });
    });
  }

  /** Forgets a key: the store refused it (DataKeyGone), so it was destroyed. */
  forget(id: string): void {
    const owner = this.#byId.get(id)?.owner;
    this.#byId.delete(id);
    if (owner !== undefined && this.#idOfOwner.get(owner) === id) this.#idOfOwner.delete(owner);
  }

  /** Forgets an owner's key: it was erased here. */
  forgetOwner(owner: string): void {
    const id = this.#idOfOwner.get(owner);
    if (id !== undefined) this.forget(id);
  }

  async #make(owner: string): Promise<StoredDataKey> {
    const id = randomBytes(16).toString('base64url');
    const key = randomBytes(32);
    const stored = await this.#store.addDataKey({ id, owner, wrapped: this.#keys.wrap(key, { id, owner }) });
    // Unless another process stored the owner's key first, this one is at hand already.
    if (stored.id === id) this.#remember(id, owner, { key: { id, key: createSecretKey(key) } });
    return stored;
  }

  /** Whether the key's wrapping fails as altered under a key that is given (not for want of one). */
  #altered(stored: StoredDataKey): boolean {
    const unwrapped = this.#keys.unwrap(stored.wrapped, stored);
    return 'failure' in unwrapped && unwrapped.failure.reason === 'tampered';
  }

  /**
   * A new key under the id of one whose wrapping was altered, stored in its place unless another
   * process replaced it first (then theirs is read): what was sealed under the lost key stays
   * unreadable, and the owner's deliveries are stored again rather than refused for ever.
   */
  async #replace(stored: StoredDataKey): Promise<KeyLookup> {
    const key = randomBytes(32);
    this.forget(stored.id);
    if (await this.#store.rewrapDataKey(stored.id, stored.wrapped, this.#keys.wrap(key, stored))) {
      return this.#remember(stored.id, stored.owner, { key: { id: stored.id, key: createSecretKey(key) } });
    }
    const current = await this.#store.dataKeyById(stored.id);
    return current ? this.#hold(current) : { missing: `its data key ${stored.id} is missing` };
  }

  /** A stored key, unwrapped, held from now on (unless it was held already). */
  #hold(stored: StoredDataKey): KeyLookup {
    const held = this.#fresh(stored.id);
    if (held) return held;
    const unwrapped = this.#keys.unwrap(stored.wrapped, stored);
    if ('key' in unwrapped) return this.#remember(stored.id, stored.owner, { key: { id: stored.id, key: createSecretKey(unwrapped.key) } });
    const { reason, keyId } = unwrapped.failure;
    return this.#remember(stored.id, stored.owner, {
      missing:
        reason === 'missing key'
          ? `its data key ${stored.id} is wrapped by key ${keyId}, which is not among the encryption keys given (${this.#keys.ids.join(', ')})`
          : `its data key ${stored.id} was altered: it fails to unwrap`,
    });
  }

  #remember(id: string, owner: string | undefined, lookup: KeyLookup): KeyLookup {
    this.forget(id);
    // All at once: finding the oldest of a map that entries were deleted from walks over each of those.
    if (this.#byId.size >= this.#options.maxKeys) {
      this.#byId.clear();
      this.#idOfOwner.clear();
    }
    this.#byId.set(id, { lookup, readAt: Date.now(), owner });
    if (owner !== undefined) this.#idOfOwner.set(owner, id);
    return lookup;
  }

  /** What is held of the key, if it was read recently enough. */
  #fresh(id: string): KeyLookup | undefined {
    const held = this.#byId.get(id);
    if (!held) return undefined;
    if (Date.now() - held.readAt <= this.#options.lifetimeMs) return held.lookup;
    this.forget(id);
    return undefined;
  }

  /** `read` once for everyone who asks the same `what` while it runs. */
  #once<T>(what: string, read: () => Promise<T>): Promise<T> {
    const running = this.#reading.get(what) as Promise<T> | undefined;
    if (running) return running;
    const reading = read().finally(() => this.#reading.delete(what));
    this.#reading.set(what, reading);
    return reading;
  }
}
