// Where the inbox lives: a SQLite file, or a PostgreSQL database with its schema and pool; and
// the keys that keep what it stores of deliveries encrypted, when it is given some.
import { resolve } from 'node:path';
import { readEncryptionKeys, type EncryptionKeys } from './encryption/keys.ts';
import { Invalid, integerIn, withoutPassword, type Setting, type SettingsReader } from '../support/settings-reader.ts';

export type DatabaseSettings = StoreSettings & {
  /** The operator's keys (INBOX_ENCRYPTION_KEY); the inbox keeps deliveries in clear without them. */
  encryption?: EncryptionKeys | undefined;
};

type StoreSettings =
  | {
      kind: 'sqlite';
      path: string;
      /** Whether a missing directory on the way to the file is created (otherwise opening it fails, saying so). */
      createDirectory: boolean;
    }
  | {
      kind: 'postgres';
      /** The `postgres://` URL as given, password included: never log it (see databaseLabel). */
      url: string;
      schema: string;
      poolSize: number;
      connectTimeoutMs: number;
      queryTimeoutMs: number;
    };

const databaseSetting: Setting = { variable: 'DATABASE_URL', option: 'database' };
const schemaSetting: Setting = { variable: 'DATABASE_SCHEMA', option: 'databaseSchema' };
const poolSizeSetting: Setting = { variable: 'DATABASE_POOL_SIZE', option: 'databasePoolSize' };
const connectTimeoutSetting: Setting = { variable: 'DATABASE_CONNECT_TIMEOUT_SECONDS', option: 'databaseConnectTimeoutSeconds' };
const queryTimeoutSetting: Setting = { variable: 'DATABASE_QUERY_TIMEOUT_SECONDS', option: 'databaseQueryTimeoutSeconds' };

const postgresExample = 'postgres://user:password@host:5432/database';

export interface DatabaseDefaults {
  /** The `sqlite:` URL used when none is given; without one, the setting is required. */
  url?: string;
  /** Whether a missing directory of a SQLite file given by the user is created (the default's always is). */
  createDirectory: boolean;
  example: string;
}

/** The inbox's settings; the pool and schema are read, and checked, only for PostgreSQL. */
export function readDatabase(reader: SettingsReader, defaults: DatabaseDefaults): DatabaseSettings {
  const fallback = defaults.url === undefined ? undefined : parseDatabaseUrl(defaults.url);
  const database = reader.read(databaseSetting, fallback, parseDatabaseUrl, defaults.example);
  const keys = readEncryptionKeys(reader);
  const encryption = keys && { encryption: keys };
  if (database === undefined || database instanceof Invalid) {
    if (!reader.rejected(databaseSetting)) {
      reader.problems.push(
        `${reader.nameOf(databaseSetting)} is required: where the inbox lives, a sqlite: path or a postgres:// URL. Example: ${reader.exampleOf(databaseSetting, defaults.example)}`,
      );
    }
    return { kind: 'sqlite', path: '', createDirectory: false };
  }
  if (database.kind === 'sqlite') {
    const isDefault = database.path === (fallback as { path?: string } | undefined)?.path;
    return { ...database, createDirectory: isDefault || defaults.createDirectory, ...encryption };
  }
  return {
    ...database,
    ...encryption,
    schema: reader.read(schemaSetting, 'ada_webhooks', parseSchemaName, 'ada_webhooks'),
    poolSize: reader.read(poolSizeSetting, 10, integerIn(2, 100), '10'),
    connectTimeoutMs: 1000 * reader.read(connectTimeoutSetting, 5, integerIn(1, 120), '5'),
    queryTimeoutMs: 1000 * reader.read(queryTimeoutSetting, 10, integerIn(1, 600), '10'),
  };
}

function parseDatabaseUrl(raw: string): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | Invalid {
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) {
    return { kind: 'sqlite', path: resolve(raw.slice('sqlite:'.length)) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    return URL.canParse(raw) ? { kind: 'postgres', url: raw } : new Invalid('is not a valid URL', postgresExample);
  }
  // A misspelt scheme (postgress://, postgre://, pgsql://): the same URL with the right one.
  const misspelt = /^(p\w*g\w*|psql):\/\//i.exec(raw);
  return new Invalid(
    `must be sqlite:<path to a database file> or ${postgresExample}`,
    misspelt ? withoutPassword(`postgres://${raw.slice(misspelt[0].length)}`) : undefined,
  );
}

function parseSchemaName(raw: string): string | Invalid {
  return /^[a-z_][a-z0-9_]{0,47}$/.test(raw)
    ? raw
    : new Invalid('must be a schema name of lower-case letters, digits and underscores (at most 48)');
}

/** Where the inbox is, for logs and messages: the SQLite file, or the PostgreSQL URL without its password and the schema. */
export function databaseLabel(database: DatabaseSettings): string {
  return database.kind === 'sqlite' ? database.path : `${withoutPassword(database.url)} (schema ${database.schema})`;
}
