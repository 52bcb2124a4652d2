// A stream that exists already, and does not take the subjects that FORWARD_SUBJECT publishes on
// (the template was changed after the stream was made, or the stream was edited): nothing would
// store the messages, and NATS answers each publish with "no responders". That is a configuration
// to fix, not a fault of the deliveries: forwarding fails and says what to do, nothing is claimed
// or dead, and once the stream takes the subjects the deliveries go out in order.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { subjectCovers } from '../../src/forward/subject.ts';
import { jetStreamBroker, natsPort, type TestBroker } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { deliver, messageEvent, startReceiver, type TestReceiver } from '../support/receiver.ts';

const failing = 'forwarding is failing: deliveries wait in their lanes until the broker is back';
const worksAgain = 'forwarding works again: waiting deliveries go out in order';

describe('forwarding to a JetStream stream that does not take the subjects forwarded', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let receiver: TestReceiver | undefined;
  let connection: NatsConnection;
  let manager: JetStreamManager;
  let stream: string;
  let prefix: string;
  beforeEach(async () => {
    broker = await jetStreamBroker();
    const options = broker.options() as Record<string, string>;
    stream = options['forwardStream']!;
    prefix = options['forwardSubject']!.split('.')[0]!;
    connection = await connect({ servers: `nats://127.0.0.1:${natsPort}` });
    manager = await jetstreamManager(connection);
  });
  afterEach(async () => {
    await receiver?.close();
    await broker.destroy();
    await connection.close();
    receiver = undefined;
  });

  /** Sends three events of one conversation; checks, past several probes of a second, that they wait uncounted. */
  const sendAndSeeThemWait = async () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n += 1) ids.push((await deliver(receiver!.url, messageEvent('subjects', n))).id);
    await eventually(() => receiver!.logs.some(({ msg }) => msg === failing));
    await sleep(3000);
    for (const id of ids) expect(await receiver!.inbox.get(id), id).to.deep.include({ state: 'pending', attempts: 0 });
    expect((await receiver!.receiver.readiness()).forwarding).to.include({ state: 'failing' });
    expect(
      receiver!.logs.filter(({ msg }) => msg === failing),
      'said once',
    ).to.have.length(1);
    expect(receiver!.logs.map(({ msg }) => msg)).not.to.include(worksAgain);
    return ids;
  };

  const expectForwardedInOrder = async (ids: string[]) => {
    await eventually(
      async () => (await Promise.all(ids.map((id) => receiver!.inbox.get(id)))).every((stored) => stored?.state === 'done'),
      15_000,
    );
    for (const id of ids) expect(await receiver!.inbox.get(id), id).to.deep.include({ attempts: 1 });
    const held = (await broker.messages()).map(({ id }) => id);
    expect(held.slice(-ids.length)).to.deep.equal(ids);
    expect(receiver!.logs.map(({ msg }) => msg)).to.include(worksAgain);
    expect((await receiver!.receiver.readiness()).forwarding).to.include({ state: 'ok' });
  };

  it('does not start forwarding when FORWARD_SUBJECT changed after the stream was made, says what to do, and loses nothing', async () => {
    await manager.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    receiver = await startReceiver({ ...broker.options(), forwardSubject: `${prefix}moved.{type}` });
    receiver.receiver.start();
    const ids = await sendAndSeeThemWait();
    const failure = receiver.logs.find(({ msg }) => msg === failing)!;
    expect(failure['brokerError']).to.equal(
      `the stream ${stream} takes the subjects ${prefix}.>, not ${prefix}moved.> that the subject template ${prefix}moved.{type} (FORWARD_SUBJECT) publishes on: add ${prefix}moved.> to the stream's subjects, or give forwarding a stream of its own (FORWARD_STREAM), or set FORWARD_SUBJECT back to subjects that the stream takes`,
    );
    expect(receiver.logs.map(({ msg }) => msg)).not.to.include('forwarding accepted deliveries');

    await manager.streams.update(stream, { subjects: [`${prefix}.>`, `${prefix}moved.>`] });
    await expectForwardedInOrder(ids);
  });

  it('holds deliveries back when the stream stops taking the subjects while forwarding, and forwards them once it takes them again', async () => {
    receiver = await startReceiver(broker.options());
    receiver.receiver.start();
    const first = await deliver(receiver.url, messageEvent('subjects-first', 0));
    await eventually(async () => (await receiver!.inbox.get(first.id))?.state === 'done', 10_000);
    await manager.streams.update(stream, { subjects: [`${prefix}elsewhere.>`] });

    const ids = await sendAndSeeThemWait();
    const failure = receiver.logs.find(({ msg }) => msg === failing)!;
    expect(failure['brokerError']).to.match(
      new RegExp(
        `^nothing in JetStream answered a publish on ${prefix}\\.v1\\.conversation\\.message: the stream ${stream} is gone, offline, or no longer takes that subject`,
      ),
    );
    expect(await receiver.inbox.list({ state: 'dead', limit: 10 })).to.deep.equal([]);

    await manager.streams.update(stream, { subjects: [`${prefix}.>`] });
    await expectForwardedInOrder(ids);
  });
});

describe('subject coverage', () => {
  it('knows which subjects a stream subject takes, wildcards included', () => {
    const cases: [pattern: string, subject: string, covered: boolean][] = [
      ['ada.>', 'ada.>', true],
      ['ada.>', 'ada.x.>', true],
      ['>', 'ada.>', true],
      ['ada.>', 'events.>', false],
      ['ada.*', 'ada.>', false],
      ['ada.*.>', 'ada.>', false],
      ['ada.*', 'ada.x', true],
      ['ada.*', 'ada.*', true],
      ['ada.x', 'ada.*', false],
      ['ada', 'ada.x', false],
      ['ada.x.y', 'ada.x', false],
      ['ada.>', 'ada', false],
      ['ada.>', 'ada.v1.conversation.message', true],
    ];
    for (const [pattern, subject, covered] of cases)
      expect(subjectCovers(pattern, subject), `${pattern} takes ${subject}`).to.equal(covered);
  });
});
