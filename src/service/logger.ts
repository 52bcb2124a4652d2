// The process's logger: JSON lines (pino) for log shippers, or readable coloured lines for a
// person at a terminal during development.
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** `auto`: readable lines on a terminal outside production, JSON otherwise. */
export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

interface LoggerSettings {
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
