// createReceiver opens the inbox before its later steps; when one of those throws, what was opened
// is released: the SQLite file is no longer held, the PostgreSQL pool keeps no connection. The
// step that fails here fails for real: a contract whose union of deliveries has another name than
// AdaWebhookDelivery takes deliveries in, but the inspector cannot build its validator from it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { loadContract, type ContractDocument } from '../../src/contract/document.ts';
import { createReceiver, type ReceiverOptions } from '../../src/receiver.ts';
import { eventually } from '../support/eventually.ts';
import { onTestDatabase, temporarySchema, testDatabaseUrl } from '../support/postgres.ts';
import { inboxBackends } from '../support/inbox-backends.ts';
import { contractExample, deliver, startReceiver, testSecret } from '../support/receiver.ts';

const inspectorToken = 'a-token-of-the-inspector-32-characters-or-more';

/** The shipped contract with its union of deliveries under another name, every reference to it following. */
function contractWithDeliveriesNamed(name: string): ContractDocument {
  const text = JSON.stringify(loadContract()).replaceAll('"#/components/schemas/AdaWebhookDelivery"', `"#/components/schemas/${name}"`);
  const contract = JSON.parse(text) as ContractDocument;
  const schemas = contract.components.schemas;
  schemas[name] = schemas['AdaWebhookDelivery']!;
  delete schemas['AdaWebhookDelivery'];
  return contract;
}

const options = (database: Partial<ReceiverOptions>, contract: ContractDocument): ReceiverOptions => ({
  database: '',
  ...database,
  secrets: testSecret,
  inspectorToken,
  contract,
});

/** Whether a connection holds the SQLite file: another one cannot then take it out of WAL mode. */
function heldOpen(path: string): boolean {
  const db = new DatabaseSync(path, { timeout: 0 });
  try {
    db.exec('PRAGMA journal_mode = DELETE');
    return false;
  } catch (error) {
    if (/database is locked/.test((error as Error).message)) return true;
    throw error;
  } finally {
    db.close();
  }
}

describe('a receiver whose composition fails after its inbox opened', () => {
  const renamed = contractWithDeliveriesNamed('Delivery');

  it('closes its SQLite inbox: the file is no longer held', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ada-composition-'));
    const path = join(directory, 'inbox.sqlite');
    try {
      const receiver = await createReceiver(options({ database: `sqlite:${path}` }, loadContract()));
      expect(heldOpen(path), 'held while a receiver has it open').to.equal(true);
      await receiver.close();

      const failed = await createReceiver(options({ database: `sqlite:${path}` }, renamed)).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(failed?.message).to.equal('The contract has no schema named AdaWebhookDelivery');
      expect(heldOpen(path), 'held after the receiver failed').to.equal(false);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("closes its PostgreSQL pool: none of the pool's connections is left", async () => {
    const { schema, drop } = await temporarySchema();
    /** The database's URL with an application name of its own, by which its connections are counted. */
    const named = (applicationName: string) => {
      const url = new URL(testDatabaseUrl);
      url.searchParams.set('application_name', applicationName);
      return { database: url.toString(), databaseSchema: schema };
    };
    const connections = (applicationName: string) =>
      onTestDatabase(async (client) => {
        const { rows } = await client.query('SELECT count(*)::int AS count FROM pg_stat_activity WHERE application_name = $1', [
          applicationName,
        ]);
        return (rows[0] as { count: number }).count;
      });
    try {
      const receiver = await createReceiver(options(named(`${schema}_good`), loadContract()));
      expect(await connections(`${schema}_good`), 'connections while a receiver has the pool open').to.be.above(0);
      await receiver.close();

      const failed = await createReceiver(options(named(`${schema}_failed`), renamed)).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(failed?.message).to.equal('The contract has no schema named AdaWebhookDelivery');
      await eventually(async () => (await connections(`${schema}_failed`)) === 0);
    } finally {
      await drop();
    }
  });
});

describe("a receiver's close when its stop fails", () => {
  for (const backend of inboxBackends) {
    it(`releases the inbox all the same (${backend.name}), so that nothing keeps the process alive`, async () => {
      const receiver = await startReceiver({ backend });
      try {
        let started = false;
        receiver.receiver.on('v1.conversation.message', () => {
          started = true;
          return new Promise<void>(() => {});
        });
        receiver.receiver.start();
        await deliver(receiver.url, contractExample('ConversationMessageText'));
        await eventually(() => started);
        // The release of the delivery still running cannot be written, so the stop fails.
        await receiver.refuseWrites();
        const closing = await receiver.receiver.close({ graceMs: 100 }).then(
          () => 'closed',
          (error: Error) => error.message,
        );
        expect(closing).to.not.equal('closed');
        const read = await receiver.receiver.inbox.countByState().then(
          () => 'the inbox still answers',
          () => 'the inbox is closed',
        );
        expect(read).to.equal('the inbox is closed');
      } finally {
        // The test's HTTP server; the receiver is closed already.
        await receiver.close().catch(() => undefined);
      }
    });
  }
});
