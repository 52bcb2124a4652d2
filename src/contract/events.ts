// Event types and names, derived from the generated contract types. Nothing here restates a
// payload: change openapi/ada-webhooks.yaml and run `npm run generate` instead.
import type { UnknownEvent, webhooks } from '../../generated/ada-webhooks.ts';
import { eventNames } from '../../generated/event-names.ts';

/** The type of every event the contract describes, e.g. `v1.conversation.message`. */
export type EventName = keyof webhooks;

/** Payload of each known event, by event type. */
export type EventPayloadMap = {
  [Name in EventName]: webhooks[Name]['post']['requestBody']['content']['application/json'];
};

/** Any known event; `switch (event.type)` narrows `event.data`. */
export type AdaEvent = EventPayloadMap[EventName];

/** A delivery whose `type` the contract does not know yet. */
export type { UnknownEvent };

/** Every known event type, at run time. */
export const knownEventNames: readonly EventName[] = eventNames;

const knownEventNameSet: ReadonlySet<string> = new Set(knownEventNames);

export function isKnownEventName(name: string): name is EventName {
  return knownEventNameSet.has(name);
}

/** What names a body's event: its `type`, when the body is a JSON object whose `type` is a string; else undefined. */
export function eventTypeOf(body: unknown): string | undefined {
  const type = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

/** An event type as metrics, logs and spans name it: a known one, or `unknown` for any other (so that a sender cannot add names without end). */
export function eventTypeLabel(type: unknown): EventName | 'unknown' {
  return typeof type === 'string' && isKnownEventName(type) ? type : 'unknown';
}
