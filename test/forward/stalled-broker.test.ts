// A broker that stalls (a NATS server paused with SIGSTOP) holds a publish for as long as it waits
// for the ack, past twice a short handler timeout. The lease covers the whole attempt, the forward
// included: the delivery is not claimed again while its attempt runs, its handler runs once, and
// the next delivery of its lane starts only after it.
import { expect } from 'chai';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNatsServer, type NatsServer } from '../soak/faults/nats-server.ts';
import { jetStreamBroker, type TestBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { useTemporaryDirectory } from '../support/process.ts';
import { deliver, messageEvent, startReceiver, type TestReceiver } from '../support/receiver.ts';

describe('forwarding to a NATS server that stalls', function () {
  this.timeout(60_000);
  const temporaryDirectory = useTemporaryDirectory('ada-forward-stall-');
  let nats: NatsServer | undefined;
  let broker: TestBroker | undefined;
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await broker?.destroy();
    await nats?.close();
    nats = broker = receiver = undefined;
  });

  it('runs the handler of a delivery once, and the next of its lane after it, while the ack waits past twice the handler timeout', async () => {
    nats = await startNatsServer({ dir: join(temporaryDirectory(), 'jetstream') });
    broker = await jetStreamBroker(nats.port);
    // The handler timeout of 1 s: a lease of the handler alone would run out after 2 s.
    receiver = await startReceiver({ ...broker.options(), handlerTimeoutSeconds: 1 });
    const runs: string[] = [];
    receiver.receiver
      .on('v1.conversation.message', async (_event, { deliveryId, attempt }) => {
        runs.push(`start ${deliveryId} ${attempt}`);
        await sleep(300);
        runs.push(`end ${deliveryId} ${attempt}`);
      })
      .start();
    await eventually(() => receiver!.logs.some(({ msg }) => msg === 'forwarding accepted deliveries'));

    await nats.pause();
    const first = await deliver(receiver.url, messageEvent('stalled', 0));
    const second = await deliver(receiver.url, messageEvent('stalled', 1));
    // Past the 2 s of a lease that covers the handler alone, and short of the 5 s confirm timeout.
    await sleep(4500);
    nats.resume();

    await eventually(
      async () => (await receiver!.inbox.get(second.id))?.state === 'done' && runs.some((run) => run.startsWith(`end ${second.id}`)),
      20_000,
    );
    expect(runs).to.deep.equal([`start ${first.id} 1`, `end ${first.id} 1`, `start ${second.id} 1`, `end ${second.id} 1`]);
    expect(await receiver.inbox.get(first.id)).to.deep.include({ state: 'done', attempts: 1 });
    expect((await broker.messages()).map(({ id }) => id)).to.deep.equal([first.id, second.id]);
    // Past another lease of the handler alone: nothing of the first runs again.
    await sleep(2500);
    expect(runs).to.have.length(4);
  });
});
