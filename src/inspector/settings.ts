// Whether the inspector page is on, and what it may do.
import { Invalid, parseBoolean, type Setting, type SettingsReader } from '../support/settings-reader.ts';

export interface InspectorSettings {
  /** Signs in a person (the sign-in form) or a script (`Authorization: Bearer`). */
  token: string;
  /** Every action (replay) is refused, and the page shows none. */
  readOnly: boolean;
}

const inspectorTokenSetting: Setting = { variable: 'INSPECTOR_TOKEN', option: 'inspectorToken', secret: true };
const readOnlySetting: Setting = { variable: 'INSPECTOR_READ_ONLY', option: 'inspectorReadOnly' };

/** A token guessable in practice would open the inbox, and replay, to whoever reaches the port. */
const shortestProductionToken = 32;
const tokenExample = '<32 or more random characters, e.g. from openssl rand -hex 24>';

/** The inspector's settings, or undefined when no token turns it on. `production` refuses a short token. */
export function readInspectorSettings(reader: SettingsReader, production: boolean): InspectorSettings | undefined {
  const parseToken = (raw: string) =>
    production && raw.length < shortestProductionToken ? new Invalid(`must be at least ${shortestProductionToken} characters long`) : raw;
  const token = reader.read(inspectorTokenSetting, undefined, parseToken, tokenExample);
  const readOnly = reader.read(readOnlySetting, false, parseBoolean, 'true');
  return token === undefined ? undefined : { token, readOnly };
}

/** Caps on the live-update streams (kept apart from live.ts, whose types name Koa's, so that the package's declarations do not). */
export interface LiveLimits {
  /** Streams open at once in this process. */
  streams: number;
  /** Streams open at once for one visitor: a session, or a script's client address. */
  perVisitor: number;
}

export const defaultLiveLimits: LiveLimits = { streams: 200, perVisitor: 10 };
