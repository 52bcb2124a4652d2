// What the inspector's pages say, read over HTTP with the token as a script would, on every
// backend: paging on from a page's last delivery, filters in the URL, where a delivery stands in
// its lane, live updates of what another receiver on the same store takes in.
import { expect } from 'chai';
import { eventually } from '../support/eventually.ts';
import { inboxBackends } from '../support/inbox-backends.ts';
import { contractExample, deliver, startReceiver, storedDelivery, type TestReceiver } from '../support/receiver.ts';

const token = 'inspector-token-for-the-page-tests-0123456789';

/** ghtml writes every character it escapes as a numeric reference. */
const decoded = (html: string) => html.replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));

/** A page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed. */
const textOf = (html: string) => decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

for (const backend of inboxBackends)
  describe(`the inspector pages on ${backend.name}`, () => {
    let receiver: TestReceiver;
    /** What a test leaves to undo once its receiver is closed. */
    const afterwards: (() => Promise<void>)[] = [];
    afterEach(async () => {
      await receiver.close();
      for (const step of afterwards.splice(0)) await step();
    });
    const get = async (path: string) => {
      const response = await fetch(`${receiver.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, html: await response.text() };
    };
    const listedIds = (html: string) =>
      [...html.matchAll(/<a href="\/inspector\/delivery\?id&#61;[^"]+">([^<]+)<\/a>/g)].map((match) => match[1]!);
    /** A form POSTed as a script would, the redirect it answers left unfollowed. */
    const postForm = (path: string, fields: Record<string, string> = {}) =>
      fetch(`${receiver.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
        redirect: 'manual',
      });
    /** The contract's example `name` as an event that names `endUser`, with what else is given in its `data`. */
    const naming = (name: string, endUser: string, data: Record<string, unknown> = {}) => {
      const event = contractExample(name);
      Object.assign(event['data'], { end_user_id: endUser, ...data });
      return event;
    };

    it('pages through the whole list, newest first, each delivery once', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      // Seven deliveries a second: pages end inside a second, between deliveries received at once.
      const start = Date.parse('2026-11-24T09:00:00Z');
      const deliveries = Array.from({ length: 120 }, (_, index) => ({
        ...storedDelivery(contractExample('ConversationCreated'), `msg_${String(index).padStart(3, '0')}`),
        receivedAt: new Date(start + Math.floor(index / 7) * 1000),
      }));
      await Promise.all(deliveries.map((delivery) => receiver.inbox.accept(delivery)));
      const seen: string[] = [];
      let path: string | undefined = '/inspector?state=pending';
      while (path) {
        const { status, html } = await get(path);
        expect(status).to.equal(200);
        seen.push(...listedIds(html));
        const next = /<a href="([^"]+)" rel="next">/.exec(html)?.[1];
        path = next && decoded(next);
      }
      const newestFirst = deliveries.toSorted((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : -1));
      expect(seen).to.deep.equal(newestFirst.map(({ id }) => id));
    });

    it('finds deliveries by the start of their id, with the other filters, and says when none starts so', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      for (const id of ['msg_2a1', 'msg_2a2', 'msg_2b1'])
        await receiver.inbox.accept(storedDelivery(contractExample('ConversationCreated'), id));
      await receiver.inbox.quarantine(storedDelivery(contractExample('ConversationCreated'), 'msg_2a3'), []);
      expect(listedIds((await get('/inspector?id=msg_2a')).html).sort()).to.deep.equal(['msg_2a1', 'msg_2a2', 'msg_2a3']);
      expect(listedIds((await get('/inspector?id=msg_2a1')).html)).to.deep.equal(['msg_2a1']);
      expect(listedIds((await get('/inspector?id=msg_2a&state=quarantined')).html)).to.deep.equal(['msg_2a3']);
      expect(textOf((await get('/inspector?id=msg_3')).html)).to.contain('No delivery id starts with msg_3.');
      const replay = await get('/inspector/replay?id=msg_2a&state=quarantined');
      expect(textOf(replay.html)).to.contain('1 delivery match (id = msg_2a, state = quarantined)');
    });

    it('discards a quarantined delivery for good, logged and shown with who and when; refuses any other', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      await receiver.inbox.quarantine(storedDelivery(contractExample('ConversationCreated'), 'msg_never'), [
        { pointer: '/data', message: 'must be object' },
      ]);
      await receiver.inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg_pending'));
      const post = (path: string) =>
        fetch(`${receiver.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ list: 'state=quarantined' }),
          redirect: 'manual',
        });
      expect(textOf((await get('/inspector/delivery/discard?id=msg_never')).html)).to.contain('It will no longer count as quarantined');

      const discarded = await post('/inspector/delivery/discard?id=msg_never');
      expect(discarded.status).to.equal(303);
      expect(discarded.headers.get('location')).to.equal('/inspector/delivery?id=msg_never&discarded=yes&list=state%3Dquarantined');
      const logged = receiver.logs.find((line) => line['msg'] === 'inspector: discarded a quarantined delivery');
      expect(logged).to.deep.include({ deliveryId: 'msg_never', by: 'a script (Bearer token) from 127.0.0.1' });
      const stored = await receiver.inbox.get('msg_never');
      expect(stored).to.deep.include({ state: 'discarded', violations: [{ pointer: '/data', message: 'must be object' }] });
      expect(Math.abs(stored!.discarded!.at.getTime() - Number(logged!['time']))).to.be.below(1000);

      const page = textOf((await get('/inspector/delivery?id=msg_never&discarded=yes')).html);
      expect(page).to.contain('Discarded: it no longer counts as quarantined');
      expect(page).to.contain(
        `Discarded ${stored!.discarded!.at.toISOString().replace('T', ' ')} by a script (Bearer token) from 127.0.0.1`,
      );
      expect(page).to.contain('/data : must be object');
      const counts = (await receiver.receiver.metrics()).text;
      expect(counts).to.contain('ada_webhook_inbox_deliveries{state="quarantined"} 0');
      expect(counts).to.contain('ada_webhook_inbox_deliveries{state="discarded"} 1');

      const again = await post('/inspector/delivery/discard?id=msg_never');
      expect(again.status).to.equal(409);
      expect(textOf(await again.text())).to.contain('Only a quarantined delivery can be discarded; this one is discarded.');
      expect((await post('/inspector/delivery/discard?id=msg_pending')).status).to.equal(409);
      expect((await post('/inspector/delivery/discard?id=msg_nowhere')).status).to.equal(404);
      const replayed = await post('/inspector/delivery/replay?id=msg_never');
      expect(replayed.headers.get('location')).to.equal('/inspector/delivery?id=msg_never&replayed=discarded&list=state%3Dquarantined');
      expect((await receiver.inbox.get('msg_never'))?.state).to.equal('discarded');
    });

    it('lists every delivery that names an end user, in their conversations and their own lane, by the id as sent', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      const long = `eu_${'l'.repeat(600)}`;
      await receiver.inbox.accept(storedDelivery(naming('EndUserCreated', 'eu_ana'), 'msg_profile'));
      await receiver.inbox.accept(storedDelivery(naming('ConversationCreated', 'eu_ana', { conversation_id: 'c1' }), 'msg_c1'));
      await receiver.inbox.accept(storedDelivery(naming('ConversationCreated', 'eu_ana', { conversation_id: 'c2' }), 'msg_c2'));
      await receiver.inbox.accept(storedDelivery(naming('ConversationCreated', 'eu_bob', { conversation_id: 'c1' }), 'msg_bob'));
      await receiver.inbox.accept(storedDelivery(naming('EndUserCreated', long), 'msg_long'));
      expect(listedIds((await get('/inspector?end_user=eu_ana')).html).sort()).to.deep.equal(['msg_c1', 'msg_c2', 'msg_profile']);
      expect(listedIds((await get('/inspector?end_user=eu_ana&conversation=c1')).html)).to.deep.equal(['msg_c1']);
      expect(listedIds((await get(`/inspector?end_user=${long}`)).html)).to.deep.equal(['msg_long']);

      // The delivery's page links to the list by the id as the inbox keeps it, which finds the same.
      for (const [id, endUser] of [
        ['msg_c1', 'eu_ana'],
        ['msg_long', long],
      ] as const) {
        const page = await get(`/inspector/delivery?id=${id}`);
        const link = decoded(/<a href="([^"]+)">every delivery that names them<\/a>/.exec(page.html)![1]!);
        expect(listedIds((await get(link)).html), id).to.include(id);
        expect(listedIds((await get(link)).html).length, id).to.equal(endUser === long ? 1 : 3);
      }
      const lane = await get(`/inspector/lanes/${encodeURIComponent('end_user:eu_ana')}`);
      const history = decoded(/<a href="([^"]+)">Every delivery that names this end user, newest first<\/a>/.exec(lane.html)![1]!);
      expect(history).to.equal('/inspector?end_user=eu_ana');
    });

    it('erases the data of the end user a delivery names, once a second page has asked: logged with the count, shown erased, and nothing of it left on any page', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      const withHeaders = (event: Record<string, unknown>, id: string) => ({
        ...storedDelivery(event, id),
        headers: { 'svix-id': id, 'user-agent': 'ana-agent/1.0' },
      });
      const anas = ['msg_ana_profile', 'msg_ana_created', 'msg_ana_quarantined'];
      await receiver.inbox.accept(withHeaders(naming('EndUserCreated', 'eu_ana', { external_id: 'ana-said-this' }), anas[0]!));
      await receiver.inbox.accept(withHeaders(naming('ConversationCreated', 'eu_ana', { note: 'ana-said-this' }), anas[1]!));
      await receiver.inbox.quarantine(withHeaders(naming('ConversationMessageText', 'eu_ana', { note: 'ana-said-this' }), anas[2]!), [
        { pointer: '/data', message: 'must be object' },
      ]);
      await receiver.inbox.accept(storedDelivery(naming('EndUserCreated', 'eu_bob', { external_id: 'bob-said-this' }), 'msg_bob'));
      const before = await get('/inspector/delivery?id=msg_ana_created');
      expect(before.html).to.contain('ana-said-this');
      expect(textOf(before.html)).to.contain("Erase this end user's data…");

      const confirm = textOf((await get('/inspector/delivery/erase?id=msg_ana_created')).html);
      expect(confirm).to.contain('Erase the data of end user eu_ana ?');
      expect(confirm).to.contain('3 deliveries name end user eu_ana . Erasing empties');
      expect(confirm).to.contain('It cannot be undone.');
      expect((await receiver.inbox.get('msg_ana_created'))?.erasedAt).to.equal(null);

      const erased = await postForm('/inspector/delivery/erase?id=msg_ana_created', { list: 'end_user=eu_ana' });
      expect(erased.status).to.equal(303);
      expect(erased.headers.get('location')).to.equal('/inspector/delivery?id=msg_ana_created&erased=3&list=end_user%3Deu_ana');
      const logged = () => receiver.logs.filter((line) => line['msg'] === "inspector: erased an end user's data");
      expect(logged()).to.have.length(1);
      expect(logged()[0]).to.deep.include({
        deliveryId: 'msg_ana_created',
        endUserId: 'eu_ana',
        erased: 3,
        by: 'a script (Bearer token) from 127.0.0.1',
      });
      const { erasedAt } = (await receiver.inbox.get('msg_ana_created'))!;
      expect(Math.abs(erasedAt!.getTime() - Number(logged()[0]!['time']))).to.be.below(1000);

      const shown = textOf((await get(erased.headers.get('location')!)).html);
      expect(shown).to.contain('Erased 3 deliveries that name this end user');
      expect(shown).to.contain(`Not shown: its end user's data was erased at ${erasedAt!.toISOString()}.`);
      expect(shown).to.contain(`Erased ${erasedAt!.toISOString().replace('T', ' ')}`);
      const pages = [...anas.map((id) => `/inspector/delivery?id=${id}`), '/inspector?end_user=eu_ana', '/inspector'];
      for (const path of pages) {
        const { status, html } = await get(path);
        expect(status, path).to.equal(200);
        for (const kept of ['ana-said-this', 'ana-agent', 'Lovelace']) expect(html, `${kept} on ${path}`).not.to.contain(kept);
        expect(html, path).not.to.contain('/inspector/delivery/replay');
      }
      const listed = (await get('/inspector?end_user=eu_ana')).html;
      expect(listed.match(/<span class="marker" title="[^"]+">erased<\/span>/g)).to.have.length(3);
      const quarantined = textOf((await get(`/inspector/delivery?id=${anas[2]}`)).html);
      expect(quarantined).to.contain('/data : must be object');
      expect(quarantined).to.contain('Discard…');
      const bob = await get('/inspector/delivery?id=msg_bob');
      expect(bob.html).to.contain('bob-said-this');
      expect((await get('/inspector?end_user=eu_bob')).html).not.to.contain('class="marker"');

      const again = await postForm('/inspector/delivery/erase?id=msg_ana_quarantined');
      expect(again.headers.get('location')).to.equal('/inspector/delivery?id=msg_ana_quarantined&erased=0');
      expect(textOf((await get(again.headers.get('location')!)).html)).to.contain(
        'Erased 0 deliveries now: every delivery that names this end user was erased before.',
      );
      expect(logged()[1]).to.deep.include({ deliveryId: 'msg_ana_quarantined', endUserId: 'eu_ana', erased: 0 });
      expect((await receiver.inbox.get('msg_ana_created'))?.erasedAt).to.deep.equal(erasedAt);

      const replayed = await postForm(`/inspector/delivery/replay?id=${anas[2]}`);
      expect(replayed.status).to.equal(409);
      expect(textOf(await replayed.text())).to.contain(`Not replayed: its end user's data was erased at ${erasedAt!.toISOString()}.`);
      expect((await receiver.inbox.get(anas[2]!))?.state).to.equal('quarantined');
      expect(receiver.logs.filter((line) => line['msg'] === 'the inspector failed to answer')).to.deep.equal([]);
    });

    it('offers no erasure for a delivery that names no end user, and refuses one', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      await receiver.inbox.accept(storedDelivery({ type: 'v1.audit_log.emitted', data: {} }, 'msg_nobody'));
      const page = textOf((await get('/inspector/delivery?id=msg_nobody')).html);
      expect(page).to.contain('Delivery msg_nobody');
      expect(page).not.to.contain('End user');
      expect(page).not.to.contain("Erase this end user's data");
      expect(textOf((await get('/inspector/delivery/erase?id=msg_nobody')).html)).to.contain(
        'This delivery names no end user: there is nothing to erase.',
      );
      const refused = await postForm('/inspector/delivery/erase?id=msg_nobody');
      expect(refused.status).to.equal(409);
      expect(textOf(await refused.text())).to.contain('This delivery names no end user: there is nothing to erase.');
      expect((await postForm('/inspector/delivery/erase?id=msg_nowhere')).status).to.equal(404);
      expect((await get('/inspector/delivery/erase?id=msg_nowhere')).status).to.equal(404);
    });

    it("leads a link to a delivery's page from before its id moved to the query to that page", async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      await receiver.inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg 1/2'));
      const old = await fetch(`${receiver.url}/inspector/deliveries/msg%201%2F2?live=off&id=other`, {
        headers: { authorization: `Bearer ${token}` },
        redirect: 'manual',
      });
      expect(old.status).to.equal(301);
      expect(old.headers.get('location')).to.equal('/inspector/delivery?id=msg+1%2F2&live=off');
      expect(textOf((await get(old.headers.get('location')!)).html)).to.contain('Delivery msg 1/2');
      expect((await get('/inspector/delivery')).status).to.equal(404);
    });

    it('says what is wrong with a filter, with a 400', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      const { status, html } = await get('/inspector?state=finished&since=yesterday');
      expect(textOf((await get('/inspector?until=2026-02-30%2009:00')).html)).to.contain(
        '"Received before" must be a time such as 2026-11-24 09:00 (UTC, 24-hour).',
      );
      expect(status).to.equal(400);
      const text = textOf(html);
      expect(text).to.contain('State must be one of pending, quarantined, done, dead, discarded.');
      expect(text).to.contain('"Received from" must be a time such as 2026-11-24 09:00 (UTC, 24-hour).');
      expect((await get('/inspector/delivery?id=msg_none')).status).to.equal(404);
      expect((await get('/inspector/replay?state=pending')).status).to.equal(400);
    });

    it('answers what no delivery can hold, and times the stores do not take, alike on every backend: the reason, or nothing found', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      await receiver.inbox.accept(storedDelivery(contractExample('ConversationCreated'), 'msg_1'));
      // The inbox keeps a type sent with NUL as U+FFFD: found by the type as sent.
      await receiver.inbox.accept(storedDelivery({ type: 'v1.made\u0000up', data: {} }, 'msg_odd'));
      const post = (path: string) =>
        fetch(`${receiver.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: '',
          redirect: 'manual',
        });
      const range = 'must be a time from 0001-01-01 to 9999-12-31 (UTC).';
      for (const [query, problem] of [
        ['?id=%00', 'A delivery id never holds NUL or a lone surrogate: the inbox refuses such ids.'],
        ['?id=msg%00&state=pending', 'A delivery id never holds NUL or a lone surrogate: the inbox refuses such ids.'],
        ['?until=275760-09-13%2000:00', `"Received before" ${range}`],
        ['?since=0000-12-31%2023:00', `"Received from" ${range}`],
        ['?until=9999-12-31T23:30-01:00', `"Received before" ${range}`],
        ['?after=0000-01-01T00:00:00.000Z_msg_1', 'The page link is damaged'],
        [`?after=${encodeURIComponent('+275760-09-13T00:00:00.0_msg_1')}`, 'The page link is damaged'],
        ['?after=2026-11-24T09:00:00.000Z_%00', 'The page link is damaged'],
      ] as const) {
        const { status, html } = await get(`/inspector${query}`);
        expect(status, query).to.equal(400);
        expect(textOf(html), query).to.contain(problem);
        expect((await get(`/inspector/replay${query}&state=pending`)).status, query).to.equal(400);
      }
      expect(listedIds((await get('/inspector?type=v1.made%00up')).html)).to.deep.equal(['msg_odd']);
      expect(listedIds((await get('/inspector?until=9999-12-31%2023:59&since=0001-01-01%2000:00&state=pending')).html)).to.have.members([
        'msg_1',
        'msg_odd',
      ]);
      for (const query of ['?type=%00', '?conversation=%00', '?end_user=%00']) {
        const { status, html } = await get(`/inspector${query}`);
        expect(status, query).to.equal(200);
        expect(textOf(html), query).to.contain('No deliveries match.');
      }
      for (const path of ['/delivery?id=%00', '/deliveries/%00', '/delivery/discard?id=%00']) {
        const { status, html } = await get(`/inspector${path}`);
        expect(status, path).to.equal(404);
        expect(textOf(html), path).to.contain('No delivery with id');
      }
      for (const path of ['/delivery/replay?id=%00', '/delivery/discard?id=%00'])
        expect((await post(`/inspector${path}`)).status, path).to.equal(404);
      const lane = await get('/inspector/lanes/%00');
      expect(lane.status).to.equal(200);
      expect(textOf(lane.html)).to.contain('Nothing in this lane is pending.');
      expect(receiver.logs.filter((line) => line['msg'] === 'the inspector failed to answer')).to.deep.equal([]);
    });

    it('tells where a delivery stands in its lane: a head waiting for its retry holds back the one behind it', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token, retryBaseMs: 600_000 });
      receiver.receiver
        .on('v1.conversation.created', () => {
          throw new Error('the ticket system is down\n    at createTicket (tickets.ts:12)');
        })
        .start();
      const created = contractExample('ConversationCreated');
      const { id: head } = await deliver(receiver.url, created);
      await eventually(async () => (await receiver.inbox.lane(`conversation:${created['data'].conversation_id}`))?.status === 'waiting');
      const message = contractExample('ConversationMessageText');
      message['data'].conversation_id = created['data'].conversation_id;
      message['timestamp'] = new Date(Date.parse(created['timestamp']) + 1000).toISOString();
      const { id: behind } = await deliver(receiver.url, message);

      const headPage = textOf((await get(`/inspector/delivery?id=${head}`)).html);
      expect(headPage).to.match(
        /It heads its lane and holds its conversation: it waits for its retry at \S+ \S+, and 1 delivery waits behind it until it succeeds or is dead\./,
      );
      expect(headPage).to.match(
        /Failed attempts Attempt Failed at \(UTC\) Error 1 \S+ \S+ Error: the ticket system is down at createTicket \(tickets\.ts:12\)/,
      );
      expect((await get(`/inspector/delivery?id=${head}`)).html).to.contain(
        '<pre class="error">Error: the ticket system is down\n    at createTicket (tickets.ts:12)',
      );
      expect(textOf((await get(`/inspector/delivery?id=${behind}`)).html)).to.contain(
        `It waits in its lane behind its head ${head} (1 ahead of it).`,
      );

      const lanePage = await get(`/inspector/lanes/${encodeURIComponent(`conversation:${created['data'].conversation_id}`)}`);
      expect(textOf(lanePage.html)).to.match(
        /Its head failed and waits for its retry at \S+ \S+; nothing behind it runs before\. 2 pending, head first/,
      );
      expect(listedIds(lanePage.html)).to.deep.equal([head, behind]);
    });

    it('says that a dead delivery no longer holds its conversation', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token, maxAttempts: 1 });
      receiver.receiver
        .on('v1.conversation.created', () => {
          throw new Error('down');
        })
        .start();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
      await eventually(async () => (await receiver.inbox.get(id))?.state === 'dead');
      expect(textOf((await get(`/inspector/delivery?id=${id}`)).html)).to.contain(
        'It is dead: it no longer holds its conversation, and what came after it went on ( its lane : nothing pending now).',
      );
    });

    it('shows a body nested 150,000 levels deep as received, escaped, with its violations listed', async () => {
      receiver = await startReceiver({ backend, inspectorToken: token });
      const body = `{"type":"v1.conversation.created","note":"<b>","data":${'['.repeat(150_000)}${']'.repeat(150_000)}}`;
      const delivery = {
        id: 'msg_deep',
        receivedAt: new Date(),
        headers: { 'svix-id': 'msg_deep' },
        body,
        event: JSON.parse(body) as unknown,
      };
      await receiver.inbox.quarantine(delivery, [{ pointer: '/data', message: 'must be object' }]);
      const { status, html } = await get('/inspector/delivery?id=msg_deep');
      expect(status).to.equal(200);
      expect(textOf(html)).to.contain('Nested deeper than 100 levels: shown as received, without marks.');
      expect(textOf(html)).to.contain('/data : must be object');
      expect(html).to.contain(`${'['.repeat(150_000)}${']'.repeat(150_000)}`);
      expect(html).not.to.contain('<b>');
      expect(html).not.to.contain('<mark');
    });

    it("tells a delivery's open page on another receiver of the same store that its end user was erased", async () => {
      const store = await backend.createStore();
      const other = await startReceiver({ store, inspectorToken: token });
      afterwards.push(
        () => other.close(),
        () => store.destroy(),
      );
      receiver = await startReceiver({ store, inspectorToken: token });
      await receiver.inbox.accept(storedDelivery(naming('EndUserCreated', 'eu_ana'), 'msg_ana'));
      const stream = await fetch(`${other.url}/inspector/live?delivery=msg_ana`, { headers: { authorization: `Bearer ${token}` } });
      const reader = stream.body!.getReader();
      let received = new TextDecoder().decode((await reader.read()).value);
      expect(received).to.match(/^retry: /);
      expect((await postForm('/inspector/delivery/erase?id=msg_ana')).status).to.equal(303);
      while (!received.includes('event: changed')) received += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      expect(
        textOf(
          await fetch(`${other.url}/inspector/delivery?id=msg_ana`, { headers: { authorization: `Bearer ${token}` } }).then((r) =>
            r.text(),
          ),
        ),
      ).to.contain("Not shown: its end user's data was erased at");
    });

    it('tells a page that changed: a delivery that another receiver on the same store takes in', async () => {
      const store = await backend.createStore();
      const other = await startReceiver({ store });
      afterwards.push(
        () => other.close(),
        () => store.destroy(),
      );
      receiver = await startReceiver({ store, inspectorToken: token });
      const stream = await fetch(`${receiver.url}/inspector/live`, { headers: { authorization: `Bearer ${token}` } });
      const reader = stream.body!.getReader();
      let received = new TextDecoder().decode((await reader.read()).value);
      expect(received).to.match(/^retry: /);
      await deliver(other.url, contractExample('ConversationCreated'));
      while (!received.includes('event: changed')) received += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
    });
  });
