// createReceiver's options: checked at creation with the messages the service gives for its
// variables, every problem at once, passwords masked, a misspelt option named.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createReceiver, type ReceiverOptions } from '../../src/index.ts';

async function problemsOf(options: Record<string, unknown>): Promise<string[]> {
  try {
    await createReceiver(options as unknown as ReceiverOptions);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe("createReceiver's options", () => {
  it('names each bad option with an example, all at once, and never shows a secret or a password', async () => {
    expect(
      await problemsOf({
        database: 'postgress://ada:S3cretPW@db/ada',
        secrets: ['whsec_tooShort'],
        toleranceSeconds: -1,
        bodyLimit: '1gb',
        maxAttempts: 0,
        inspectorToken: 'short',
        inboxRetention: 'forevr',
      }),
    ).to.deep.equal([
      'secrets must be a comma-separated list of "whsec_" followed by base64 of at least 24 bytes; entry 1 is not, got 14 characters (not shown). Example: secrets: "whsec_<the signing secret from Ada>"',
      'toleranceSeconds must be a whole number from 1 to 86400, got "-1". Example: toleranceSeconds: 300',
      'bodyLimit must be a size in bytes, optionally with a unit b, kb or mb (1kb = 1024 bytes), got "1gb". Example: bodyLimit: "1mb"',
      'database must be sqlite:<path to a database file> or postgres://user:password@host:5432/database, got "postgress://ada:***@db/ada". Example: database: "postgres://ada:***@db/ada"',
      'inboxRetention must be forever, or a duration of at least 28h: a whole number with a unit, s, m, h or d (days), got "forevr". Example: inboxRetention: "forever"',
      'maxAttempts must be a whole number from 1 to 100, got "0". Example: maxAttempts: 8',
      'inspectorToken must be at least 32 characters long, got 5 characters (not shown). Example: inspectorToken: "<32 or more random characters, e.g. from openssl rand -hex 24>"',
    ]);
  });

  it('needs a database, and names a misspelt option', async () => {
    expect(await problemsOf({ secret: 'whsec_x', toleranceSecond: 60 })).to.deep.equal([
      'database is required: where the inbox lives, a sqlite: path or a postgres:// URL. Example: database: "sqlite:data/inbox.sqlite"',
      'secret is not an option of createReceiver; did you mean secrets? The options: secrets, database, databaseSchema, databasePoolSize, databaseConnectTimeoutSeconds, databaseQueryTimeoutSeconds, createDatabaseDirectory, toleranceSeconds, bodyLimit, path, concurrency, pollIntervalMs, handlerTimeoutSeconds, maxAttempts, retryBaseMs, logger, contract, inspectorToken, inspectorReadOnly, forwardUrl, forwardStream, forwardSubject, forwardDuplicateWindowSeconds, forwardExchange, forwardTypes, inboxRetention, encryptionKey, explainSignatureFailures, driftExampleValues',
      'toleranceSecond is not an option of createReceiver; did you mean toleranceSeconds? The options: secrets, database, databaseSchema, databasePoolSize, databaseConnectTimeoutSeconds, databaseQueryTimeoutSeconds, createDatabaseDirectory, toleranceSeconds, bodyLimit, path, concurrency, pollIntervalMs, handlerTimeoutSeconds, maxAttempts, retryBaseMs, logger, contract, inspectorToken, inspectorReadOnly, forwardUrl, forwardStream, forwardSubject, forwardDuplicateWindowSeconds, forwardExchange, forwardTypes, inboxRetention, encryptionKey, explainSignatureFailures, driftExampleValues',
    ]);
  });

  it('without secrets dispatches, but refuses to be mounted', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ada-options-'));
    try {
      const receiver = await createReceiver({ database: `sqlite:${join(directory, 'inbox.sqlite')}` });
      try {
        expect(() => receiver.koa()).to.throw(
          ConfigError,
          "secrets is required to take deliveries in: give the Ada webhook's signing secret",
        );
        expect(() => receiver.node()).to.throw(ConfigError);
        expect(await receiver.readiness()).to.deep.equal({ status: 'ready', checks: { inbox: 'ok', contract: 'ok' } });
      } finally {
        await receiver.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
