// Forwarding through crashes, as users run it (`node src/main.ts`, its example handlers): 5,000
// deliveries over 100 conversations, one in five sent twice, while the receiver is killed with
// SIGKILL three times and restarted on the same SQLite file. The senders behave like Svix: a
// delivery that got no 200 is sent again, with the same id. JetStream must hold every
// acknowledged delivery exactly once; RabbitMQ every one at least once, a second copy only for a
// delivery that was in flight at a kill, with the same message_id; both in conversation order.
// Then a real NATS server is killed and restarted under load.
import { expect } from 'chai';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNatsServer } from '../soak/faults/nats-server.ts';
import { brokerBackends, jetStreamBroker, type ForwardedCopy } from '../support/brokers.ts';
import { eventually } from '../support/eventually.ts';
import { startReceiverProcess, useTemporaryDirectory, type ReceiverProcess } from '../support/process.ts';
import { contractExample, post, signedHeaders, testSecret } from '../support/receiver.ts';

const deliveries = Number(process.env['FORWARD_CRASH_DELIVERIES'] ?? 5000);
const conversations = 100;
const kills = 3;
/** The dispatcher's concurrency by default: at most this many deliveries are in flight at a kill. */
const inFlightAtMost = 8;

const conversationOf = (copy: ForwardedCopy) => (JSON.parse(copy.body) as { data: { conversation_id: string } }).data.conversation_id;

/**
 * Sends `total` deliveries over `conversationCount` conversations, each conversation by one sender in order, each
 * delivery until it is acknowledged; every fifth acknowledged one is sent once more. `receiverUrl`
 * is read at each send, so that a restarted receiver is found. Calls `progress` with the number
 * acknowledged so far.
 */
async function sendAll(
  receiverUrl: () => string,
  total: number,
  conversationCount: number,
  progress: (acknowledged: number) => Promise<void> = async () => {},
) {
  const sent = new Map<string, string[]>();
  let acknowledged = 0;
  const sendOnce = async (id: string, body: string) => {
    for (;;) {
      try {
        const answer = await post(receiverUrl(), body, signedHeaders(body, { id }));
        if (answer.status === 200) return;
      } catch {
        // No answer: the receiver was killed meanwhile. Svix would try again.
      }
      await sleep(50);
    }
  };
  const workers = Array.from({ length: 20 }, async (_, worker) => {
    for (let sequence = worker; sequence < total; sequence += 20) {
      const conversation = `forward-crash-${sequence % conversationCount}`;
      const event = contractExample('ConversationMessageText');
      event['data'].conversation_id = conversation;
      event['timestamp'] = new Date(Date.UTC(2026, 11, 1, 9) + sequence).toISOString();
      const id = `msg_forward_${sequence}`;
      const body = JSON.stringify(event);
      await sendOnce(id, body);
      if (sequence % 5 === 0) await sendOnce(id, body);
      (sent.get(conversation) ?? sent.set(conversation, []).get(conversation)!).push(id);
      acknowledged += 1;
      await progress(acknowledged);
    }
  });
  await Promise.all(workers);
  return sent;
}

/** Each conversation's ids in the order first held, beside the order sent. */
function expectConversationOrder(copies: ForwardedCopy[], sent: Map<string, string[]>): void {
  const held = Map.groupBy(copies, conversationOf);
  for (const [conversation, ids] of sent) {
    const firsts = [...new Set(held.get(conversation)?.map(({ id }) => id))];
    expect(firsts, conversation).to.deep.equal(ids);
  }
}

