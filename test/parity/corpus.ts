// One corpus of requests for the mock/receiver parity suite and the proxy contract test. Each
// request goes to both with the same bytes and headers; the signature itself is the only thing
// the mock cannot check, and the case that shows it says so.
import { loadContract, webhookExamples } from '../../src/contract/document.ts';
import { listed, unknownEventType, unlisted } from '../support/contract-values.ts';
import { signedHeaders } from '../support/receiver.ts';

export interface ParityCase {
  name: string;
  body: string;
  /** Headers sent to both; a fresh valid signature unless the case says otherwise. */
  headers: () => Record<string, string>;
  /** The verdict both must give. */
  status: number;
  /** Where the mock cannot agree: what it answers instead, and why. */
  mockDiffers?: { status: number; because: string };
}

const contract = loadContract();
const example = (name: string) => structuredClone(contract.components.examples[name]!.value) as Record<string, any>;
const json = (value: unknown) => JSON.stringify(value);

const signed = (body: string) => () => signedHeaders(body);

function valid(name: string, value: unknown): ParityCase {
  const body = json(value);
  return { name, body, headers: signed(body), status: 200 };
}

/** A correctly signed body that violates the contract. */
function violation(name: string, exampleName: string, change: (event: Record<string, any>) => void): ParityCase {
  const event = example(exampleName);
  change(event);
  const body = json(event);
  return { name, body, headers: signed(body), status: 422 };
}

/** Each event type of the contract without one field of the envelope, from its first example. */
const envelopeField = (field: string) =>
  Object.keys(contract.webhooks).map((type) => {
    const event = webhookExamples(contract, type).values().next().value as Record<string, unknown>;
    delete event[field];
    const body = json(event);
    return { name: `${type} without ${field}`, body, headers: signed(body), status: 422 };
  });

/** JSON.parse reads 1e400 as Infinity, which the open object would take. */
const outOfRange = json({ ...example('ConversationCreated'), added_later: 7 }).replace('"added_later":7', '"added_later":1e400');

const signatureOnly = { status: 200, because: 'the mock has no signing secret: it checks the signature headers, not the signature itself' };

