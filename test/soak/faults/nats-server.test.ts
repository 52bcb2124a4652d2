// A NATS server of the test's own: killed, it is gone from its port; restarted, it is back on the
// same port with what JetStream stored in files before the kill.
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { join } from 'node:path';
import { accepts } from '../../support/brokers.ts';
import { eventually } from '../../support/eventually.ts';
import { useTemporaryDirectory } from '../../support/process.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';

describe("a NATS server of the test's own", function () {
  this.timeout(20_000);
  const temporaryDirectory = useTemporaryDirectory('ada-soak-nats-');
  let server: NatsServer | undefined;
  let connection: NatsConnection | undefined;
  afterEach(async () => {
    try {
      await connection?.close();
    } finally {
      await server?.close();
      connection = server = undefined;
    }
  });

  it('keeps a JetStream stream and its message in its file store across a kill and a restart on the same port', async () => {
    server = await startNatsServer({ dir: join(temporaryDirectory(), 'jetstream') });
    expect(server.url).to.equal(`nats://127.0.0.1:${server.port}`);
    connection = await connectNats({ servers: server.url });
    const manager = await jetstreamManager(connection);
    await manager.streams.add({ name: 'SOAK_FAULT', subjects: ['soak-fault.>'], storage: StorageType.File });
    const { seq } = await jetstream(connection).publish('soak-fault.kept', 'written before the kill');
    await connection.close();

    await server.kill();
    expect(await accepts(server.port), 'nothing listens after the kill').to.equal(false);

    await server.restart();
    connection = await connectNats({ servers: server.url });
    // The server accepts connections before JetStream has recovered its store.
    const recovered = await jetstreamManager(connection);
    const stored = await eventually(() => recovered.streams.getMessage('SOAK_FAULT', { seq }).catch(() => null), 10_000);
    expect({ subject: stored.subject, body: stored.string() }).to.deep.equal({
      subject: 'soak-fault.kept',
      body: 'written before the kill',
    });
  });

  it('answers nothing while paused, and again once resumed', async () => {
    server = await startNatsServer({ dir: join(temporaryDirectory(), 'jetstream') });
    connection = await connectNats({ servers: server.url });
    await connection.flush();
    await server.pause();
    const flushed = connection.flush().then(() => 'flushed');
    const stillWaiting = await Promise.race([flushed, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 500))]);
    expect(stillWaiting, 'a ping while paused').to.equal('still waiting');
    server.resume();
    expect(await flushed).to.equal('flushed');
  });
});
