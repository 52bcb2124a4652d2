// Type-checked by `npm test` (tsc), never run: pins the public API's types, as a user's
// TypeScript sees them through src/index.ts (test/package/ checks the same from the installed
// package). Every `@ts-expect-error` fails the type check if the line below it stops being an error.
import Koa from 'koa';
import {
  LeaseLost,
  verifyWebhook,
  type Discard,
  type EventTypeSelection,
  type FailedAttempt,
  type Receiver,
  type WebhookVerificationError,
} from '../../src/index.ts';

export function register(receiver: Receiver): void {
  receiver
    .on('v1.conversation.created', (event, { deliveryId, signal }) => {
      void [event.data.conversation_id, deliveryId, signal.aborted];
      // @ts-expect-error the contract's conversation.created event has no such field
      void event.data.not_a_field_of_the_contract;
    })
    .on('v1.end_user.updated', ({ data }) => void data.end_user_id)
    .onUnknown((event) => void event.type);
  // @ts-expect-error not an event type of the contract
  receiver.on('v1.not_an.event_of_the_contract', () => {});
}

export function registerTransactional(receiver: Receiver): void {
  receiver
    .on(
      'v1.conversation.message',
      async (event, { transaction, deliveryId }) => {
        await transaction.query('INSERT INTO app.messages (delivery_id, conversation_id) VALUES ($1, $2)', [
          deliveryId,
          event.data.conversation_id,
        ]);
      },
      { transactional: true },
    )
    .onUnknown(async (event, { transaction }) => void (await transaction.query('SELECT $1::text', [event.type])), { transactional: true })
    .on('v1.conversation.ended', async (_event, { settleWithin }) => {
      await settleWithin(async (text, values) => [{ settled: [text, values].length - 1 }]);
    });
  // @ts-expect-error a plain handler has no transaction of the dispatcher's
  receiver.on('v1.end_user.created', (_event, { transaction }) => void transaction);
}

export function leaseLost(error: unknown): boolean {
  return error instanceof LeaseLost;
}

export function route(receiver: Receiver): (request: Request) => Promise<Response> {
  return receiver.fetch;
}

export function endedBy(headers: Headers, body: string): string | undefined {
  const verified = verifyWebhook({ secrets: 'whsec_x', headers, body });
  // @ts-expect-error without `known`, the event may be one the contract does not describe
  if (verified.event.type === 'v1.conversation.ended') void verified.event.data.ended_by?.role;
  return verified.known && verified.event.type === 'v1.conversation.ended' ? verified.event.data.ended_by?.role : undefined;
}

export function refusedBody(error: WebhookVerificationError): boolean {
  // @ts-expect-error not a reason verifyWebhook gives
  if (error.reason === 'not_a_reason') return false;
  return error.reason === 'malformed_json' || error.reason === 'not_an_event';
}

export async function operate(receiver: Receiver): Promise<number> {
  const { inbox } = receiver;
  const dead = await inbox.list({ state: 'dead', limit: 10 });
  await inbox.purge({ state: 'done', receivedBefore: new Date(0), limit: 100 });
  // @ts-expect-error claims are the dispatcher's: an app that took a lease would steal the delivery
  void inbox.claim;
  // @ts-expect-error settlements are the dispatcher's
  void inbox.settle;
  // @ts-expect-error leases at intake are the dispatcher's
  void inbox.leaseAtIntake;
  // @ts-expect-error deliveries come in through the receiver's intake, verified and validated
  void inbox.accept;
  return inbox.requeue(dead.map(({ id }) => ({ id })));
}

export function mountInKoa(receiver: Receiver): Koa {
  // Koa's use() takes what koa() returns without a cast, though the package's types do not name Koa's.
  const app = new Koa();
  app.use(receiver.koa());
  if (receiver.inspector) app.use(receiver.inspector.koa());
  return app;
}

/** The types of the inbox view's arguments and results are the package's to name. */
export async function operateByName(receiver: Receiver, id: string): Promise<FailedAttempt[]> {
  const discard: Discard = { at: new Date(), by: 'an operator' };
  const types: EventTypeSelection = { except: ['v1.audit_log.emitted'] };
  await receiver.inbox.discard(id, discard);
  await receiver.inbox.oldestUnforwarded(types);
  return receiver.inbox.failedAttempts(id);
}