for (const backend of brokerBackends)
  describe(`forwarding to ${backend.name} through SIGKILLs of the receiver`, function () {
    this.timeout(240_000);
    const temporaryDirectory = useTemporaryDirectory('ada-forward-crash-');

    it(`holds every acknowledged delivery of ${deliveries} over ${conversations} conversations, in conversation order, through ${kills} SIGKILLs`, async () => {
      const broker = await backend.create();
      const databasePath = join(temporaryDirectory(), 'inbox.sqlite');
      const start = () =>
        // A short handler timeout: the leases of a killed process (see leaseMsOf) run out soon.
        startReceiverProcess(temporaryDirectory(), {
          ADA_WEBHOOK_SECRET: testSecret,
          DATABASE_URL: `sqlite:${databasePath}`,
          HANDLER_TIMEOUT_SECONDS: '1',
          ...broker.env(),
        });
      let receiver: ReceiverProcess = await start();
      try {
        let killed = 0;
        let restarting: Promise<void> | undefined;
        const sent = await sendAll(
          () => receiver.url,
          deliveries,
          conversations,
          async (acknowledged) => {
            if (killed < kills && acknowledged >= ((killed + 1) * deliveries) / (kills + 1) && !restarting) {
              killed += 1;
              restarting = (async () => {
                receiver.child.kill('SIGKILL');
                await receiver.exit;
                receiver = await start();
                restarting = undefined;
              })();
            }
            await restarting;
          },
        );
        expect(killed).to.equal(kills);
        const acknowledged = [...sent.values()].flat();
        await eventually(async () => new Set((await broker.messages()).map(({ id }) => id)).size >= acknowledged.length, 120_000);
        const copies = await broker.messages();
        const ids = copies.map(({ id }) => id);
        expect(new Set(ids).size, 'distinct deliveries held').to.equal(acknowledged.length);
        expect([...new Set(ids)].sort()).to.deep.equal([...acknowledged].sort());
        const repeated = ids.length - new Set(ids).size;
        if (backend.name === 'NATS JetStream') expect(repeated, 'copies that JetStream kept twice').to.equal(0);
        else expect(repeated, 'second copies: at most the deliveries in flight at the kills').to.be.at.most(kills * inFlightAtMost);
        expectConversationOrder(copies, sent);
        console.log(`      ${acknowledged.length} acknowledged, ${ids.length} messages held, ${repeated} second copies`);
      } finally {
        receiver.child.kill('SIGTERM');
        await receiver.exit;
        await broker.destroy();
      }
    });
  });

describe('forwarding to a NATS server that is killed and restarted under load', function () {
  this.timeout(120_000);
  const temporaryDirectory = useTemporaryDirectory('ada-forward-restart-');

  it('holds every acknowledged delivery once, in conversation order', async () => {
    const nats = await startNatsServer({ dir: join(temporaryDirectory(), 'jetstream') });
    const broker = await jetStreamBroker(nats.port);
    const receiver = await startReceiverProcess(temporaryDirectory(), {
      ADA_WEBHOOK_SECRET: testSecret,
      DATABASE_URL: `sqlite:${join(temporaryDirectory(), 'inbox.sqlite')}`,
      ...broker.env(),
    });
    try {
      let restarted = false;
      const total = 1500;
      const sent = await sendAll(
        () => receiver.url,
        total,
        20,
        async (acknowledged) => {
          if (acknowledged === total / 3 && !restarted) {
            restarted = true;
            await nats.kill();
            setTimeout(() => void nats.restart(), 1000);
          }
        },
      );
      // While the restarted server recovers its JetStream store, the test's own requests to it
      // may time out: such a poll counts as not there yet.
      await eventually(
        () =>
          broker.messages().then(
            (messages) => messages.length >= total,
            () => false,
          ),
        60_000,
      );
      const copies = await broker.messages();
      expect(copies.map(({ id }) => id).sort()).to.deep.equal([...sent.values()].flat().sort());
      expectConversationOrder(copies, sent);
      expect(receiver.logs().map(({ msg }) => msg)).to.include(
        'forwarding is failing: deliveries wait in their lanes until the broker is back',
      );
    } finally {
      receiver.child.kill('SIGTERM');
      await receiver.exit;
      await broker.destroy();
      await nats.close();
    }
  });
});
