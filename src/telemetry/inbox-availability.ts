import type { Logger } from 'pino';
import type { ObservedInbox } from './observed.ts';

/** One warn line when the inbox becomes unavailable, with the store's error; one info line when it takes writes again. */
export function logInboxAvailability(inbox: Pick<ObservedInbox, 'onAvailabilityChange'>, logger: Logger): () => void {
  return inbox.onAvailabilityChange((availability) => {
    if (availability.available) logger.info('the inbox takes writes again: deliveries are accepted');
    else logger.warn({ storeError: availability.reason }, 'the inbox is unavailable: deliveries are answered 503 until it recovers');
  });
}
