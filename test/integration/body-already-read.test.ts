// A receiver mounted behind something that reads the request body first (a body parser in the
// host app): the exact bytes are gone, so the answer and the log line name the fix, with the
// status that was sent, and nothing is stored.
import { expect } from 'chai';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadContract } from '../../src/contract/document.ts';
import { createMetrics } from '../../src/operations/metrics.ts';
import { createReceiverApp } from '../../src/service/app.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';
import { contractExample, post, signedHeaders, testSecret } from '../support/receiver.ts';

describe('a body read before the receiver', () => {
  let store: TestInbox;
  afterEach(() => store.destroy());

  it('is answered 500 with what to change, logged with that status, and not stored', async () => {
    store = await inboxBackends[0]!.create();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => done(void lines.push(JSON.parse(chunk.toString()))) });
    const app = await createReceiverApp({
      contract: loadContract(),
      inbox: store.inbox,
      logger: pino({ level: 'info' }, sink),
      metrics: createMetrics(store.inbox),
      intake: { secrets: [testSecret], toleranceSeconds: 300, bodyLimitBytes: 1024 * 1024 },
    });
    const handle = app.callback();
    // What a body parser in front of the receiver does: it reads the stream to its end.
    const server = createServer((request, response) => {
      request.resume();
      request.once('end', () => void handle(request, response));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const body = JSON.stringify(contractExample('ConversationCreated'));
      const answer = await post(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, body, signedHeaders(body));
      expect(answer.status).to.equal(500);
      expect(answer.body.detail).to.match(
        /^The request body was read before the receiver got it, .* Mount the receiver before any body parser/,
      );
      const [line] = lines.filter(({ msg }) => msg === 'delivery');
      expect(line).to.deep.include({ status: 500, outcome: 'error' });
      expect((line!['err'] as { message: string }).message).to.equal(answer.body.detail);
      expect(await store.inbox.countByState()).to.deep.equal({ pending: 0, quarantined: 0, done: 0, dead: 0 });
    } finally {
      server.close();
    }
  });
});