export const corpus: ParityCase[] = [
  // Every example of the document, each a valid delivery.
  ...Object.keys(contract.components.examples).map((name) => valid(`example ${name}`, example(name))),
  valid('unbranded webhook-* headers', example('ConversationCreated')),
  valid('extra fields everywhere', { ...example('ConversationEndedBySystem'), added_later: { any: 1 } }),

  // A missing required field.
  ...envelopeField('timestamp'),
  ...envelopeField('data'),
  violation('handoff ended without handoff_integration', 'ConversationHandoffEnded', (e) => delete e['data'].handoff_integration),
  violation('audit log entry without activity', 'AuditLogEmitted', (e) => delete e['data'].activity),
  violation('text content without body', 'ConversationMessageText', (e) => delete e['data'].content.body),
  violation('file content without filename', 'ConversationMessageFile', (e) => delete e['data'].content.filename),
  violation('custom channel without name', 'ConversationMessageText', (e) => delete e['data'].channel.name),

  // A wrong type.
  violation('timestamp as a number', 'ConversationCreated', (e) => (e['timestamp'] = 1732400000)),
  violation('timestamp that is not a date', 'EndUserCreated', (e) => (e['timestamp'] = 'yesterday')),
  violation('conversation_id as a number', 'ConversationEndedByEndUser', (e) => (e['data'].conversation_id = 42)),
  violation('metadata value as an object', 'ConversationCreated', (e) => (e['data'].metadata.nested = { a: 1 })),
  violation('tags as a string', 'EndUserUpdated', (e) => (e['tags'] = 'one-tag')),
  violation('file url that is not a URI', 'ConversationMessageFile', (e) => (e['data'].content.url = 'not a link')),

  // A value outside an enum.
  violation(
    'author role outside the enum',
    'ConversationMessageText',
    (e) => (e['data'].author.role = unlisted(listed('MessageAuthor', 'role'), 'robot')),
  ),
  violation(
    'ended_by role outside the enum',
    'ConversationEndedByEndUser',
    (e) => (e['data'].ended_by.role = unlisted(listed('EndedBy', 'role'), 'ai_agent')),
  ),
  violation(
    'channel modality outside the enum',
    'ConversationMessageLink',
    (e) => (e['data'].channel.modality = unlisted(listed('ChannelModality'), 'fax')),
  ),
  violation('content type outside the variants', 'ConversationMessageText', (e) => (e['data'].content = { type: 'image', url: 'x' })),
  violation(
    'audit activity outside the enum',
    'AuditLogEmitted',
    (e) => (e['data'].activity = unlisted(listed('AuditLogEntry', 'activity'), 'archived')),
  ),

  // A null where the contract does not allow one.
  violation('null handoff_integration on handoff ended', 'ConversationHandoffEnded', (e) => (e['data'].handoff_integration = null)),
  violation('null actor_email on an audit entry', 'AuditLogEmitted', (e) => (e['data'].actor_email = null)),
  violation('null end_user_id on end user updated', 'EndUserUpdated', (e) => (e['data'].end_user_id = null)),
  violation('null channel on a message', 'ConversationMessageText', (e) => (e['data'].channel = null)),

  // Event types the contract does not know.
  valid('unknown event type with object data', {
    type: unknownEventType('v2.conversation.summarized'),
    timestamp: '2026-11-24T10:00:00Z',
    data: { summary: 'ok' },
  }),
  valid('unknown event type without timestamp', { type: unknownEventType('v1.bot.published'), data: {} }),
  violation('unknown event type whose data is a string', 'UnknownEvent', (e) => (e['data'] = 'rated')),
  violation('body without type', 'ConversationCreated', (e) => delete e['type']),
  violation('type as a number', 'ConversationCreated', (e) => (e['type'] = 7)),
  { name: 'a JSON array', body: '[]', headers: signed('[]'), status: 422 },
  { name: 'a number out of the range of a double (1e400) in an open object', body: outOfRange, headers: signed(outOfRange), status: 422 },

  // Headers and framing.
  {
    name: 'no signature headers',
    body: json(example('ConversationCreated')),
    headers: () => ({ 'content-type': 'application/json' }),
    status: 401,
  },
  {
    name: 'text/plain body',
    body: json(example('ConversationCreated')),
    headers: () => ({ ...signedHeaders(json(example('ConversationCreated'))), 'content-type': 'text/plain' }),
    status: 415,
  },
  {
    name: 'a junk webhook-timestamp beside a valid svix-* set, which decides nothing',
    body: json(example('ConversationCreated')),
    headers: () => ({ ...signedHeaders(json(example('ConversationCreated'))), 'webhook-timestamp': 'abc' }),
    status: 200,
  },
  {
    name: 'malformed JSON',
    body: '{"type": "v1.conversation.created",',
    headers: signed('{"type": "v1.conversation.created",'),
    status: 400,
  },
  {
    name: 'empty body',
    body: '',
    headers: signed(''),
    status: 400,
  },

  {
    name: 'body over the size limit',
    body: json({ ...example('ConversationCreated'), padding: 'x'.repeat(1024 * 1024) }),
    headers: () => signedHeaders(json({ ...example('ConversationCreated'), padding: 'x'.repeat(1024 * 1024) })),
    status: 413,
  },

  // What only the receiver can check: the signature itself.
  {
    name: 'wrong signature',
    body: json(example('ConversationCreated')),
    headers: () => ({
      ...signedHeaders(json(example('ConversationCreated'))),
      'svix-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
    }),
    status: 401,
    mockDiffers: signatureOnly,
  },
  {
    name: 'signature older than the tolerance',
    body: json(example('EndUserCreated')),
    headers: () => signedHeaders(json(example('EndUserCreated')), { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    status: 401,
  },
  {
    name: 'signature timestamp that is not a number',
    body: json(example('EndUserCreated')),
    headers: () => ({ ...signedHeaders(json(example('EndUserCreated'))), 'svix-timestamp': 'soon' }),
    status: 401,
  },
];

// The unbranded case above sends webhook-* headers instead of svix-*.
const unbranded = corpus.find((testCase) => testCase.name === 'unbranded webhook-* headers')!;
unbranded.headers = () => signedHeaders(unbranded.body, { prefix: 'webhook' });
