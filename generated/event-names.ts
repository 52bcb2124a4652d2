/**
 * Generated from openapi/ada-webhooks.yaml by `npm run generate` (openapi-typescript).
 * Do not edit: change the contract and run `npm run generate` again.
 * From the contract with SHA-256 a5a0a1612bd7af184596f6ba531b5fd4beb7486765076a9d295baf876dad537b.
 */

import type { webhooks } from './ada-webhooks.ts';

/** Every event type of the contract's `webhooks`, in document order. */
export const eventNames = [
  "v1.conversation.created",
  "v1.conversation.message",
  "v1.conversation.ended",
  "v1.conversation.handoff.ended",
  "v1.end_user.created",
  "v1.end_user.updated",
  "v1.audit_log.emitted"
] as const satisfies ReadonlyArray<keyof webhooks>;
