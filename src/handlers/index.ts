// The handlers this receiver runs, one per event type. These examples only log what arrived:
// replace them with your own. A handler runs at least once per delivery, so make its side
// effects idempotent with `context.deliveryId`; or, on PostgreSQL, register it with
// `{ transactional: true }` so that its writes on `context.transaction` commit with its
// delivery's record, exactly once (see docs/handlers.md).
import type { Handlers } from '../index.ts';

export function registerHandlers(handlers: Handlers): void {
  handlers
    .on('v1.conversation.created', ({ data }, { log }) => {
      log.info({ conversationId: data.conversation_id, channelId: data.channel_id }, 'conversation created');
    })
    .on('v1.conversation.message', ({ data }, { log }) => {
      log.info(
        { conversationId: data.conversation_id, author: data.author?.role, content: data.content?.type, handoff: data.handoff_integration },
        'conversation message',
      );
    })
    .on('v1.conversation.ended', ({ data }, { log }) => {
      log.info({ conversationId: data.conversation_id, endedBy: data.ended_by?.role }, 'conversation ended');
    })
    .on('v1.conversation.handoff.ended', ({ data }, { log }) => {
      log.info({ conversationId: data.conversation_id, integration: data.handoff_integration }, 'handoff ended');
    })
    .on('v1.end_user.created', ({ data }, { log }) => {
      log.info({ endUserId: data.end_user_id }, 'end user created');
    })
    .on('v1.end_user.updated', ({ data }, { log }) => {
      log.info({ endUserId: data.end_user_id }, 'end user updated');
    })
    .on('v1.audit_log.emitted', ({ data }, { log }) => {
      log.info({ entity: `${data.entity_type}/${data.entity_id}`, activity: data.activity }, 'audit log entry');
    })
    .onUnknown((event, { log }) => {
      log.info({ type: event.type }, 'event of a type the contract does not know yet');
    });
}
