// A broker that refuses the user and password of FORWARD_URL: one error line that says the login
// was refused, not a warning that reads like an outage while it is retried for ever. Against the
// real RabbitMQ (its guest user, a wrong password) and a NATS server of the test's own that takes
// one user.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rabbitPort } from '../support/brokers.ts';
import { startNatsServer, type NatsServer } from '../soak/faults/nats-server.ts';
import { eventually } from '../support/eventually.ts';
import { startReceiver, type TestReceiver } from '../support/receiver.ts';

const refusalLine =
  'forwarding cannot start: the broker refused authentication with the user and password of FORWARD_URL; correct them (deliveries wait in their lanes, and it keeps trying)';

describe('forwarding with credentials that the broker refuses', function () {
  this.timeout(30_000);
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  /** The receiver's forwarding lines, once one says how its first connection ended. */
  const firstConnection = async (forwardUrl: string, target: Record<string, string>) => {
    receiver = await startReceiver({ forwardUrl, ...target });
    const forwarding = () => receiver!.logs.filter(({ msg }) => String(msg).startsWith('forwarding'));
    await eventually(() => forwarding().length > 0, 10_000);
    return forwarding();
  };

  it('RabbitMQ: a wrong password is one error line that says the login was refused, the password not in it', async () => {
    const password = `wrong-${randomUUID()}`;
    const lines = await firstConnection(`amqp://guest:${password}@127.0.0.1:${rabbitPort}`, {
      forwardExchange: `ada-credentials-${randomUUID()}`,
    });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ level: 50, msg: refusalLine });
    expect(lines[0]!['brokerError']).to.match(
      /^RabbitMQ refused the user and password of FORWARD_URL \(amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+ exchange ada-credentials-[\w-]+\): .*ACCESS-REFUSED/,
    );
    expect(JSON.stringify(receiver!.logs)).to.not.include(password);
  });

  describe('NATS', () => {
    let directory: string;
    let server: NatsServer;
    let port: number;
    before(async () => {
      directory = mkdtempSync(join(tmpdir(), 'ada-nats-credentials-'));
      server = await startNatsServer({ dir: join(directory, 'jetstream'), authorization: { user: 'ada', password: 'the-right-one' } });
      port = server.port;
    });
    after(async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    });

    it('a wrong password is one error line that says the login was refused', async () => {
      const lines = await firstConnection(`nats://ada:wrong-one@127.0.0.1:${port}`, { forwardStream: 'ADA_CREDENTIALS' });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ level: 50, msg: refusalLine });
      expect(lines[0]!['brokerError']).to.equal(
        `the NATS server refused the credentials of FORWARD_URL (nats://ada:***@127.0.0.1:${port} stream ADA_CREDENTIALS): Authorization Violation`,
      );
      expect(JSON.stringify(receiver!.logs)).to.not.include('wrong-one');
    });

    it('the right password forwards, with no such line', async () => {
      const lines = await firstConnection(`nats://ada:the-right-one@127.0.0.1:${port}`, { forwardStream: 'ADA_CREDENTIALS' });
      expect(lines.map(({ level, msg }) => ({ level, msg }))).to.deep.equal([{ level: 30, msg: 'forwarding accepted deliveries' }]);
    });
  });
});
