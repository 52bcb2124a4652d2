// Erasing an end user's data through the library (receiver.inbox.erase), over each backend: the
// count logged, and the erased deliveries counted in /metrics by every replica on the store.
import { expect } from 'chai';
import { inboxBackends, type TestStore } from '../support/inbox-backends.ts';
import { contractExample, deliver, startReceiver, type TestReceiver } from '../support/receiver.ts';

for (const backend of inboxBackends)
  describe(`erasure through the library on ${backend.name}`, function () {
    this.timeout(30_000);
    let store: TestStore;
    let replicas: TestReceiver[];
    beforeEach(async () => {
      store = await backend.createStore();
      replicas = [await startReceiver({ store })];
      replicas.push(await startReceiver({ store }));
    });
    afterEach(async () => {
      for (const replica of replicas) await replica.close();
      await store.destroy();
    });

    const erasedGauge = async ({ url }: TestReceiver) =>
      (await (await fetch(`${url}/metrics`)).text()).split('\n').find((line) => line.startsWith('ada_webhook_inbox_erased_deliveries '));

    it("logs each erasure with its count, and every replica's /metrics counts the erased deliveries", async () => {
      const [one, other] = replicas as [TestReceiver, TestReceiver];
      for (const [endUser, conversation] of [
        ['ana', 'conversation_1'],
        ['ana', 'conversation_2'],
        ['bo', 'conversation_3'],
      ]) {
        const event = contractExample('ConversationCreated');
        Object.assign(event['data'], { end_user_id: endUser, conversation_id: conversation });
        expect((await deliver(one.url, event)).status).to.equal(200);
      }
      expect(await erasedGauge(other)).to.equal('ada_webhook_inbox_erased_deliveries 0');

      const at = new Date();
      expect(await one.receiver.inbox.erase('ana', at)).to.equal(2);
      expect(one.logs.find(({ msg }) => msg === 'erased 2 deliveries of end user ana')).to.deep.include({
        level: 30,
        endUserId: 'ana',
        erased: 2,
        at: at.toISOString(),
      });
      for (const replica of replicas) expect(await erasedGauge(replica)).to.equal('ada_webhook_inbox_erased_deliveries 2');

      expect(await other.receiver.inbox.erase('ana')).to.equal(0);
      expect(other.logs.find(({ msg }) => msg === 'erased 0 deliveries of end user ana')).to.include({ erased: 0 });
      expect(await other.receiver.inbox.countErased()).to.equal(2);
      expect(await erasedGauge(one)).to.equal('ada_webhook_inbox_erased_deliveries 2');
      const refusal = (erasing: () => Promise<number>) => erasing().then(String, (error: unknown) => (error as Error).message);
      expect(await refusal(() => one.receiver.inbox.erase('ana', '2026-12-07' as unknown as Date))).to.equal(
        'inbox.erase: at must be a Date, got 2026-12-07.',
      );
      expect(await refusal(() => one.receiver.inbox.erase(''))).to.equal('inbox.erase: endUserId must be a non-empty string, got "".');
    });
  });
