// Where accepted deliveries are forwarded, read the same way from the environment and from
// createReceiver's options: the broker's URL picks NATS JetStream or RabbitMQ.
import { Invalid, integerIn, withoutPassword, type Setting, type SettingsReader } from '../support/settings-reader.ts';
import { isKnownEventName, knownEventNames } from '../contract/events.ts';
import type { EventTypeSelection } from '../inbox/inbox.ts';
import { forwardBudgetMs, type Broker } from './forwarder.ts';
import { defaultSubjectTemplate, parseSubjectTemplate, type SubjectTemplate } from './subject.ts';

export interface ForwardSettings {
  broker: Broker;
  /** The broker's URL, password included. */
  url: string;
  /** JetStream: the stream, created if missing. */
  stream: string;
  /** JetStream: the subject of each message. */
  subject: SubjectTemplate;
  /** JetStream: how long the stream remembers a message id to drop a second copy (when it creates the stream). */
  duplicateWindowSeconds: number;
  /** RabbitMQ: the topic exchange, declared if missing. */
  exchange: string;
  /** The event types forwarded. */
  types: EventTypeSelection;
}

const setting = (variable: string, option: string): Setting => ({ variable, option });
const urlSetting = setting('FORWARD_URL', 'forwardUrl');
const windowSetting = setting('FORWARD_DUPLICATE_WINDOW_SECONDS', 'forwardDuplicateWindowSeconds');

/** The name for event types that the contract does not know, in FORWARD_TYPES. */
const unknownTypes = 'unknown';

/** Ten minutes: far longer than a lease (see leaseMsOf), after which a crashed receiver's delivery is published again. */
const defaultDuplicateWindowSeconds = 600;

/** Forwarding as configured; undefined when no broker URL is given. `forwardedLeaseMs`: how long the dispatcher leases a delivery it forwards. */
export function readForwardSettings(reader: SettingsReader, forwardedLeaseMs: number): ForwardSettings | undefined {
  const target = reader.read(urlSetting, undefined, parseBrokerUrl, 'nats://127.0.0.1:4222');
  const settings = {
    stream: reader.read(setting('FORWARD_STREAM', 'forwardStream'), 'ADA_WEBHOOKS', parseStreamName, 'ADA_WEBHOOKS'),
    subject: reader.read(setting('FORWARD_SUBJECT', 'forwardSubject'), defaultSubjectTemplate, parseSubjectTemplate, 'ada.{type}'),
    duplicateWindowSeconds: reader.read(windowSetting, defaultDuplicateWindowSeconds, integerIn(1, 7 * 24 * 3600), '600'),
    exchange: reader.read(setting('FORWARD_EXCHANGE', 'forwardExchange'), 'ada-webhooks', parseExchangeName, 'ada-webhooks'),
    types: reader.read(setting('FORWARD_TYPES', 'forwardTypes'), { except: [] }, parseTypes, `v1.conversation.message,${unknownTypes}`),
  };
  if (!target) return undefined;
  // A crashed receiver's delivery is published again once its lease runs out: JetStream drops
  // that copy only if it still remembers the first.
  const leaseSeconds = forwardedLeaseMs / 1000;
  if (target.broker === 'nats' && settings.duplicateWindowSeconds <= leaseSeconds) {
    reader.problems.push(
      `${reader.nameOf(windowSetting)} must be longer than a lease (${leaseSeconds} s: ${forwardBudgetMs / 1000} s to publish and wait for the broker's confirm, then twice the handler timeout), so that JetStream drops the copy that a crashed receiver publishes again. Example: ${reader.exampleOf(windowSetting, String(Math.max(defaultDuplicateWindowSeconds, 2 * leaseSeconds)))}`,
    );
  }
  return { ...target, ...settings };
}

function parseBrokerUrl(raw: string): { broker: Broker; url: string } | Invalid {
  if (!URL.canParse(raw)) return new Invalid('is not a valid URL');
  const { protocol } = new URL(raw);
  if (protocol === 'nats:' || protocol === 'tls:') return { broker: 'nats', url: raw };
  if (protocol === 'amqp:' || protocol === 'amqps:') return { broker: 'rabbitmq', url: raw };
  return new Invalid(
    'must be a NATS URL (nats://host:4222) or a RabbitMQ URL (amqp://user:password@host:5672)',
    withoutPassword('nats://127.0.0.1:4222'),
  );
}

function parseStreamName(raw: string): string | Invalid {
  return /^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : new Invalid('must be a JetStream stream name: letters, digits, - and _ (at most 64)');
}

function parseExchangeName(raw: string): string | Invalid {
  return /^[A-Za-z0-9_.:-]{1,255}$/.test(raw) && !raw.startsWith('amq.')
    ? raw
    : new Invalid('must be an exchange name of letters, digits, -, _, . and : that does not start with amq.');
}

/** Known event types and `unknown`, comma-separated. */
function parseTypes(raw: string): EventTypeSelection | Invalid {
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0 || names.some((name) => name !== unknownTypes && !isKnownEventName(name))) {
    return new Invalid(`must list event types of the contract (${knownEventNames.join(', ')}) or ${unknownTypes}, comma-separated`);
  }
  return names.includes(unknownTypes) ? { except: knownEventNames.filter((name) => !names.includes(name)) } : { only: names };
}
