// The service behind a load balancer (TRUST_PROXY=true): the client's address and the protocol
// come from the proxy's X-Forwarded-For and X-Forwarded-Proto, and from nowhere else without it.
import { expect } from 'chai';
import { join } from 'node:path';
import { eventually } from '../support/eventually.ts';
import { startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, post, signedHeaders, testSecret } from '../support/receiver.ts';

const inspectorToken = 'a-token-of-the-inspector-behind-a-proxy-0123';

describe('the service behind a proxy', function () {
  this.timeout(20_000);
  const temporaryDirectory = useTemporaryDirectory('ada-proxy-');
  let receiver: ReceiverProcess | undefined;
  afterEach(async () => {
    receiver?.child.kill('SIGKILL');
    await receiver?.exit;
  });

  const start = async (env: Record<string, string>) =>
    (receiver = await startReceiverProcess(temporaryDirectory(), {
      ADA_WEBHOOK_SECRET: testSecret,
      DATABASE_URL: `sqlite:${join(temporaryDirectory(), 'inbox.sqlite')}`,
      INSPECTOR_TOKEN: inspectorToken,
      ...env,
    }));
  /** A delivery signed with another secret, as forwarded by a proxy; the client its log line names. */
  const refusedClient = async (started: ReceiverProcess) => {
    const body = JSON.stringify(contractExample('ConversationCreated'));
    const headers = {
      ...signedHeaders(body, { secret: `whsec_${Buffer.alloc(32, 3).toString('base64')}` }),
      'x-forwarded-for': '203.0.113.9, 10.0.0.2',
    };
    expect((await post(started.url, body, headers)).status).to.equal(401);
    const line = await eventually(() => started.logs().find((entry) => entry['msg'] === 'delivery'));
    return line['client'];
  };
  const signIn = (started: ReceiverProcess) =>
    fetch(`${started.url}/inspector/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: started.url, 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ token: inspectorToken, next: '/inspector' }),
    });

  it('with TRUST_PROXY=true, logs the address the proxy forwarded for, and marks the cookie Secure behind HTTPS', async () => {
    const started = await start({ TRUST_PROXY: 'true' });
    expect(await refusedClient(started)).to.equal('203.0.113.9');
    const signedIn = await signIn(started);
    expect(signedIn.status).to.equal(303);
    expect(signedIn.headers.get('set-cookie')).to.match(/; secure/i);
  });

  it('without it, logs the address of the connection, whatever the headers say', async () => {
    const started = await start({});
    expect(await refusedClient(started)).to.match(/127\.0\.0\.1$/);
    const signedIn = await signIn(started);
    expect(signedIn.status).to.equal(303);
    expect(signedIn.headers.get('set-cookie')).not.to.match(/; secure/i);
  });
});
