// The inspector over an inbox that cannot read one delivery's content for a reason other than an
// erasure (encryption at rest: a tampered or wrong ciphertext): the store hands that delivery over
// emptied, with why, as the encrypted inbox does; its pages say why, offer no replay and never fail.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { createDeliveryValidator } from '../../src/contract/delivery-validator.ts';
import type { Inbox, StoredDelivery } from '../../src/inbox/inbox.ts';
import { createInspector, type Inspector } from '../../src/inspector/mount.ts';
import { inboxBackends, type TestInbox } from '../support/inbox-backends.ts';
import { contractExample, storedDelivery } from '../support/receiver.ts';

const token = 'inspector-token-for-the-unreadable-tests-0123456789';
const reason = 'its body cannot be decrypted: it was tampered with (altered, cut short, or moved from elsewhere)';

/** `inbox`, with the content of delivery `id` unreadable for `reason` wherever the pages read it (get, list). */
function withUnreadable(inbox: Inbox, id: string): Inbox {
  const opened = (delivery: StoredDelivery): StoredDelivery =>
    delivery.id === id ? { ...delivery, headers: {}, body: '', lastError: null, unreadable: reason } : delivery;
  return new Proxy(inbox, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'get')
        return async (key: string) => {
          const delivery = await target.get(key);
          return delivery && opened(delivery);
        };
      if (property === 'list') return async (...args: Parameters<Inbox['list']>) => (await target.list(...args)).map(opened);
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
}

describe('the inspector and a delivery whose content cannot be read', () => {
  let store: TestInbox;
  let inspector: Inspector;
  let server: Server;
  let url: string;
  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, html: await response.text() };
  };

  beforeEach(async () => {
    store = await inboxBackends[0]!.create();
    inspector = createInspector({
      settings: { token, readOnly: false },
      inbox: withUnreadable(store.inbox, 'msg_tampered'),
      validateDelivery: createDeliveryValidator(await dereferenceContract(loadContract())),
      logger: pino({ level: 'silent' }),
    });
    server = createServer(inspector.node()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    inspector.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.destroy();
  });

  it('shows why instead of its body and headers, marks it unreadable in the list, and refuses to replay it', async () => {
    await store.inbox.quarantine(storedDelivery(contractExample('ConversationCreated'), 'msg_tampered'), [
      { pointer: '/data', message: 'must be object' },
    ]);
    await store.inbox.quarantine(storedDelivery(contractExample('ConversationCreated'), 'msg_fine'), [
      { pointer: '/data', message: 'must be object' },
    ]);
    const page = await get('/inspector/delivery?id=msg_tampered');
    expect(page.status).to.equal(200);
    expect(page.html).to.contain(`Not shown: ${reason}.`);
    expect(page.html).not.to.contain('Headers kept for audit');
    expect(page.html).not.to.contain('/inspector/delivery/replay');
    expect(page.html).to.contain('<h2>Violations of the contract</h2>');
    expect(page.html).not.to.contain('href="#violation-1"');

    const list = await get('/inspector?state=quarantined');
    expect(list.html).to.contain(`<span class="marker" title="${reason}">unreadable</span>`);
    expect(list.html.match(/class="marker"/g)).to.have.length(1);
    // The other delivery goes on: its page shows its body and offers its replay.
    const fine = await get('/inspector/delivery?id=msg_fine');
    expect(fine.html).to.contain('Headers kept for audit');
    expect(fine.html).to.contain('/inspector/delivery/replay');

    const replayed = await fetch(`${url}/inspector/delivery/replay?id=msg_tampered`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(replayed.status).to.equal(409);
    expect(await replayed.text()).to.contain(`Not replayed: ${reason}.`);
    expect((await store.inbox.get('msg_tampered'))?.state).to.equal('quarantined');
  });
});
