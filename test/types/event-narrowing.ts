// Type-checked by `npm test` (tsc), never run: pins how the generated event types narrow.
// Every `@ts-expect-error` fails the type check if the line below it stops being an error.
import type { AdaEvent, EventName, EventPayloadMap } from '../../src/contract/events.ts';
import type { MessageContent } from '../../generated/ada-webhooks.ts';
import { type eventNames } from '../../generated/event-names.ts';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Each event's `type` is exactly its name, so the union discriminates on `type`.
export const typeIsName: Equals<{ [Name in EventName]: EventPayloadMap[Name]['type'] }, { [Name in EventName]: Name }> = true;

// The runtime list names every event of the contract, and nothing else.
export const listIsComplete: Equals<(typeof eventNames)[number], EventName> = true;

export function summarize(event: AdaEvent): string {
  switch (event.type) {
    case 'v1.conversation.created':
      // @ts-expect-error `channel` is the message event's object; created carries `channel_id`.
      void event.data.channel;
      return `conversation ${event.data.conversation_id} on channel ${event.data.channel_id}`;
    case 'v1.conversation.message':
      // @ts-expect-error `channel_id` belongs to created and ended, not to message.
      void event.data.channel_id;
      return event.data.content ? describeContent(event.data.content) : 'empty message';
    case 'v1.conversation.ended':
      // @ts-expect-error `handoff_integration` is not part of the ended event.
      void event.data.handoff_integration;
      return `ended by ${event.data.ended_by?.role}`;
    case 'v1.conversation.handoff.ended': {
      // Required by the contract: no `undefined` to handle.
      const integration: string = event.data.handoff_integration;
      return integration;
    }
    case 'v1.end_user.created':
    case 'v1.end_user.updated':
      // @ts-expect-error `profile` may be absent: the contract marks it optional.
      void event.data.profile.email;
      return event.data.profile?.email ?? 'no email';
    case 'v1.audit_log.emitted': {
      const activity: 'created' | 'updated' | 'deleted' | 'executed' | 'invited' | 'activated' | 'deactivated' = event.data.activity;
      // @ts-expect-error `conversation_id` is not part of an audit log entry.
      void event.data.conversation_id;
      return activity;
    }
    default:
      // An event added to the contract lands here until a case pins how it narrows: adding an
      // event needs no edit of this file. Your own switch may end in a `never` check instead.
      return 'another event';
  }
}

function describeContent(content: MessageContent): string {
  switch (content.type) {
    case 'text':
    case 'presence':
      return content.body;
    case 'link':
      // @ts-expect-error only file content has a `filename`.
      void content.filename;
      return content.url ?? '';
    case 'file':
      return `${content.filename} (${content.mime_type})`;
    default: {
      const unhandled: never = content;
      return unhandled;
    }
  }
}
