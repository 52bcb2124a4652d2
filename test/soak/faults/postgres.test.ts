// PostgreSQL connections terminated from the server's side: those of one application name or one
// database, and nothing else, with a real pool on a database of the test's own.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { temporaryDatabase, testDatabaseUrl } from '../../support/postgres.ts';
import { terminateConnections } from './postgres.ts';

/** A pool holding `size` connections open, the error each reports once the server ends it, and what gives them back and ends the pool. */
async function holdConnections(connectionString: string, applicationName: string, size: number) {
  const pool = new pg.Pool({ connectionString, application_name: applicationName, max: size });
  pool.on('error', () => {});
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  const ended = clients.map((client) => new Promise<Error>((resolve) => client.on('error', resolve)));
  const release = () => clients.splice(0).forEach((client) => client.release(true));
  return { pool, clients, ended, release, end: () => (release(), pool.end()) };
}

describe('PostgreSQL connections terminated', function () {
  this.timeout(20_000);
  let database: Awaited<ReturnType<typeof temporaryDatabase>> | undefined;
  const held: { end(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map((connections) => connections.end()));
    await database?.drop();
    database = undefined;
  });

  it("ends every connection of one application name, others' not, and a new one works after", async () => {
    database = await temporaryDatabase();
    const target = `ada-soak-${randomUUID()}`;
    const targeted = await holdConnections(database.url, target, 3);
    const bystander = await holdConnections(database.url, `${target}-bystander`, 1);
    held.push(targeted, bystander);

    expect(await terminateConnections(testDatabaseUrl, { applicationName: target })).to.equal(3);
    for (const error of await Promise.all(targeted.ended))
      expect(error.message).to.match(/terminating connection due to administrator command/);
    expect((await bystander.clients[0]!.query('SELECT 1 AS alive')).rows, 'the connection of another application name').to.deep.equal([
      { alive: 1 },
    ]);

    targeted.release();
    expect((await targeted.pool.query('SELECT 1 AS alive')).rows, 'a new connection of the pool').to.deep.equal([{ alive: 1 }]);
  });

  it('ends every connection to one database but its own', async () => {
    database = await temporaryDatabase();
    const connections = await holdConnections(database.url, `ada-soak-${randomUUID()}`, 2);
    held.push(connections);

    // Its own connection is to the same database, and stays out of the count.
    expect(await terminateConnections(database.url, { database: database.name })).to.equal(2);
    await Promise.all(connections.ended);
    expect(await terminateConnections(database.url, { database: database.name }), 'none left').to.equal(0);
  });

  it('refuses to run without a filter, which would end every connection to a shared server', async () => {
    let refusal: unknown;
    await terminateConnections(testDatabaseUrl, {}).catch((error: unknown) => (refusal = error));
    expect(refusal)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/needs a database or an application name/);
  });
});
