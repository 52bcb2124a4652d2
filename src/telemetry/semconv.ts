// The names of the messaging semantic conventions that @opentelemetry/semantic-conventions keeps in
// its incubating entry, copied as that package's README asks of libraries: the entry may change in
// a minor version, and loading it would cost every app that mounts the receiver time and memory at
// start-up (BENCHMARKS.md, "Tracing (2026-12-01)"). test/unit/semantic-conventions.test.ts holds
// each to the entry's value.
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_MESSAGE_CONVERSATION_ID = 'messaging.message.conversation_id';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_SYSTEM_NAME = 'messaging.system.name';
export const MESSAGING_OPERATION_TYPE_VALUE_PROCESS = 'process';
export const MESSAGING_OPERATION_TYPE_VALUE_RECEIVE = 'receive';
export const MESSAGING_OPERATION_TYPE_VALUE_SEND = 'send';
