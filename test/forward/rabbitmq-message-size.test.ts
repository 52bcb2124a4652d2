// RabbitMQ refuses a message larger than its max_message_size (16 MiB by default since 4.0, less
// than BODY_LIMIT can allow), and does not tell clients the limit: it closes the channel, with every
// publish under way on it. The large delivery fails with RabbitMQ's reason; the others sent beside
// it are given back uncounted and go out. A RabbitMQ node of the test's own, with a limit of 1 MiB.
import amqp from 'amqplib';
import { expect } from 'chai';
import { rabbitMqBroker, rabbitPort, startRabbitMqServer, type PrivateRabbitMq, type TestBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { freePort, useTemporaryDirectory } from '../support/process.ts';
import { contractExample, deliver, startReceiver, type TestReceiver } from '../support/receiver.ts';

const mebibyte = 1024 * 1024;

function messageEvent(conversation: string, bodyBytes = 0): Record<string, any> {
  const event = contractExample('ConversationMessageText');
  event['data'].conversation_id = conversation;
  if (bodyBytes > 0) {
    event['data'].content.body = '';
    event['data'].content.body = 'x'.repeat(bodyBytes - JSON.stringify(event).length);
  }
  return event;
}

describe('forwarding to RabbitMQ past its max_message_size', function () {
  this.timeout(120_000);
  const temporaryDirectory = useTemporaryDirectory('ada-forward-rabbitmq-');
  let rabbitMq: PrivateRabbitMq | undefined;
  let broker: TestBroker | undefined;
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await broker?.destroy();
    await rabbitMq?.stop();
    rabbitMq = broker = receiver = undefined;
  });

  it("fails a delivery larger than the broker's limit with RabbitMQ's reason, and forwards the ones sent beside it on their first attempt", async () => {
    rabbitMq = await startRabbitMqServer(await freePort(), await freePort(), temporaryDirectory(), [`max_message_size = ${mebibyte}`]);
    broker = await rabbitMqBroker(rabbitMq.port);
    receiver = await startReceiver({ ...broker.options(), bodyLimit: '2mb', maxAttempts: 2 });
    receiver.receiver.start();
    const { url, inbox } = receiver;
    const large = await deliver(url, messageEvent('large', mebibyte + 1));
    const others = await Promise.all(Array.from({ length: 20 }, async (_, n) => (await deliver(url, messageEvent(`beside-${n}`))).id));
    const atLimit = await deliver(url, messageEvent('at-limit', mebibyte));

    await eventually(async () => (await inbox.get(large.id))?.state === 'dead', 30_000);
    const dead = (await inbox.get(large.id))!;
    expect(dead.attempts).to.equal(2);
    expect(dead.lastError).to.match(
      new RegExp(
        `^MessageRefused: the message is ${mebibyte + 1} bytes, more than the ${mebibyte} that RabbitMQ takes \\(its max_message_size, 16777216 by default since RabbitMQ 4\\.0\\): raise max_message_size in rabbitmq.conf, then replay`,
      ),
    );
    await eventually(
      async () => (await Promise.all([...others, atLimit.id].map((id) => inbox.get(id)))).every((stored) => stored?.state === 'done'),
      30_000,
    );
    for (const id of [...others, atLimit.id]) expect(await inbox.get(id), id).to.deep.include({ attempts: 1 });
    const held = (await broker.messages()).map(({ id }) => id);
    expect([...new Set(held)].sort()).to.deep.equal([...others, atLimit.id].sort());
  });

  it('warns at start when RabbitMQ 4 or later would refuse bodies that the body limit lets in, and says nothing with RabbitMQ 3', async () => {
    broker = await rabbitMqBroker();
    const connection = await amqp.connect(`amqp://guest:guest@127.0.0.1:${rabbitPort}`);
    const { version } = connection.connection.serverProperties;
    await connection.close();
    receiver = await startReceiver({ ...broker.options(), bodyLimit: '64mb' });
    receiver.receiver.start();
    await eventually(() => receiver!.logs.some(({ msg }) => msg === 'forwarding accepted deliveries'));
    const warnings = receiver.logs.filter(({ msg }) => String(msg).includes('max_message_size'));
    if (Number.parseInt(version, 10) >= 4) {
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.deep.include({ level: 40, bodyLimitBytes: 64 * mebibyte, rabbitMqVersion: version });
    } else {
      expect(warnings, `RabbitMQ ${version}`).to.deep.equal([]);
    }
  });
});
