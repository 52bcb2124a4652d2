// How the intake's settings are read: the signing secrets, the timestamp tolerance, the largest body.
import { Invalid, integerIn, type Setting, type SettingsReader } from '../support/settings-reader.ts';
import { defaultToleranceSeconds } from './signature.ts';

export const secretsSetting: Setting = { variable: 'ADA_WEBHOOK_SECRET', option: 'secrets', secret: true };
const toleranceSetting: Setting = { variable: 'WEBHOOK_TOLERANCE_SECONDS', option: 'toleranceSeconds' };
const bodyLimitSetting: Setting = { variable: 'BODY_LIMIT', option: 'bodyLimit' };

/** What messages suggest for a secret: a placeholder that is not one, so that it cannot be pasted and work. */
export const secretPlaceholder = 'whsec_<the signing secret from Ada>';

/** The secrets given; empty when none is. */
export const readSecrets = (reader: SettingsReader): string[] => reader.read(secretsSetting, [], parseSecrets, secretPlaceholder);
export const readTolerance = (reader: SettingsReader) =>
  reader.read(toleranceSetting, defaultToleranceSeconds, integerIn(1, 86_400), String(defaultToleranceSeconds));
export const readBodyLimit = (reader: SettingsReader) => reader.read(bodyLimitSetting, 1024 * 1024, parseByteSize, '1mb');

export function parseSecrets(raw: string): string[] | Invalid {
  const secrets = raw
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.length === 0) return new Invalid('lists no secret, only separators');
  const malformed = secrets.findIndex((secret) => !isWellFormedSecret(secret));
  if (malformed !== -1) {
    return new Invalid(`must be a comma-separated list of "whsec_" followed by base64 of at least 24 bytes; entry ${malformed + 1} is not`);
  }
  return secrets;
}

function isWellFormedSecret(secret: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  return match !== null && Buffer.from(match[1]!, 'base64').length >= 24;
}

const byteUnits: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2 };

/** A whole body is held in memory while it is checked, and each store keeps it as one value. */
const largestBodyLimit = 64 * 1024 ** 2;

function parseByteSize(raw: string): number | Invalid {
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw);
  const size = match ? Number(match[1]) * byteUnits[(match[2] ?? '').toLowerCase()]! : 0;
  if (size < 1) return new Invalid('must be a size in bytes, optionally with a unit b, kb or mb (1kb = 1024 bytes)');
  return size <= largestBodyLimit ? size : new Invalid('must be at most 64mb: a body is held in memory whole while it is checked');
}
