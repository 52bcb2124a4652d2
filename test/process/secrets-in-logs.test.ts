// Every line the receiver process writes, over a run with accepted, quarantined, malformed and
// rejected deliveries (bad signatures, expired timestamps, an unknown secret): none holds a
// signing secret, a signature or a body.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { eventually } from '../support/eventually.ts';
import { childEnvironment, freePort, mainPath, useTemporaryDirectory } from '../support/process.ts';
import { contractExample, post, signedHeaders, testSecret } from '../support/receiver.ts';

const rotatedSecret = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const strangerSecret = `whsec_${Buffer.alloc(32, 6).toString('base64')}`;

describe('secrets in the logs', function () {
  this.timeout(60_000);
  const temporaryDirectory = useTemporaryDirectory('ada-secrets-');

  it('never writes a secret, a signature or a body, whatever it is sent', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [mainPath], {
      cwd: temporaryDirectory(),
      env: childEnvironment({
        PORT: String(port),
        ADA_WEBHOOK_SECRET: `${testSecret},${rotatedSecret}`,
        DATABASE_URL: `sqlite:${join(temporaryDirectory(), 'inbox.sqlite')}`,
        LOG_LEVEL: 'trace',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await eventually(() => output.includes('receiver listening'), 10_000);

    const secretMarker = 'private-text-of-an-end-user';
    const message = contractExample('ConversationMessageText');
    message['data'].content.body = secretMarker;
    const body = JSON.stringify(message);
    const signatures: string[] = [];
    const sendWith = async (headers: Record<string, string>, sent = body) => {
      signatures.push(headers['svix-signature']!.slice('v1,'.length));
      return (await post(url, sent, headers)).status;
    };

    expect(await sendWith(signedHeaders(body))).to.equal(200);
    expect(await sendWith(signedHeaders(body, { secret: rotatedSecret }))).to.equal(200);
    expect(await sendWith(signedHeaders(body, { secret: strangerSecret }))).to.equal(401);
    expect(await sendWith(signedHeaders(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))).to.equal(401);
    expect(await sendWith({ ...signedHeaders(body), 'svix-signature': `v1,${Buffer.alloc(32, 8).toString('base64')}` })).to.equal(401);
    const quarantined = JSON.stringify({ ...message, timestamp: `not a time ${secretMarker}` });
    expect(await sendWith(signedHeaders(quarantined), quarantined)).to.equal(422);
    const malformed = `{"text": "${secretMarker}"`;
    expect(await sendWith(signedHeaders(malformed), malformed)).to.equal(400);
    // Every line is in before the search: a line per request, and the handler's for both accepted.
    const count = (text: string) => output.split(text).length - 1;
    await eventually(() => count('"msg":"delivery"') === 7 && count('"msg":"handled"') === 2, 10_000);

    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(output).to.include('"outcome":"unauthorized"');
    for (const secret of [testSecret, rotatedSecret, strangerSecret]) {
      expect(output).to.not.include(secret.slice('whsec_'.length, 'whsec_'.length + 16));
    }
    for (const signature of signatures) expect(output).to.not.include(signature.slice(0, 16));
    expect(output).to.not.include(secretMarker);
  });
});
