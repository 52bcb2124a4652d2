// Replay of dead and quarantined deliveries, over the real receiver, inbox and dispatcher.
import { expect } from 'chai';
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { createDeliveryValidator } from '../../src/contract/delivery-validator.ts';
import { replay } from '../../src/dispatch/replay.ts';
import { eventually } from '../support/eventually.ts';
import { contractExample, deliver, post, signedHeaders, startReceiver, type TestReceiver } from '../support/receiver.ts';
import { listed, unlisted } from '../support/contract-values.ts';

const currentContract = createDeliveryValidator(await dereferenceContract(loadContract()));

/** A channel modality the contract does not list (yet). */
const fax = unlisted(listed('ChannelModality'), 'fax');

/** The contract as it would be after adding `fax` to the channel modalities and regenerating. */
async function widenedContract() {
  const contract = loadContract();
  (contract.components.schemas['ChannelModality']!['enum'] as string[]).push(fax);
  return createDeliveryValidator(await dereferenceContract(contract));
}

describe('replay', () => {
  let receiver: TestReceiver;
  let handlerWorks: boolean;
  let handled: string[];
  beforeEach(async () => {
    receiver = await startReceiver({ maxAttempts: 2 });
    handlerWorks = false;
    handled = [];
    receiver.receiver
      .on('v1.conversation.created', (_event, { deliveryId }) => {
        if (!handlerWorks) throw new Error('the internal API is down');
        handled.push(deliveryId);
      })
      .on('v1.conversation.message', (_event, { deliveryId }) => {
        handled.push(deliveryId);
      })
      .start();
  });
  afterEach(() => receiver.close());

  const stateOf = async (id: string) => (await receiver.inbox.get(id))?.state;

  it('puts a dead delivery back to pending, and the dispatcher then handles it', async () => {
    const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
    await eventually(async () => (await stateOf(id)) === 'dead');

    handlerWorks = true;
    const outcomes = await replay({ inbox: receiver.inbox, validateDelivery: currentContract }, { state: 'dead' });
    expect(outcomes).to.deep.equal([{ id, outcome: 'requeued', from: 'dead' }]);
    await eventually(async () => (await stateOf(id)) === 'done');
    expect(handled).to.deep.equal([id]);
    expect(await receiver.inbox.get(id)).to.deep.include({ attempts: 1, lastError: null });
  });

  it('replays a quarantined delivery once the contract accepts it, and handles it', async () => {
    const event = contractExample('ConversationMessageLink');
    event['data'].channel.modality = fax;
    const { id, status } = await deliver(receiver.url, event);
    expect(status).to.equal(422);

    const unchanged = await replay({ inbox: receiver.inbox, validateDelivery: currentContract }, { state: 'quarantined' });
    expect(unchanged).to.deep.equal([
      {
        id,
        outcome: 'still quarantined',
        violations: [{ pointer: '/data/channel/modality', message: `must be one of: ${listed('ChannelModality').join(', ')}` }],
      },
    ]);
    expect(await stateOf(id)).to.equal('quarantined');

    const widened = await replay({ inbox: receiver.inbox, validateDelivery: await widenedContract() }, { state: 'quarantined' });
    expect(widened).to.deep.equal([{ id, outcome: 'requeued', from: 'quarantined' }]);
    await eventually(async () => (await stateOf(id)) === 'done');
    expect(handled).to.deep.equal([id]);
    expect(await receiver.inbox.get(id)).to.deep.include({ violations: [] });
  });

  it('keeps the new violations of a delivery that still fails', async () => {
    const event = contractExample('ConversationMessageLink');
    event['data'].channel.modality = fax;
    const roles = listed('MessageAuthor', 'role');
    event['data'].author.role = unlisted(roles, 'robot');
    const { id } = await deliver(receiver.url, event);
    await replay({ inbox: receiver.inbox, validateDelivery: await widenedContract() }, { id });
    expect((await receiver.inbox.get(id))?.violations).to.deep.equal([
      { pointer: '/data/author/role', message: `must be one of: ${roles.join(', ')}` },
    ]);
  });

  it('keeps a number out of the range of a double quarantined, as the intake does, rather than hand a handler Infinity', async () => {
    const body = JSON.stringify({ ...contractExample('ConversationMessageLink'), added_later: 7 }).replace(
      '"added_later":7',
      '"added_later":1e400',
    );
    const headers = signedHeaders(body);
    expect((await post(receiver.url, body, headers)).status).to.equal(422);
    const id = headers['svix-id']!;

    const outcomes = await replay({ inbox: receiver.inbox, validateDelivery: currentContract }, { id });
    expect(outcomes).to.have.length(1);
    expect(outcomes[0]).to.deep.include({ id, outcome: 'still quarantined' });
    expect(await stateOf(id)).to.equal('quarantined');
    expect(handled).to.deep.equal([]);
  });

  it("replays against a contract whose schemas carry OpenAPI's own keywords, such as `example`", async () => {
    const contract = loadContract();
    contract.components.schemas['ChannelModality']!['example'] = 'messaging';
    const validate = createDeliveryValidator(await dereferenceContract(contract));
    const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
    await eventually(async () => (await stateOf(id)) === 'dead');
    handlerWorks = true;
    expect(await replay({ inbox: receiver.inbox, validateDelivery: validate }, { id })).to.deep.equal([
      { id, outcome: 'requeued', from: 'dead' },
    ]);
    await eventually(async () => (await stateOf(id)) === 'done');
  });

  it('changes nothing in a dry run, and filters by type and time', async () => {
    const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
    await eventually(async () => (await stateOf(id)) === 'dead');
    const options = { inbox: receiver.inbox, validateDelivery: currentContract, dryRun: true };

    expect(await replay(options, { state: 'dead', eventType: 'v1.conversation.ended' })).to.deep.equal([]);
    expect(await replay(options, { state: 'dead', since: new Date(Date.now() + 60_000) })).to.deep.equal([]);
    expect(
      await replay(options, { state: 'dead', since: new Date(Date.now() - 60_000), eventType: 'v1.conversation.created' }),
    ).to.deep.equal([{ id, outcome: 'requeued', from: 'dead' }]);
    expect(await stateOf(id)).to.equal('dead');
  });
});
