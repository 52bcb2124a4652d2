// The process's logger: JSON lines (pino) for log shippers, or readable coloured lines for a
// person at a terminal during development.
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config/environment.ts';
import type { Inbox } from '../inbox/inbox.ts';

export interface LoggerSettings {
  logLevel: LogLevel;
  logFormat: LogFormat;
  production: boolean;
}

/** `auto` is readable when standard output is a terminal outside production, JSON otherwise. */
function usesReadableLines({ logFormat, production }: LoggerSettings): boolean {
  return logFormat === 'pretty' || (logFormat === 'auto' && process.stdout.isTTY === true && !production);
}

export function createLogger(settings: LoggerSettings): Logger {
  if (!usesReadableLines(settings)) return pino({ level: settings.logLevel });
  // Formatted on this thread, synchronously: a development aid, not the production path.
  const readable = PinoPretty({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
  return pino({ level: settings.logLevel }, readable);
}

/** One warn line when the inbox becomes unavailable, with the store's error; one info line when it takes writes again. */
export function logInboxAvailability(inbox: Inbox, logger: Logger): void {
  inbox.onAvailabilityChange((availability) => {
    if (availability.available) logger.info('the inbox takes writes again: deliveries are accepted');
    else logger.warn({ storeError: availability.reason }, 'the inbox is unavailable: deliveries are answered 503 until it recovers');
  });
}
