import type { Logger } from 'pino';
import type { Forwarder } from './forwarder.ts';
import { JetStreamForwarder } from './jetstream.ts';
import { RabbitMqForwarder } from './rabbitmq.ts';
import type { ForwardSettings } from './settings.ts';

/** The forwarder of the configured broker; it connects in the background, and keeps trying. */
export function openForwarder(settings: ForwardSettings, logger: Logger): Forwarder {
  return settings.broker === 'nats' ? new JetStreamForwarder(settings, logger) : new RabbitMqForwarder(settings, logger);
}
