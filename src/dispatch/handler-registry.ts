// The handler API: one typed handler per event type, plus one fallback for event types the
// contract does not know yet. A handler registered as transactional (PostgreSQL only) runs inside
// a transaction that commits with its delivery's settlement (see transactional.ts).
import type { Logger } from 'pino';
import { closestName } from '../support/settings-reader.ts';
import { isKnownEventName, knownEventNames, type EventName, type EventPayloadMap, type UnknownEvent } from '../contract/events.ts';
import type { TransactionClient } from '../inbox/handler-transactions.ts';
import type { StatementRunner } from './transactional.ts';

/** What a handler knows about the delivery beside the event itself. */
export interface HandlingContext {
  /** The delivery id (`svix-id`): the key to make side effects idempotent. */
  deliveryId: string;
  /** 1 for the first attempt; higher after failures, crashes or replays. */
  attempt: number;
  receivedAt: Date;
  /** Aborted when the attempt times out or the dispatcher stops; pass it on to fetch() and the like. */
  signal: AbortSignal;
  /** A logger bound to this delivery. */
  log: Logger;
  /**
   * PostgreSQL: records this delivery as done inside a transaction that your code holds (an ORM's
   * interactive transaction), so that the settlement commits with your writes, or not at all;
   * the dispatcher then settles nothing. `transaction` runs one statement with positional
   * parameters in that transaction: a `pg` client, or a function of the text and the values that
   * returns the rows. Rejects with a LeaseLost error, touching nothing, when this attempt's lease
   * was lost (another replica handles the delivery): let it roll your transaction back.
   */
  settleWithin(transaction: StatementRunner): Promise<void>;
}

/** What a transactional handler knows beside: the transaction that its writes commit in. */
export interface TransactionalHandlingContext extends HandlingContext {
  /**
   * A `pg` client of the inbox's pool inside an open transaction, which commits with the
   * delivery's settlement when the handler returns: `transaction.query(text, values)`, or wrap it
   * with Drizzle or Kysely. Do not commit or roll it back yourself, nor keep it.
   */
  transaction: TransactionClient;
}

export type EventHandler<Name extends EventName> = (event: EventPayloadMap[Name], context: HandlingContext) => unknown;
export type UnknownEventHandler = (event: UnknownEvent, context: HandlingContext) => unknown;
export type TransactionalEventHandler<Name extends EventName> = (
  event: EventPayloadMap[Name],
  context: TransactionalHandlingContext,
) => unknown;
export type TransactionalUnknownEventHandler = (event: UnknownEvent, context: TransactionalHandlingContext) => unknown;

/** `transactional: true`: the handler's writes on `context.transaction` commit with the delivery's settlement (PostgreSQL only). */
export interface HandlerOptions {
  transactional?: boolean;
}

/** How handlers are registered, on a receiver or on a bare registry. */
export interface Handlers {
  /** Registers the handler of one event type; `event.data` is typed by the contract. Throws for an unknown type, or a second handler. */
  on<Name extends EventName>(type: Name, handler: EventHandler<Name>, options?: { transactional?: false }): this;
  /** Registers a handler that runs in a transaction committed with its delivery's settlement (PostgreSQL only). */
  on<Name extends EventName>(type: Name, handler: TransactionalEventHandler<Name>, options: { transactional: true }): this;
  /** Registers the handler of every event type that the contract does not know. Throws for a second one. */
  onUnknown(handler: UnknownEventHandler, options?: { transactional?: false }): this;
  /** Registers a transactional handler of every event type that the contract does not know (PostgreSQL only). */
  onUnknown(handler: TransactionalUnknownEventHandler, options: { transactional: true }): this;
}

/** A handler as the dispatcher runs it. */
export interface RegisteredHandler {
  run(event: unknown, context: HandlingContext | TransactionalHandlingContext): unknown;
  transactional: boolean;
}

export class HandlerRegistry implements Handlers {
  readonly #handlers = new Map<EventName, RegisteredHandler>();
  #fallback: RegisteredHandler | undefined;
  readonly #transactionsSupported: boolean;

  /** `transactions`: whether the inbox can run transactional handlers (PostgreSQL). */
  constructor({ transactions = false }: { transactions?: boolean } = {}) {
    this.#transactionsSupported = transactions;
  }

  on<Name extends EventName>(
    type: Name,
    handler: EventHandler<Name> | TransactionalEventHandler<Name>,
    options: HandlerOptions = {},
  ): this {
    if (!isKnownEventName(type)) {
      const closest = closestName(type, knownEventNames, (name) => Math.ceil(name.length / 4));
      throw new Error(`${JSON.stringify(type)} is not an event type of the contract${closest ? `; did you mean ${closest}?` : ''}`);
    }
    if (this.#handlers.has(type)) throw new Error(`A handler for ${type} is already registered`);
    this.#handlers.set(type, this.#registered(handler, options));
    return this;
  }

  onUnknown(handler: UnknownEventHandler | TransactionalUnknownEventHandler, options: HandlerOptions = {}): this {
    if (this.#fallback) throw new Error('A handler for unknown event types is already registered');
    this.#fallback = this.#registered(handler, options);
    return this;
  }

  /** The handler for an event of this type, if one is registered. */
  handlerFor(type: string): RegisteredHandler | undefined {
    return isKnownEventName(type) ? this.#handlers.get(type) : this.#fallback;
  }

  /** Whether any handler registered is transactional. */
  get anyTransactional(): boolean {
    return [...this.#handlers.values(), this.#fallback].some((registered) => registered?.transactional);
  }

  #registered(handler: (event: never, context: never) => unknown, { transactional = false }: HandlerOptions): RegisteredHandler {
    if (transactional && !this.#transactionsSupported) {
      throw new Error(
        'Transactional handlers need the PostgreSQL inbox: their writes commit in the database of the inbox, in the transaction that ' +
          'settles their delivery. Set the database (DATABASE_URL) to a postgres:// URL, or register the handler without { transactional: true }.',
      );
    }
    return { run: handler, transactional };
  }
}
