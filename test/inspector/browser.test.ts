// The inspector page in a real browser (Debian's Chromium) against real receivers on loopback
// ports over one SQLite inbox, driven the way a person or a script would: by roles and labels.
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadContract } from '../../src/contract/document.ts';
import { launchBrowserOrSkip } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { inboxBackends, type TestStore } from '../support/inbox-backends.ts';
import { contractExample, deliver, post, signedHeaders, startReceiver, type TestReceiver } from '../support/receiver.ts';

const token = 'inspector-token-for-the-browser-tests-0123456789';

/** The contract after adding `fax` to the channel modalities, as a user would edit it. */
function widenedContract() {
  const contract = loadContract();
  (contract.components.schemas['ChannelModality']!['enum'] as string[]).push('fax');
  return contract;
}

function faxMessage() {
  const event = contractExample('ConversationMessageLink');
  event['data'].channel.modality = 'fax';
  return event;
}

describe('the inspector in a browser', function () {
  this.timeout(60_000);
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let store: TestStore;
  let receiver: TestReceiver;
  /** Handlers wait for this before they finish, so that a page can be seen before and after. */
  let releaseHandlers: () => void;
  let handlersMayFinish: Promise<void>;
  const ids: Record<string, string> = {};

  const holdHandlers = () => {
    handlersMayFinish = new Promise((resolve) => (releaseHandlers = resolve));
  };
  const start = async (options: Parameters<typeof startReceiver>[0] = {}) => {
    receiver = await startReceiver({ store, inspectorToken: token, ...options });
    receiver.receiver
      .on('v1.conversation.created', async () => handlersMayFinish)
      .on('v1.conversation.message', async () => handlersMayFinish)
      .start();
  };
  const open = (path: string) => page.goto(`${receiver.url}${path}`);

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    // A locale whose clock is 12-hour, as many readers' are.
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'America/New_York' });
    page = await context.newPage();
    store = await inboxBackends[0]!.createStore();
    holdHandlers();
    releaseHandlers();
    await start();
    ids['created'] = (await deliver(receiver.url, contractExample('ConversationCreated'))).id;
    ids['fax'] = (await deliver(receiver.url, faxMessage())).id;
    ids['otherFax'] = (await deliver(receiver.url, faxMessage())).id;
    await eventually(async () => (await receiver.inbox.get(ids['created']!))?.state === 'done');
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await store?.destroy();
  });

  it('refuses a wrong token, and signs in with the right one', async () => {
    await open('/inspector');
    await page.getByLabel('Token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText("That is not the inspector's token.").waitFor();

    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    const cookie = (await context.cookies()).find(({ name }) => name === 'ada_inspector_session');
    expect(cookie).to.deep.include({ httpOnly: true, sameSite: 'Strict', path: '/inspector' });
  });

  it('finds a delivery by its id', async () => {
    await open('/inspector');
    await page.getByLabel('Delivery id').fill(ids['created']!);
    await page.getByLabel('Delivery id').press('Enter');
    await page.getByRole('link', { name: ids['created']! }).waitFor();
    expect(await page.locator('tbody tr').count()).to.equal(1);
    expect(new URL(page.url()).searchParams.get('id')).to.equal(ids['created']);
  });

  it('filters by state on the server, with the filter in the URL', async () => {
    await open('/inspector');
    await page.getByLabel('State').selectOption('quarantined');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/state=quarantined/);
    const listed = await page.locator('tbody tr td:nth-child(5)').allTextContents();
    expect(listed.sort()).to.deep.equal([ids['fax'], ids['otherFax']].sort());
  });

  it("shows a quarantined delivery's violation at its place in the body; a replay that still fails leaves it quarantined", async () => {
    await open(`/inspector/delivery?id=${ids['fax']}`);
    await page.getByText('/data/channel/modality').waitFor();
    expect(await page.locator('pre.json mark').allTextContents()).to.deep.equal(['"fax"']);

    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByRole('status').getByText('Still quarantined').waitFor();
    expect(await page.locator('.state').first().textContent()).to.equal('quarantined');
  });

  it('replays from the page once the contract is widened, and shows the delivery done without a reload', async () => {
    await receiver.close();
    await start({ contract: widenedContract() });
    holdHandlers();
    await open(`/inspector/delivery?id=${ids['fax']}`);
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByRole('status').getByText('Replayed').waitFor();
    await eventually(async () => (await receiver.inbox.get(ids['fax']!))?.attempts === 1);
    expect(await page.locator('#delivery .state').textContent()).to.equal('pending');

    await page.evaluate(() => ((globalThis as unknown as { marker: string }).marker = 'the same page'));
    releaseHandlers();
    await page.locator('#delivery .state', { hasText: 'done' }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: string }).marker)).to.equal('the same page');
  });

  it('shows new deliveries and their state changes without a reload, until paused', async () => {
    holdHandlers();
    await open('/inspector');
    await page.evaluate(() => ((globalThis as unknown as { marker: string }).marker = 'the same page'));
    const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: id }) });
    await row.locator('.state', { hasText: 'pending' }).waitFor({ timeout: 10_000 });
    releaseHandlers();
    await row.locator('.state', { hasText: 'done' }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: string }).marker)).to.equal('the same page');

    await page.getByRole('link', { name: 'Pause live updates' }).click();
    await page.getByRole('link', { name: 'Resume live updates' }).waitFor();
    expect(await page.locator('[sse-connect]').count()).to.equal(0);
    await page.getByRole('link', { name: 'Resume live updates' }).click();
    await page.getByRole('link', { name: 'Pause live updates' }).waitFor();
    expect(await page.locator('[sse-connect]').count()).to.equal(1);
  });

  it('says when live updates are refused (too many open for the session), and still shows what changed on reload', async () => {
    await open('/inspector?live=off');
    const cookie = (await context.cookies()).find(({ name }) => name === 'ada_inspector_session')!;
    const streams = [];
    for (let index = 0; index < 10; index += 1) {
      const response = await fetch(`${receiver.url}/inspector/live`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
      const reader = response.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).to.match(/^retry: 1000/);
      streams.push(reader);
    }
    try {
      await open('/inspector');
      await page.getByRole('status').getByText('Live updates are off: you have 10 live pages open').waitFor();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
      await page.reload();
      await page.getByRole('link', { name: id }).waitFor();
    } finally {
      for (const reader of streams) await reader.cancel();
    }
  });

  it('replays every delivery that matches the filter, once the count is confirmed', async () => {
    const stillBad = faxMessage();
    stillBad['data'].channel.id = 42;
    ids['stillBad'] = (await deliver(receiver.url, stillBad)).id;
    await open('/inspector?state=quarantined');
    await page.getByRole('button', { name: 'Replay all matching' }).click();
    await page.getByText('2 deliveries match (state = quarantined); 1 would be replayed').waitFor();
    await page.getByRole('button', { name: 'Replay 1 delivery' }).click();
    await page.getByRole('status').getByText('Replayed 1 of 2 deliveries matching').waitFor();
    await eventually(async () => (await receiver.inbox.get(ids['otherFax']!))?.state === 'done', 10_000);
    expect((await receiver.inbox.get(ids['stillBad']))?.state).to.equal('quarantined');
  });

  it('finds deliveries by the start of their id, as `inbox list` does', async () => {
    const prefix = ids['created']!.slice(0, ids['created']!.lastIndexOf('_') + 1);
    await open('/inspector');
    await page.getByLabel('Delivery id').fill(prefix);
    await page.getByLabel('Delivery id').press('Enter');
    await page.waitForURL(/id=/);
    const listed = await page.locator('tbody tr td:nth-child(5)').allTextContents();
    expect(listed).to.include.members([ids['created'], ids['fax'], ids['otherFax']]);
    expect(listed.every((id) => id.startsWith(prefix))).to.equal(true);
  });

  it('takes times in UTC as 24-hour text, whatever the browser’s locale, and keeps them as typed', async () => {
    const utc = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');
    const since = utc(new Date(Date.now() - 3_600_000));
    const until = utc(new Date(Date.now() + 3_600_000));
    await open('/inspector');
    await page.getByLabel('Received from (UTC)').fill(since);
    await page.getByLabel('Received before (UTC)').fill(until);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/since=/);
    await page.getByRole('link', { name: ids['created']! }).waitFor();
    expect(await page.getByLabel('Received from (UTC)').inputValue()).to.equal(since);
    expect(await page.getByLabel('Received before (UTC)').inputValue()).to.equal(until);

    await page.getByLabel('Received before (UTC)').fill('2026-01-01 13:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No deliveries match.').waitFor();
    expect(await page.getByLabel('Received before (UTC)').inputValue()).to.equal('2026-01-01 13:00');
  });

  it('leads back from a delivery to the list it was opened from, through a replay too', async () => {
    await open('/inspector?state=quarantined&live=off');
    await page.getByRole('link', { name: ids['stillBad']! }).click();
    await page.getByRole('heading', { name: `Delivery ${ids['stillBad']}` }).waitFor();
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByRole('status').getByText('Still quarantined').waitFor();
    await page.getByRole('link', { name: 'Back to the list' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    expect(Object.fromEntries(new URL(page.url()).searchParams)).to.deep.equal({ state: 'quarantined', live: 'off' });
    expect(await page.getByLabel('State').inputValue()).to.equal('quarantined');

    await open(`/inspector/delivery?id=${ids['stillBad']}`);
    await page.getByRole('link', { name: 'All deliveries' }).click();
    await page.waitForURL(/\/inspector$/);
  });

  it('fits a phone: at 420 px wide, no page scrolls sideways, and each delivery reads as labelled lines', async () => {
    const conversation = `conversation-${'x'.repeat(150)}`;
    const event = faxMessage();
    event['data'].conversation_id = conversation;
    event['data'].text = 'y'.repeat(600);
    const { id: wide } = await deliver(receiver.url, event, { id: `msg_${'w'.repeat(140)}` });
    const phone = await browser.newContext({
      viewport: { width: 420, height: 900 },
      locale: 'en-US',
      extraHTTPHeaders: { authorization: `Bearer ${token}` },
    });
    try {
      const small = await phone.newPage();
      const lane = encodeURIComponent(`conversation:${conversation}`);
      for (const path of [
        '/inspector',
        '/inspector?state=quarantined',
        `/inspector/delivery?id=${wide}`,
        `/inspector/lanes/${lane}`,
        '/inspector/replay?state=quarantined',
      ]) {
        await small.goto(`${receiver.url}${path}`);
        await small.locator('main h1').waitFor();
        const [scrollWidth, innerWidth] = await small.evaluate<[number, number]>('[document.documentElement.scrollWidth, innerWidth]');
        expect(innerWidth).to.equal(420);
        expect(scrollWidth, path).to.be.at.most(innerWidth);
      }
      await small.goto(`${receiver.url}/inspector?id=${wide}`);
      const firstCell = small.locator('tbody tr td').first();
      type Styles = { getComputedStyle(element: unknown, pseudo: string): { content: string } };
      const label = await firstCell.evaluate((cell) => (globalThis as unknown as Styles).getComputedStyle(cell, '::before').content);
      expect(label).to.equal('"Received: "');
    } finally {
      await phone.close();
    }
  });

  it('shows what a body, its headers and its event type carry as text, never as markup', async () => {
    const attack = '<img src=x onerror="document.title=`owned`"><script>document.title="owned"</script>';
    const event = { type: `v1.${attack}`, timestamp: new Date().toISOString(), data: { conversation_id: attack, note: `</pre>${attack}` } };
    const body = JSON.stringify(event);
    const headers = signedHeaders(body);
    const id = headers['svix-id']!;
    expect((await post(receiver.url, body, { ...headers, 'user-agent': attack })).status).to.equal(422);
    for (const path of [`/inspector/delivery?id=${id}`, `/inspector?id=${id}`, `/inspector?state=quarantined`]) {
      await open(path);
      expect(await page.title()).not.to.equal('owned');
      expect(await page.locator('img, [onerror]').count(), path).to.equal(0);
      expect(await page.locator('script').count(), path).to.equal(2);
      await page.getByText(`v1.${attack}`).first().waitFor();
    }
    await open(`/inspector/delivery?id=${id}`);
    await page.getByRole('row', { name: `user-agent ${attack}` }).waitFor();
    expect(await page.getByText('svix-signature').count()).to.equal(1);
    expect(await page.content()).not.to.contain(headers['svix-signature']!.split(',')[1]);
  });

  it('discards a quarantined delivery that will never pass, once asked: out of the quarantined count, shown with who and when', async () => {
    const neverPasses = faxMessage();
    neverPasses['data'].channel.id = 42;
    const { id } = await deliver(receiver.url, neverPasses);
    const quarantinedBefore = (await receiver.inbox.countByState()).quarantined;
    await open('/inspector?state=quarantined&live=off');
    await page.getByRole('link', { name: id }).click();
    await page.getByRole('button', { name: 'Discard…' }).click();
    await page.getByRole('heading', { name: `Discard delivery ${id}?` }).waitFor();
    await page.getByRole('button', { name: 'Discard it' }).click();

    await page.getByRole('status').getByText('Discarded: it no longer counts as quarantined').waitFor();
    expect(await page.locator('#delivery .state').first().textContent()).to.equal('discarded');
    expect(await page.locator('dl.facts').textContent()).to.match(
      /Discarded\s*\d{4}-\d{2}-\d{2} [\d:.]+Z by session \S{8} from 127\.0\.0\.1/,
    );
    expect(await page.getByRole('button', { name: /Replay|Discard/ }).count()).to.equal(0);
    expect((await receiver.inbox.countByState()).quarantined).to.equal(quarantinedBefore - 1);

    await page.getByRole('link', { name: 'Back to the list' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    expect(await page.getByRole('link', { name: id }).count()).to.equal(0);
    ids['discarded'] = id;
  });

  it('reaches each delivery, its lane and its actions by the links its pages render, whatever its id: ., .., /, ?, #, %', async () => {
    const heading = async () => (await page.locator('main h1').textContent())?.replace(/\s+/g, ' ').trim();
    /** Clicks what leads on, as a reader would, and reads the heading of the page it led to. */
    const follow = async (target: ReturnType<Page['locator']>) => {
      await target.click();
      await page.waitForLoadState();
      return heading();
    };
    const oddIds = ['.', '..', '%2e%2e', '../replay', 'a/../b', 'x?id=y#z', '100%', 'a\\b', 'plus+ &amp;'];
    for (const id of oddIds) {
      const neverPasses = faxMessage();
      neverPasses['data'].channel.id = 42;
      neverPasses['data'].conversation_id = id;
      expect((await deliver(receiver.url, neverPasses, { id })).status, id).to.equal(422);
    }
    for (const id of oddIds) {
      await open('/inspector?state=quarantined&live=off');
      expect(await follow(page.getByRole('link', { name: id, exact: true })), id).to.equal(`Delivery ${id}`);
      expect(new URL(page.url()).searchParams.get('id'), id).to.equal(id);
      const delivery = page.url();
      expect(await follow(page.locator('dd').getByRole('link', { name: `conversation:${id}`, exact: true })), id).to.equal(
        `Lane conversation:${id}`,
      );
      await page.goto(delivery);
      expect(await follow(page.getByRole('button', { name: 'Replay', exact: true })), id).to.equal(`Delivery ${id}`);
      await page.getByRole('status').getByText('Still quarantined').waitFor();
      expect(await follow(page.getByRole('button', { name: 'Discard…' })), id).to.equal(`Discard delivery ${id}?`);
      expect(await follow(page.getByRole('link', { name: 'Back to the delivery' })), id).to.equal(`Delivery ${id}`);
      await follow(page.getByRole('button', { name: 'Discard…' }));
      expect(await follow(page.getByRole('button', { name: 'Discard it' })), id).to.equal(`Delivery ${id}`);
      expect((await receiver.inbox.get(id))?.state, id).to.equal('discarded');
    }
  });

  it("erases an end user's data from a delivery's page once the count is confirmed, and shows the delivery erased", async () => {
    const event = contractExample('EndUserCreated');
    event['data'].end_user_id = 'eu_browser';
    const { id } = await deliver(receiver.url, event);
    await open(`/inspector/delivery?id=${id}`);
    await page.locator('pre.json').getByText('"Lovelace"').waitFor();
    await page.getByRole('button', { name: "Erase this end user's data…" }).click();
    await page.getByText('1 delivery names end user eu_browser').waitFor();
    await page.getByRole('button', { name: 'Erase their data' }).click();

    await page.getByRole('status').getByText('Erased 1 delivery that names this end user').waitFor();
    await page.getByText("Not shown: its end user's data was erased at").waitFor();
    expect(await page.content()).not.to.contain('Lovelace');
    await page.getByRole('link', { name: 'every delivery that names them' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: id }) });
    await row.getByText('erased', { exact: true }).waitFor();
    expect(await page.getByRole('row').count()).to.equal(2);
  });

  it('read-only: shows no action, and refuses a POST', async () => {
    await receiver.close();
    await start({ inspectorReadOnly: true });
    await open(`/inspector/delivery?id=${ids['stillBad']}`);
    await page.getByText('read-only').first().waitFor();
    expect(await page.getByRole('button', { name: 'Replay' }).count()).to.equal(0);
    expect(await page.getByRole('button', { name: 'Discard…' }).count()).to.equal(0);
    await page.getByText('End user').waitFor();
    expect(await page.getByRole('button', { name: /Erase/ }).count()).to.equal(0);
    await open('/inspector?state=quarantined');
    expect(await page.getByRole('button', { name: 'Replay all matching' }).count()).to.equal(0);

    const refused = await fetch(`${receiver.url}/inspector/delivery/replay?id=${ids['stillBad']}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(refused.status).to.equal(403);
    expect(await refused.text()).to.contain('read-only');
    expect((await receiver.inbox.get(ids['stillBad']!))?.state).to.equal('quarantined');
  });
});
