// ada-webhooks: the public API. createReceiver takes Ada's deliveries in (verify, validate, store,
// acknowledge) and runs typed handlers; koa(), node() and fetch() mount it in an existing app.
// verifyWebhook (also `ada-webhooks/verify`) checks one delivery alone.
// First, so that an older Node stops here with a line that says what to install.
import './support/node-version.ts';
export { createReceiver, type Receiver, type ReceiverOptions } from './receiver.ts';
export { ConfigError } from './support/settings-reader.ts';
export type {
  Handlers,
  HandlingContext,
  EventHandler,
  UnknownEventHandler,
  HandlerOptions,
  TransactionalHandlingContext,
  TransactionalEventHandler,
  TransactionalUnknownEventHandler,
} from './dispatch/handler-registry.ts';
export type { TransactionClient } from './inbox/handler-transactions.ts';
export { LeaseLost, type StatementRunner } from './dispatch/transactional.ts';
export {
  knownEventNames,
  isKnownEventName,
  type AdaEvent,
  type EventName,
  type EventPayloadMap,
  type UnknownEvent,
} from './contract/events.ts';
export type { Violation } from './contract/validation.ts';
export type { DriftKind } from './contract/drift.ts';
export type {
  DeliveryFilter,
  DeliveryQuery,
  DeliveryState,
  Discard,
  DriftFilter,
  DriftSummary,
  EventTypeSelection,
  FailedAttempt,
  LaneState,
  ListPosition,
  PurgeBatch,
  PurgeableState,
  Requeue,
  StoredDelivery,
} from './inbox/inbox.ts';
export type { InboxView } from './inbox/view.ts';
export type { Inspector } from './inspector/mount.ts';
export type { Health, MetricsText, Readiness } from './telemetry/probes.ts';
export type { TraceContext } from './telemetry/tracing.ts';
export type { FetchHandler } from './intake/adapters/fetch.ts';
export type { NodeListener } from './intake/adapters/node.ts';
export type { KoaContext, KoaMiddleware } from './intake/adapters/koa-middleware.ts';
export { verifyWebhook, WebhookVerificationError, type VerifiedWebhook, type VerifyWebhookOptions } from './verify.ts';
