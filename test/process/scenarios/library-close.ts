// A host app on the library whose handler never settles and ignores its abort signal: it takes one
// delivery, waits until the handler runs, then closes its server and the receiver, and does not
// call process.exit. The process must end by itself: nothing of the released attempt is left.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { createReceiver } from '../../../src/index.ts';
import { contractExample, deliver, testSecret } from '../../support/receiver.ts';

let started: () => void;
const handlerStarted = new Promise<void>((resolve) => (started = resolve));
const receiver = await createReceiver({ secrets: testSecret, database: `sqlite:${process.env['INBOX']}`, handlerTimeoutSeconds: 600 });
receiver.on('v1.conversation.created', () => {
  started();
  return new Promise(() => {});
});
receiver.start();
const server = createServer(receiver.node()).listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as { port: number };
await deliver(`http://127.0.0.1:${port}`, contractExample('ConversationCreated'));
await handlerStarted;
server.close();
await receiver.close({ graceMs: 50 });
console.log('closed');
