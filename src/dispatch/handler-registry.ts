// The handler API: one typed handler per event type, plus one fallback for event types the
// contract does not know yet.
import type { Logger } from 'pino';
import { closestName } from '../support/settings-reader.ts';
import { isKnownEventName, knownEventNames, type EventName, type EventPayloadMap, type UnknownEvent } from '../contract/events.ts';

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
}

export type EventHandler<Name extends EventName> = (event: EventPayloadMap[Name], context: HandlingContext) => unknown;
export type UnknownEventHandler = (event: UnknownEvent, context: HandlingContext) => unknown;

type AnyHandler = (event: never, context: HandlingContext) => unknown;

/** How handlers are registered, on a receiver or on a bare registry. */
export interface Handlers {
  /** Registers the handler of one event type; `event.data` is typed by the contract. Throws for an unknown type, or a second handler. */
  on<Name extends EventName>(type: Name, handler: EventHandler<Name>): this;
  /** Registers the handler of every event type that the contract does not know. Throws for a second one. */
  onUnknown(handler: UnknownEventHandler): this;
}

export class HandlerRegistry implements Handlers {
  readonly #handlers = new Map<EventName, AnyHandler>();
  #fallback: UnknownEventHandler | undefined;

  /** Registers the handler of one event type; `event.data` is typed by the contract. */
  on<Name extends EventName>(type: Name, handler: EventHandler<Name>): this {
    if (!isKnownEventName(type)) {
      const closest = closestName(type, knownEventNames, (name) => Math.ceil(name.length / 4));
      throw new Error(`${JSON.stringify(type)} is not an event type of the contract${closest ? `; did you mean ${closest}?` : ''}`);
    }
    if (this.#handlers.has(type)) throw new Error(`A handler for ${type} is already registered`);
    this.#handlers.set(type, handler);
    return this;
  }

  /** Registers the handler of every event type that the contract does not know. */
  onUnknown(handler: UnknownEventHandler): this {
    if (this.#fallback) throw new Error('A handler for unknown event types is already registered');
    this.#fallback = handler;
    return this;
  }

  /** The handler for an event of this type, if one is registered. */
  handlerFor(type: string): ((event: unknown, context: HandlingContext) => unknown) | undefined {
    const handler = isKnownEventName(type) ? this.#handlers.get(type) : this.#fallback;
    return handler as ((event: unknown, context: HandlingContext) => unknown) | undefined;
  }
}
