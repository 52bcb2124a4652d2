// When a JetStream stream takes no message, whatever the message: which of JetStream's refusals
// say so, how much room a message takes in a stream, and whether a stream's limits leave room for
// one. A stream with `discard: new` refuses every message once it holds its max_msgs or max_bytes
// (or a subject its max_msgs_per_subject): the stream's condition, not the message's.
import { DiscardPolicy, StorageType, type JetStreamApiError, type StreamInfo } from '@nats-io/jetstream';

/**
 * JetStream's API errors (nats-server's errors.json) that refuse every message for now, whatever
 * it holds: the stream or the server out of room or resources, or unable to store at all.
 */
const refusingEveryMessage = new Set([
  10002, // resource limits exceeded for account
  10008, // JetStream system temporarily unavailable
  10009, // JetStream cluster can not handle request
  10023, // insufficient resources
  10028, // insufficient memory resources available
  10039, // JetStream not enabled for account
  10047, // insufficient storage resources available
  10076, // JetStream not enabled
  10077, // the stream could not store it: maximum messages, bytes or messages per subject exceeded...
  10109, // invalid operation on sealed stream
  10118, // stream is offline
  10167, // too many requests
  10194, // stream is offline: {err}
]);

/** The store's refusal of one message too large for any stream (under the same code as a full stream's). */
const messageTooLarge = 'message too large';

/** Whether this refusal is the stream's or the server's condition rather than the message's. */
export function refusesEveryMessage(error: JetStreamApiError): boolean {
  return refusingEveryMessage.has(error.code) && error.message !== messageTooLarge;
}

/** A message as a stream counts it. */
export interface StoredMessage {
  subject: string;
  /** What the stream's max_bytes counts of it: its subject, headers and body, and the store's own record. */
  bytes: number;
}

/** The bytes that a stream's store takes for a message beside its subject, headers and body (nats-server's fileStoreMsgSize, memStoreMsgSize). */
const recordBytes = { [StorageType.File]: 30, [StorageType.Memory]: 16 };

/** `payloadBytes`: its headers and body. */
export function storedMessage(stream: StreamInfo['config'], subject: string, payloadBytes: number): StoredMessage {
  return { subject, bytes: recordBytes[stream.storage] + Buffer.byteLength(subject) + payloadBytes };
}

/** Why even an empty stream could not take this message, or undefined. */
export function neverFits(stream: StreamInfo['config'], message: StoredMessage): string | undefined {
  if (stream.max_bytes > 0 && message.bytes > stream.max_bytes) {
    return `the message would take ${message.bytes} bytes in the stream ${stream.name}, more than its max_bytes of ${stream.max_bytes}: it could not be stored even in an empty stream`;
  }
  return undefined;
}

/**
 * Why the stream has no room for `message` now, as far as its state and limits tell, or
 * undefined. `countOnSubject` counts the messages it holds on the message's subject.
 */
export async function noRoom(
  { config, state }: StreamInfo,
  message: StoredMessage,
  countOnSubject: () => Promise<number>,
): Promise<string | undefined> {
  if (config.discard !== DiscardPolicy.New) return undefined;
  const advice = 'raise its limits, or let messages leave it (max_age, a consumer of a work-queue stream)';
  if (config.max_msgs > 0 && state.messages >= config.max_msgs) {
    return `the stream ${config.name} holds ${state.messages} messages, its max_msgs, and discards new ones: ${advice}`;
  }
  if (config.max_bytes > 0 && state.bytes + message.bytes > config.max_bytes) {
    return `the stream ${config.name} holds ${state.bytes} bytes of its max_bytes of ${config.max_bytes}, and discards new messages: ${advice}`;
  }
  if (config.discard_new_per_subject && config.max_msgs_per_subject > 0) {
    const count = await countOnSubject();
    if (count >= config.max_msgs_per_subject) {
      return `the stream ${config.name} holds ${count} messages on ${message.subject}, its max_msgs_per_subject, and discards new ones: ${advice}`;
    }
  }
  return undefined;
}
