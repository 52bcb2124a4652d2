// Transactional handlers on the real PostgreSQL: a handler's writes commit with its delivery's
// settlement, or roll back with it. The user's table lives in the test's own schema, beside the
// inbox, without a unique key on the delivery id: a second run would show as a second row.
import { expect } from 'chai';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TransactionClient } from '../../src/inbox/handler-transactions.ts';
import { LeaseLost } from '../../src/dispatch/transactional.ts';
import type { Receiver } from '../../src/receiver.ts';
import { eventually } from '../support/eventually.ts';
import { selected, type TestStore } from '../support/inbox-backends.ts';
import { onTestDatabase, testDatabaseUrl } from '../support/postgres.ts';
import { contractExample, deliver, startReceiver, type TestReceiver, type TestReceiverOptions } from '../support/receiver.ts';

/** The user's table, in the store's schema: one row per run of the handler that committed. */
const effectsTable = (schema: string) => `${schema}.effects`;

let conversations = 0;
/** A message event in a conversation of its own (so in a lane of its own), or in `conversation`. */
function messageEvent(conversation = `conversation-tx-${process.pid}-${(conversations += 1)}`) {
  const event = contractExample('ConversationMessageText');
  event['data'].conversation_id = conversation;
  return event;
}

for (const backend of selected('PostgreSQL'))
  describe('transactional handlers (PostgreSQL)', function () {
    this.timeout(20_000);
    let store: TestStore;
    let schema: string;
    const receivers: TestReceiver[] = [];
    const start = async (options: TestReceiverOptions = {}): Promise<TestReceiver> => {
      const receiver = await startReceiver({ store, ...options });
      receivers.push(receiver);
      return receiver;
    };
    const effects = (id: string) =>
      onTestDatabase(async (client) => {
        const { rows } = await client.query<{ attempt: number }>(`SELECT attempt FROM ${effectsTable(schema)} WHERE delivery_id = $1`, [
          id,
        ]);
        return rows.map(({ attempt }) => attempt);
      });
    const insertEffect = (transaction: TransactionClient, id: string, attempt: number) =>
      transaction.query(`INSERT INTO ${effectsTable(schema)} (delivery_id, attempt) VALUES ($1, $2)`, [id, attempt]);
    const stateOf = async (receiver: TestReceiver, id: string) => (await receiver.inbox.get(id))?.state;

    beforeEach(async () => {
      store = await backend.createStore();
      schema = store.options.databaseSchema!;
      await onTestDatabase((client) =>
        client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${effectsTable(schema)} (delivery_id text NOT NULL, attempt integer NOT NULL)`),
      );
    });
    afterEach(async () => {
      for (const receiver of receivers.splice(0)) await receiver.close();
      await store.destroy();
    });

    it('commits the handler’s insert with the delivery’s settlement: done, one row, the metric says committed', async () => {
      const { receiver, url } = await start();
      receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
          },
          { transactional: true },
        )
        .start();
      const { id } = await deliver(url, messageEvent());

      await eventually(async () => (await stateOf(receivers[0]!, id)) === 'done');
      expect(await effects(id)).to.deep.equal([1]);
      await eventually(async () => (await receiver.metrics()).text.includes('ada_webhook_handler_transactions_total{outcome="committed"'));
      expect((await receiver.metrics()).text).to.include(
        'ada_webhook_handler_transactions_total{outcome="committed",event_type="v1.conversation.message"} 1',
      );
    });

    it('runs a transactional onUnknown handler, and one that settles inside its own transaction with settleWithin, once each', async () => {
      const { receiver, url } = await start();
      receiver
        .onUnknown(async (_event, { transaction, deliveryId, attempt }) => void (await insertEffect(transaction, deliveryId, attempt)), {
          transactional: true,
        })
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt, settleWithin }) => {
            await insertEffect(transaction, deliveryId, attempt);
            await settleWithin(transaction);
          },
          { transactional: true },
        )
        .start();
      const { id: unknownId } = await deliver(url, contractExample('UnknownEvent'));
      const { id: messageId } = await deliver(url, messageEvent());

      await eventually(
        async () => (await stateOf(receivers[0]!, unknownId)) === 'done' && (await stateOf(receivers[0]!, messageId)) === 'done',
      );
      expect(await effects(unknownId)).to.deep.equal([1]);
      expect(await effects(messageId)).to.deep.equal([1]);
      await eventually(async () => (await receiver.metrics()).text.includes('ada_webhook_handler_transactions_total{outcome="committed"'));
      expect((await receiver.metrics()).text).to.include(
        'ada_webhook_handler_transactions_total{outcome="committed",event_type="v1.conversation.message"} 1',
      );
    });

    it('rolls the insert back when the handler throws after it, records the failure, and commits the retry alone', async () => {
      const { receiver, url } = await start({ maxAttempts: 3 });
      receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            if (attempt === 1) throw new Error('the first attempt fails after its insert');
          },
          { transactional: true },
        )
        .start();
      const { id } = await deliver(url, messageEvent());

      await eventually(async () => (await stateOf(receivers[0]!, id)) === 'done');
      expect(await effects(id)).to.deep.equal([2]);
      const failed = await receivers[0]!.inbox.failedAttempts(id);
      expect(failed.map(({ attempt, error }) => ({ attempt, error: error.split('\n')[0] }))).to.deep.equal([
        { attempt: 1, error: 'Error: the first attempt fails after its insert' },
      ]);
      expect((await receiver.metrics()).text).to.include(
        'ada_webhook_handler_transactions_total{outcome="rolled_back",event_type="v1.conversation.message"} 1',
      );
    });

    it('fails an attempt whose handler caught an SQL error (a unique violation), saying the transaction is aborted, rather than done', async () => {
      await onTestDatabase((client) =>
        client.query(`CREATE TABLE ${schema}.seen (id text PRIMARY KEY); INSERT INTO ${schema}.seen VALUES ('taken')`),
      );
      const { receiver, url } = await start({ maxAttempts: 1 });
      let caught: string | undefined;
      receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            try {
              await transaction.query(`INSERT INTO ${schema}.seen VALUES ('taken')`);
            } catch (error) {
              caught = (error as pg.DatabaseError).code;
            }
          },
          { transactional: true },
        )
        .start();
      const { id } = await deliver(url, messageEvent());

      await eventually(async () => (await stateOf(receivers[0]!, id)) === 'dead');
      expect(caught).to.equal('23505');
      const [failure] = await receivers[0]!.inbox.failedAttempts(id);
      expect(failure!.error).to.match(/^Error: the handler caught an SQL error inside its transaction, which PostgreSQL then aborted/);
      expect(failure!.error).to.include('savepoint');
      expect(await effects(id)).to.deep.equal([]);
    });

    it('keeps a handler’s work after a caught error that it wrapped in a savepoint', async () => {
      await onTestDatabase((client) =>
        client.query(`CREATE TABLE ${schema}.seen (id text PRIMARY KEY); INSERT INTO ${schema}.seen VALUES ('taken')`),
      );
      const { receiver, url } = await start();
      receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            await transaction.query('SAVEPOINT maybe_seen');
            await transaction
              .query(`INSERT INTO ${schema}.seen VALUES ('taken')`)
              .catch(() => transaction.query('ROLLBACK TO SAVEPOINT maybe_seen'));
          },
          { transactional: true },
        )
        .start();
      const { id } = await deliver(url, messageEvent());

      await eventually(async () => (await stateOf(receivers[0]!, id)) === 'done');
      expect(await effects(id)).to.deep.equal([1]);
    });

    it('rolls back the first replica whose lease was lost while its handler slept, and keeps the second replica’s one row', async () => {
      const firstEntered = Promise.withResolvers<void>();
      const wakeFirst = Promise.withResolvers<void>();
      // One at a time: the first replica claims nothing more while its handler sleeps.
      const first = await start({ concurrency: 1 });
      first.receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            firstEntered.resolve();
            await wakeFirst.promise;
          },
          { transactional: true },
        )
        .start();
      const { id } = await deliver(first.url, messageEvent());
      await firstEntered.promise;

      // The lease runs out (as the clock would make it, two handler timeouts on), and a second replica takes the lane.
      await onTestDatabase((client) => client.query(`UPDATE ${schema}.lanes SET lease_until = 0 WHERE leased_id = $1`, [id]));
      const second = await start();
      const secondHandled = Promise.withResolvers<void>();
      second.receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            secondHandled.resolve();
          },
          { transactional: true },
        )
        .start();
      await secondHandled.promise;
      await eventually(async () => (await stateOf(second, id)) === 'done');
      wakeFirst.resolve();

      await eventually(async () => (await first.receiver.metrics()).text.includes('outcome="lease_lost"'));
      expect(await effects(id)).to.deep.equal([2]);
      expect(first.logs.some((line) => line['outcome'] === 'lease_lost' && line['deliveryId'] === id)).to.equal(true);
      expect(await receivers[0]!.inbox.get(id)).to.deep.include({ state: 'done', attempts: 2 });
    });

    it('holds no lock on the lane while the handler runs: its row is locked only by the final settlement', async () => {
      const { receiver, url } = await start();
      const inside = Promise.withResolvers<void>();
      const finish = Promise.withResolvers<void>();
      receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            inside.resolve();
            await finish.promise;
          },
          { transactional: true },
        )
        .start();
      const { id } = await deliver(url, messageEvent());
      await inside.promise;
      try {
        const locked = await onTestDatabase(
          async (client) => (await client.query(`SELECT key FROM ${schema}.lanes WHERE leased_id = $1 FOR UPDATE NOWAIT`, [id])).rowCount,
        );
        expect(locked).to.equal(1);
      } finally {
        finish.resolve();
      }
      await eventually(async () => (await stateOf(receivers[0]!, id)) === 'done');
    });

    it('starts the next event of a conversation only once its transactional predecessor has committed', async () => {
      const { receiver, url } = await start();
      const conversation = `conversation-order-${process.pid}`;
      const firstInserted = Promise.withResolvers<void>();
      const seenBySecond: number[][] = [];
      let firstId = '';
      receiver
        .on(
          'v1.conversation.message',
          async (event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            if (deliveryId === firstId) {
              firstInserted.resolve();
              await sleep(300);
            } else {
              seenBySecond.push(await effects(firstId));
            }
            return event;
          },
          { transactional: true },
        )
        .start();
      const older = messageEvent(conversation);
      const newer = messageEvent(conversation);
      newer['timestamp'] = new Date(Date.parse(older['timestamp']) + 1000).toISOString();
      firstId = (await deliver(url, older)).id;
      await firstInserted.promise;
      const { id: secondId } = await deliver(url, newer);

      await eventually(async () => (await stateOf(receivers[0]!, secondId)) === 'done');
      // The second handler, on a connection of its own, saw the first one's row: it had committed.
      expect(seenBySecond).to.deep.equal([[1]]);
    });

    it('ends a handler that outlives its timeout: its connection is closed, nothing it wrote stays, the attempt fails', async () => {
      const { receiver, url } = await start({ maxAttempts: 2 });
      let firstBackend: number | undefined;
      receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            if (attempt > 1) return;
            firstBackend = (await transaction.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
            await transaction.query('SELECT pg_sleep(30)');
          },
          { transactional: true },
        )
        .start();
      const { id } = await deliver(url, messageEvent());

      await eventually(async () => (await stateOf(receivers[0]!, id)) === 'done', 10_000);
      expect(await effects(id)).to.deep.equal([2]);
      // The first attempt's server process ends (its statement bounded by the handler timeout plus the margin) rather than wait for 30 s.
      const sessions = () =>
        onTestDatabase(async (client) => (await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [firstBackend])).rowCount);
      expect(firstBackend).to.be.a('number');
      await eventually(async () => (await sessions()) === 0, 10_000);
      const [failure] = await receivers[0]!.inbox.failedAttempts(id);
      expect(failure!.error).to.match(/^TimeoutError: the handler took longer than 1000 ms/);
    });

    it('gives an attempt still running when the receiver stops back to the inbox: nothing it wrote commits, then or later', async () => {
      const stopping = await start();
      const inserted = Promise.withResolvers<void>();
      const woke = Promise.withResolvers<void>();
      stopping.receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await insertEffect(transaction, deliveryId, attempt);
            inserted.resolve();
            await sleep(500);
            woke.resolve();
            await insertEffect(transaction, deliveryId, attempt);
          },
          { transactional: true },
        )
        .start();
      const { id } = await deliver(stopping.url, messageEvent());
      await inserted.promise;
      receivers.splice(receivers.indexOf(stopping), 1);
      await stopping.receiver.stop({ graceMs: 50 });
      await stopping.close();

      await woke.promise;
      await sleep(100);
      expect(await effects(id)).to.deep.equal([]);
      const reader = await start();
      expect(await reader.inbox.get(id)).to.deep.include({ state: 'pending', attempts: 0 });
    });

    it('runs the same handler written with Drizzle and with Kysely over context.transaction', async () => {
      const { receiver, url } = await start();
      const effects_ = pgSchema(schema).table('effects', {
        deliveryId: text('delivery_id').notNull(),
        attempt: integer('attempt').notNull(),
      });
      interface Tables {
        effects: { delivery_id: string; attempt: number };
      }
      receiver
        .on(
          'v1.conversation.message',
          async (_event, { transaction, deliveryId, attempt }) => {
            await drizzle({ client: transaction as pg.PoolClient })
              .insert(effects_)
              .values({ deliveryId, attempt });
          },
          { transactional: true },
        )
        .on(
          'v1.conversation.created',
          async (_event, { transaction, deliveryId, attempt }) => {
            // Kysely's pool is the one connection inside the transaction; its release gives nothing back.
            const client = transaction as pg.PoolClient;
            const connection = { query: client.query.bind(client), release() {} };
            const db = new Kysely<Tables>({
              dialect: new PostgresDialect({ pool: { connect: async () => connection, end: async () => {}, options: {} } }),
            }).withSchema(schema);
            await db.insertInto('effects').values({ delivery_id: deliveryId, attempt }).execute();
          },
          { transactional: true },
        )
        .start();
      const { id: drizzleId } = await deliver(url, messageEvent());
      const created = contractExample('ConversationCreated');
      created['data'].conversation_id = `conversation-kysely-${process.pid}`;
      const { id: kyselyId } = await deliver(url, created);

      await eventually(
        async () => (await stateOf(receivers[0]!, drizzleId)) === 'done' && (await stateOf(receivers[0]!, kyselyId)) === 'done',
      );
      expect(await effects(drizzleId)).to.deep.equal([1]);
      expect(await effects(kyselyId)).to.deep.equal([1]);
    });

    it('settles within a transaction that Kysely owns (settleWithin): committed with the row, or rolled back with it', async () => {
      const { receiver, url } = await start({ maxAttempts: 3 });
      const pool = new pg.Pool({ connectionString: testDatabaseUrl, max: 2 });
      const db = new Kysely<{ effects: { delivery_id: string; attempt: number } }>({ dialect: new PostgresDialect({ pool }) }).withSchema(
        schema,
      );
      try {
        receiver
          .on('v1.conversation.message', async (_event, { deliveryId, attempt, settleWithin }) => {
            await db.transaction().execute(async (trx) => {
              await trx.insertInto('effects').values({ delivery_id: deliveryId, attempt }).execute();
              await settleWithin((text, values) => trx.executeQuery(CompiledQuery.raw(text, values)));
              if (attempt === 1) throw new Error('the first attempt fails after it settled inside its transaction');
            });
          })
          .start();
        const { id } = await deliver(url, messageEvent());

        await eventually(async () => (await stateOf(receivers[0]!, id)) === 'done');
        expect(await effects(id)).to.deep.equal([2]);
        expect((await receivers[0]!.inbox.failedAttempts(id)).map(({ attempt }) => attempt)).to.deep.equal([1]);
        await eventually(async () => (await receiver.metrics()).text.includes('outcome="settled_within"'));
      } finally {
        await db.destroy();
      }
    });

    it('rejects settleWithin with LeaseLost when another replica took the delivery, and the ORM rolls its transaction back', async () => {
      const pool = new pg.Pool({ connectionString: testDatabaseUrl, max: 2 });
      const db = new Kysely<{ effects: { delivery_id: string; attempt: number } }>({ dialect: new PostgresDialect({ pool }) }).withSchema(
        schema,
      );
      const firstInserted = Promise.withResolvers<void>();
      const wakeFirst = Promise.withResolvers<void>();
      let firstFailure: unknown;
      try {
        const first = await start({ concurrency: 1 });
        first.receiver
          .on('v1.conversation.message', async (_event, { deliveryId, attempt, settleWithin }) => {
            await db
              .transaction()
              .execute(async (trx) => {
                await trx.insertInto('effects').values({ delivery_id: deliveryId, attempt }).execute();
                firstInserted.resolve();
                await wakeFirst.promise;
                await settleWithin((text, values) => trx.executeQuery(CompiledQuery.raw(text, values)));
              })
              .catch((error: unknown) => {
                firstFailure = error;
                throw error;
              });
          })
          .start();
        const { id } = await deliver(first.url, messageEvent());
        await firstInserted.promise;
        await onTestDatabase((client) => client.query(`UPDATE ${schema}.lanes SET lease_until = 0 WHERE leased_id = $1`, [id]));
        const second = await start();
        second.receiver
          .on(
            'v1.conversation.message',
            async (_event, { transaction, deliveryId, attempt }) => void (await insertEffect(transaction, deliveryId, attempt)),
            { transactional: true },
          )
          .start();
        await eventually(async () => (await stateOf(second, id)) === 'done');
        wakeFirst.resolve();

        await eventually(async () => (await first.receiver.metrics()).text.includes('outcome="lease_lost"'));
        expect(firstFailure).to.be.instanceOf(LeaseLost);
        expect(await effects(id)).to.deep.equal([2]);
        expect(await second.inbox.get(id)).to.deep.include({ state: 'done', attempts: 2, lastError: null });
      } finally {
        wakeFirst.resolve();
        await db.destroy();
      }
    });

    it('warns at start when the pool is not larger than the concurrency', async () => {
      const { receiver, logs } = await start({ databasePoolSize: 4, concurrency: 4 });
      receiver.on('v1.conversation.message', () => {}, { transactional: true }).start();
      expect(logs.find((line) => String(line['msg']).includes('not larger than the concurrency'))).to.include({
        poolSize: 4,
        concurrency: 4,
      });
    });
  });

for (const backend of selected('SQLite'))
  describe('transactional handlers (SQLite)', function () {
    this.timeout(20_000);
    it('refuses to register one, saying that they need the PostgreSQL inbox', async () => {
      const receiver = await startReceiver({ backend });
      try {
        const register = (on: Receiver) => on.on('v1.conversation.message', () => {}, { transactional: true });
        expect(() => register(receiver.receiver)).to.throw(/^Transactional handlers need the PostgreSQL inbox/);
        expect(() => receiver.receiver.onUnknown(() => {}, { transactional: true })).to.throw(/need the PostgreSQL inbox/);
      } finally {
        await receiver.close();
      }
    });
  });
