// Each fault the soak injects, on the real thing it breaks: what inject() does to a client of it,
// and that heal() undoes it.
import { connect as connectNats, type NatsConnection, type Status } from '@nats-io/transport-node';
import { expect } from 'chai';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { accepts, natsPort } from '../../support/brokers.ts';
import { temporaryDatabase } from '../../support/postgres.ts';
import { useTemporaryDirectory } from '../../support/process.ts';
import { brokerConnectionCut, diskFull, natsServerKilled, postgresConnectionsTerminated } from './fault.ts';
import { mountSmallDisk, type SmallDisk } from './full-disk.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/** Resolves once the connection has reported these statuses in this order, others between them ignored. */
async function statuses(connection: NatsConnection, ...expected: Status['type'][]): Promise<void> {
  const waiting = [...expected];
  for await (const { type } of connection.status()) {
    if (type === waiting[0]) waiting.shift();
    if (waiting.length === 0) return;
  }
}

/** A NATS client that reconnects for ever, soon after each failure. */
const natsClient = (port: number) => connectNats({ servers: `nats://127.0.0.1:${port}`, maxReconnectAttempts: -1, reconnectTimeWait: 50 });

describe('the faults of the soak', function () {
  this.timeout(20_000);
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    // Each runs, whichever fails: a server or a mount left behind outlives the test.
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });
  // Removed after the cleanups above, which unmount what is mounted in it.
  const temporaryDirectory = useTemporaryDirectory('ada-soak-fault-');

  it("a broker connection cut drops the client's connection and keeps it out until healed", async () => {
    const proxy: TcpProxy = await startTcpProxy({ host: '127.0.0.1', port: natsPort });
    cleanups.push(() => proxy.close());
    const client = await natsClient(proxy.port);
    cleanups.push(() => client.close());
    const fault = brokerConnectionCut(proxy);
    expect(fault.name).to.equal('broker connection cut');

    // A second attempt to reconnect means the first failed.
    const keptOut = statuses(client, 'disconnect', 'reconnecting', 'reconnecting');
    await fault.inject();
    await keptOut;
    const back = statuses(client, 'reconnect');
    await fault.heal();
    await back;
    await client.flush();
  });

  it('a NATS server killed is gone from its port until healed, and its clients reconnect', async () => {
    const server: NatsServer = await startNatsServer({ dir: join(temporaryDirectory(), 'jetstream') });
    cleanups.push(() => server.close());
    const client = await natsClient(server.port);
    cleanups.push(() => client.close());
    const fault = natsServerKilled(server);
    expect(fault.name).to.equal('NATS server killed');

    const disconnected = statuses(client, 'disconnect');
    await fault.inject();
    await disconnected;
    expect(await accepts(server.port), 'a connection while killed').to.equal(false);
    const back = statuses(client, 'reconnect');
    await fault.heal();
    await back;
    await client.flush();
  });

  it("PostgreSQL connections terminated end a client's connection to the database, and a new one works", async () => {
    const database = await temporaryDatabase();
    cleanups.push(() => database.drop());
    const client = new pg.Client({ connectionString: database.url });
    const ended = new Promise<Error>((resolve) => client.on('error', resolve));
    await client.connect();
    cleanups.push(() => client.end().catch(() => {}));
    const fault = postgresConnectionsTerminated(database.url, database.name);
    expect(fault.name).to.equal('PostgreSQL connections terminated');

    await fault.inject();
    expect((await ended).message).to.match(/terminating connection due to administrator command/);
    await fault.heal();
    const next = new pg.Client({ connectionString: database.url });
    await next.connect();
    cleanups.push(() => next.end());
    expect((await next.query('SELECT 1 AS alive')).rows).to.deep.equal([{ alive: 1 }]);
  });

  it('a disk full has no block left until healed', async function () {
    const dir = join(temporaryDirectory(), 'disk');
    const small = await mountSmallDisk(dir, 1024 * 1024);
    if ('skipped' in small) {
      console.warn(`    (skipped: ${small.skipped})`);
      return this.skip();
    }
    const disk: SmallDisk = small;
    cleanups.push(() => disk.unmount());
    const fault = diskFull(disk);
    expect(fault.name).to.equal('disk full');

    await fault.inject();
    expect((await statfs(dir)).bavail, 'blocks left while full').to.equal(0);
    await fault.heal();
    expect((await statfs(dir)).bavail, 'blocks left once healed').to.be.greaterThan(0);
  });
});
