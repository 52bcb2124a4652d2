// The inspector when the inbox cannot be read (found by the soak: a page read while PostgreSQL's
// connections were terminated answered 500): the store's failure is answered 503 with
// Retry-After and says so, as intake answers a delivery it could not store; the page is back
// once the inbox can be read again.
import { expect } from 'chai';
import { inboxBackends } from '../support/inbox-backends.ts';
import { onTestDatabase } from '../support/postgres.ts';
import { startReceiver, type TestReceiver } from '../support/receiver.ts';

const token = 'inspector-token-for-the-store-failure-0123456789';
const postgres = inboxBackends.find((backend) => backend.name === 'PostgreSQL');

(postgres ? describe : describe.skip)('the inspector when the inbox cannot be read (PostgreSQL)', () => {
  let receiver: TestReceiver;
  afterEach(() => receiver.close());

  const get = async (path: string) => {
    const response = await fetch(`${receiver.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), html: await response.text() };
  };

  it('answers 503 with Retry-After, saying that the inbox cannot be read, and the page once it can', async () => {
    const store = await postgres!.createStore();
    receiver = await startReceiver({ backend: postgres!, store, inspectorToken: token });
    expect((await get('/inspector?state=done')).status).to.equal(200);
    const schema = store.options.databaseSchema!;
    // Every read of the list fails in the store, as it does while its connections are being terminated.
    await onTestDatabase((client) => client.query(`ALTER TABLE ${schema}.deliveries RENAME TO deliveries_away`));
    try {
      const unreadable = await get('/inspector?state=done');
      expect({ status: unreadable.status, retryAfter: unreadable.retryAfter }).to.deep.equal({ status: 503, retryAfter: '5' });
      expect(unreadable.html).to.include('The inbox cannot be read just now; retry in a few seconds.');
      const logged = receiver.logs.filter((line) => line['msg'] === 'the inspector could not read the inbox');
      expect(logged.map((line) => line['level'])).to.deep.equal([40]);
      expect(receiver.logs.filter((line) => line['msg'] === 'the inspector failed to answer')).to.deep.equal([]);
    } finally {
      await onTestDatabase((client) => client.query(`ALTER TABLE ${schema}.deliveries_away RENAME TO deliveries`));
    }
    expect((await get('/inspector?state=done')).status).to.equal(200);
    await store.destroy();
  });
});
