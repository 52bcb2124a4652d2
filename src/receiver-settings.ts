// The receiver's settings, read the same way from createReceiver's options and from the service's
// environment: the same parsers, the same messages, each subsystem reading its own.
import { leaseMsOf, readDispatcherSettings, type DispatcherSettings } from './dispatch/settings.ts';
import { readForwardSettings, type ForwardSettings } from './forward/settings.ts';
import { readRetention, type RetentionSettings } from './inbox/retention.ts';
import { readDatabase, type DatabaseDefaults, type DatabaseSettings } from './inbox/settings.ts';
import { readBodyLimit, readTolerance } from './intake/settings.ts';
import { readInspectorSettings, type InspectorSettings } from './inspector/settings.ts';
import { Invalid, parseBoolean, type Setting, type SettingsReader } from './support/settings-reader.ts';

export interface ReceiverSettings {
  /** `whsec_` secrets; without any, the receiver dispatches but cannot take deliveries in. */
  secrets: string[];
  toleranceSeconds: number;
  bodyLimitBytes: number;
  /** Where deliveries are POSTed; the contract's path when not given. */
  path: string | undefined;
  database: DatabaseSettings;
  /** How long `done` deliveries are kept: those older are purged while the dispatcher runs. */
  retention: RetentionSettings;
  dispatcher: DispatcherSettings;
  /** The inspector page; off when undefined. */
  inspector: InspectorSettings | undefined;
  /** The broker that accepted deliveries are forwarded to; none when undefined. */
  forward: ForwardSettings | undefined;
  /** Contract drift keeps an example value of each field the contract does not describe, not only its type. */
  driftExampleValues: boolean;
  /** A 401 says which signature check failed; on outside production only. */
  explainSignatureFailures: boolean;
}

const pathSetting: Setting = { variable: 'WEBHOOK_PATH', option: 'path' };
const driftExampleValuesSetting: Setting = { variable: 'DRIFT_EXAMPLE_VALUES', option: 'driftExampleValues' };
/** An option of the library alone: the service explains outside production. */
const explainSignatureFailuresSetting: Setting = { option: 'explainSignatureFailures' };

/**
 * Everything but the secrets, whose rules differ: the service may use a development secret, the
 * library never does. `production` holds the settings to production's rules.
 */
export function readReceiverSettings(
  reader: SettingsReader,
  database: DatabaseDefaults,
  secrets: string[],
  production: boolean,
): ReceiverSettings {
  const settings = {
    secrets,
    toleranceSeconds: readTolerance(reader),
    bodyLimitBytes: readBodyLimit(reader),
    path: readWebhookPath(reader),
    database: readDatabase(reader, database),
    retention: readRetention(reader),
    dispatcher: readDispatcherSettings(reader),
    inspector: readInspectorSettings(reader, production),
  };
  return {
    ...settings,
    forward: readForwardSettings(reader, leaseMsOf(settings.dispatcher, { forwarding: true })),
    driftExampleValues: reader.read(driftExampleValuesSetting, false, parseBoolean, 'true'),
    explainSignatureFailures: reader.read(explainSignatureFailuresSetting, !production, parseBoolean, 'true'),
  };
}

/** WEBHOOK_PATH (`path`): where deliveries are POSTed; undefined for the contract's path. */
export const readWebhookPath = (reader: SettingsReader): string | undefined =>
  reader.read(pathSetting, undefined, parsePath, '/webhooks/ada');

function parsePath(raw: string): string | Invalid {
  return /^\/[^?#\s]*$/.test(raw) ? raw : new Invalid('must be a URL path that starts with /, without a query');
}
