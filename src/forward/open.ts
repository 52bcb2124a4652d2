import type { Logger } from 'pino';
import type { Forwarder } from './forwarder.ts';
import type { ForwardSettings } from './settings.ts';

/**
 * The forwarder of the configured broker; it connects in the background, and keeps trying. Each
 * broker's client is loaded only when it is configured: most receivers forward nothing.
 * `bodyLimitBytes`, the largest body accepted, is held against what the broker takes.
 */
export async function openForwarder(
  settings: ForwardSettings,
  logger: Logger,
  { bodyLimitBytes }: { bodyLimitBytes: number },
): Promise<Forwarder> {
  if (settings.broker === 'nats') {
    const { JetStreamForwarder } = await import('./jetstream.ts');
    return new JetStreamForwarder(settings, logger, bodyLimitBytes);
  }
  const { RabbitMqForwarder } = await import('./rabbitmq.ts');
  return new RabbitMqForwarder(settings, logger, bodyLimitBytes);
}
