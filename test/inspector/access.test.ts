// Who may reach the inspector, over HTTP as a script or a hostile page would: off without a token,
// a session or the token for every page, changes only from the page itself, read-only in one place.
import { expect } from 'chai';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inboxBackends, selected, type TestStore } from '../support/inbox-backends.ts';
import { contractExample, deliver, startReceiver, storedDelivery, type TestReceiver } from '../support/receiver.ts';

const token = 'inspector-token-for-the-access-tests-0123456789';
const bearer = { authorization: `Bearer ${token}` };
const form = 'application/x-www-form-urlencoded';

/** Signs in through the form, as a browser on the inspector's own page would; returns the cookie. */
async function signIn(receiver: TestReceiver): Promise<string> {
  const response = await fetch(`${receiver.url}/inspector/sign-in`, {
    method: 'POST',
    headers: { 'content-type': form, origin: receiver.url },
    body: new URLSearchParams({ token, next: '/inspector' }),
    redirect: 'manual',
  });
  expect(response.status).to.equal(303);
  const cookie = response.headers.get('set-cookie')!;
  expect(cookie).to.match(/^ada_inspector_session=[^;]+; path=\/inspector; expires=[^;]+; samesite=strict; httponly$/i);
  return cookie.split(';')[0]!;
}

/** Signs out through the page's form; resolves with the answer. */
async function signOut(receiver: TestReceiver, cookie: string): Promise<Response> {
  return fetch(`${receiver.url}/inspector/sign-out`, {
    method: 'POST',
    headers: { cookie, origin: receiver.url, 'content-type': form },
    body: new URLSearchParams({ form_token: await formTokenOf(receiver, '/inspector', cookie) }),
    redirect: 'manual',
  });
}

/** A sign-in from another loopback address (all of 127/8 is this machine): another client, as the receiver sees it. */
function signInFrom(address: string, receiver: TestReceiver, given: string): Promise<{ status: number; retryAfter: string | undefined }> {
  const url = new URL(`${receiver.url}/inspector/sign-in`);
  const body = new URLSearchParams({ token: given }).toString();
  return new Promise((resolve, reject) => {
    request(
      url,
      { method: 'POST', localAddress: address, headers: { 'content-type': form, origin: receiver.url, 'content-length': body.length } },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'] });
      },
    )
      .on('error', reject)
      .end(body);
  });
}

/** The anti-forgery token of the forms on a page. */
async function formTokenOf(receiver: TestReceiver, path: string, cookie: string): Promise<string> {
  const page = await (await fetch(`${receiver.url}${path}`, { headers: { cookie } })).text();
  return /name="form_token" value="([^"]+)"/.exec(page)![1]!;
}

describe('access to the inspector', () => {
  let receiver: TestReceiver;
  afterEach(() => receiver.close());

  it('serves its own scripts and stylesheet, and nothing else under assets', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    for (const name of ['htmx.min.js', 'sse.min.js', 'inspector.css']) {
      expect((await fetch(`${receiver.url}/inspector/assets/${name}`)).status, name).to.equal(200);
    }
    for (const name of ['constructor', 'toString', '..%2Fpackage.json']) {
      expect((await fetch(`${receiver.url}/inspector/assets/${name}`)).status, name).to.equal(404);
    }
  });

  it('is off without a token: /inspector is 404', async () => {
    receiver = await startReceiver();
    expect(receiver.receiver.inspector).to.equal(undefined);
    for (const path of ['/inspector', '/inspector/sign-in', '/inspector/assets/htmx.min.js']) {
      const response = await fetch(`${receiver.url}${path}`, { headers: bearer });
      expect(response.status, path).to.equal(404);
      expect(response.headers.get('content-type')).to.equal('application/problem+json');
    }
  });

  it('answers a script with the token, and refuses a wrong token or none', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    const page = await fetch(`${receiver.url}/inspector`, { headers: bearer });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).to.contain("script-src 'self'");

    const wrong = await fetch(`${receiver.url}/inspector`, { headers: { authorization: `Bearer ${token.slice(1)}` } });
    expect(wrong.status).to.equal(401);
    expect(wrong.headers.get('www-authenticate')).to.match(/^Bearer /);
    expect(await wrong.text()).not.to.contain('<tbody');
    expect(receiver.logs.filter((line) => String(line['msg']).startsWith('inspector: a wrong token was refused'))).to.have.length(1);

    const none = await fetch(`${receiver.url}/inspector/live`);
    expect(none.status).to.equal(401);
    expect(await none.text()).to.contain('Sign in');
  });

  it('accepts a session only as the receiver signed it', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    const cookie = await signIn(receiver);
    expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie } })).status).to.equal(200);
    // A proxy in front may add its own credentials: only a Bearer token is the inspector's.
    expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie, authorization: 'Basic YWRhOmFkYQ==' } })).status).to.equal(200);
    const [name, value] = cookie.split('=') as [string, string];
    const [expires, signature] = value.split('.') as [string, string];
    for (const forged of [
      `${Number(expires) + 1}.${signature}`,
      `${expires}.${signature.slice(1)}x`,
      `${Date.now() - 1}.${signature}`,
      'x',
    ]) {
      expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie: `${name}=${forged}` } })).status, forged).to.equal(401);
    }
  });

  it('refuses changes from another site, or from a form without the session’s anti-forgery token', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    const { id } = await deliver(receiver.url, { ...contractExample('ConversationCreated'), timestamp: 'not a time' });
    const cookie = await signIn(receiver);
    const formToken = await formTokenOf(receiver, `/inspector/delivery?id=${id}`, cookie);
    const replay = (headers: Record<string, string>, fields: Record<string, string>) =>
      fetch(`${receiver.url}/inspector/delivery/replay?id=${id}`, {
        method: 'POST',
        headers: { 'content-type': form, cookie, ...headers },
        body: new URLSearchParams(fields),
        redirect: 'manual',
      });

    const crossSite = await replay({ origin: 'https://attacker.example' }, { form_token: formToken });
    expect(crossSite.status).to.equal(403);
    expect(await crossSite.text()).to.contain('it comes from another site (https://attacker.example)');
    expect((await replay({}, { form_token: formToken })).status, 'no Origin').to.equal(403);
    expect((await replay({ 'sec-fetch-site': 'cross-site' }, { form_token: formToken })).status).to.equal(403);
    const forged = await replay({ origin: receiver.url }, { form_token: 'guessed' });
    expect(forged.status).to.equal(403);
    expect(await forged.text()).to.contain('the form is not one this session was given');
    expect((await replay({ origin: receiver.url }, {})).status).to.equal(403);

    const signInFromElsewhere = await fetch(`${receiver.url}/inspector/sign-in`, {
      method: 'POST',
      headers: { 'content-type': form, origin: 'https://attacker.example' },
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });
    expect(signInFromElsewhere.status).to.equal(403);
    expect(signInFromElsewhere.headers.get('set-cookie')).to.equal(null);
    expect((await receiver.inbox.get(id))?.violations).to.have.length(1);

    const fromThePage = await replay({ origin: receiver.url }, { form_token: formToken });
    expect(fromThePage.status).to.equal(303);
    expect(fromThePage.headers.get('location')).to.equal(`/inspector/delivery?id=${id}&replayed=still+quarantined`);
  });

  it("refuses an erasure from another site, or from a form without the session's anti-forgery token; erases from the page, logged with the session", async () => {
    receiver = await startReceiver({ inspectorToken: token });
    await receiver.inbox.accept(storedDelivery(contractExample('EndUserCreated'), 'msg_profile'));
    const cookie = await signIn(receiver);
    const confirmation = await (await fetch(`${receiver.url}/inspector/delivery/erase?id=msg_profile`, { headers: { cookie } })).text();
    expect(confirmation).to.contain('It cannot be undone.');
    const formToken = await formTokenOf(receiver, '/inspector/delivery/erase?id=msg_profile', cookie);
    const erase = (headers: Record<string, string>, fields: Record<string, string>) =>
      fetch(`${receiver.url}/inspector/delivery/erase?id=msg_profile`, {
        method: 'POST',
        headers: { 'content-type': form, cookie, ...headers },
        body: new URLSearchParams(fields),
        redirect: 'manual',
      });

    const crossSite = await erase({ origin: 'https://attacker.example' }, { form_token: formToken });
    expect(crossSite.status).to.equal(403);
    expect(await crossSite.text()).to.contain('it comes from another site (https://attacker.example)');
    expect((await erase({}, { form_token: formToken })).status, 'no Origin').to.equal(403);
    expect((await erase({ 'sec-fetch-site': 'cross-site' }, { form_token: formToken })).status).to.equal(403);
    const forged = await erase({ origin: receiver.url }, { form_token: 'guessed' });
    expect(forged.status).to.equal(403);
    expect(await forged.text()).to.contain('the form is not one this session was given');
    expect((await erase({ origin: receiver.url }, {})).status).to.equal(403);
    expect((await receiver.inbox.get('msg_profile'))?.erasedAt).to.equal(null);
    expect(receiver.logs.filter((line) => line['msg'] === "inspector: erased an end user's data")).to.deep.equal([]);

    const fromThePage = await erase({ origin: receiver.url }, { form_token: formToken });
    expect(fromThePage.status).to.equal(303);
    expect(fromThePage.headers.get('location')).to.equal('/inspector/delivery?id=msg_profile&erased=1');
    expect((await receiver.inbox.get('msg_profile'))?.erasedAt).to.be.instanceOf(Date);
    const logged = receiver.logs.find((line) => line['msg'] === "inspector: erased an end user's data");
    expect(logged?.['by']).to.match(/^session \S{8} from 127\.0\.0\.1$/);
    expect(logged).to.deep.include({ endUserId: contractExample('EndUserCreated')['data'].end_user_id, erased: 1 });
  });

  it('read-only refuses every change, and still signs in and out', async () => {
    receiver = await startReceiver({ inspectorToken: token, inspectorReadOnly: true });
    await receiver.inbox.accept(storedDelivery(contractExample('EndUserCreated'), 'msg_profile'));
    const cookie = await signIn(receiver);
    const page = await (await fetch(`${receiver.url}/inspector/delivery?id=msg_profile`, { headers: { cookie } })).text();
    expect(page).to.contain('read-only');
    expect(page).not.to.contain('/inspector/delivery/erase');
    const confirmation = await (await fetch(`${receiver.url}/inspector/delivery/erase?id=msg_profile`, { headers: { cookie } })).text();
    expect(confirmation).to.contain('The inspector is read-only: it erases nothing.');
    expect(confirmation).not.to.contain('<form method="post" action="/inspector/delivery/erase');
    for (const path of [
      '/inspector/replay',
      '/inspector/delivery/replay?id=any',
      '/inspector/delivery/discard?id=any',
      '/inspector/delivery/erase?id=msg_profile',
    ]) {
      const response = await fetch(`${receiver.url}${path}`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': form },
        body: 'state=dead',
      });
      expect(response.status, path).to.equal(403);
      expect(await response.text()).to.contain('The inspector is read-only');
    }
    expect((await receiver.inbox.get('msg_profile'))?.erasedAt).to.equal(null);
    expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie } })).status).to.equal(200);
    const signOut = await fetch(`${receiver.url}/inspector/sign-out`, {
      method: 'POST',
      headers: { cookie, origin: receiver.url, 'content-type': form },
      body: new URLSearchParams({ form_token: await formTokenOf(receiver, '/inspector', cookie) }),
      redirect: 'manual',
    });
    expect(signOut.status).to.equal(303);
    expect(signOut.headers.get('set-cookie')).to.match(/^ada_inspector_session=;/);
  });

  it('takes only small url-encoded forms', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    const post = (type: string, body: string) =>
      fetch(`${receiver.url}/inspector/replay`, { method: 'POST', headers: { ...bearer, 'content-type': type }, body });
    expect((await post('application/json', '{"state":"dead"}')).status).to.equal(415);
    expect((await post(form, `state=dead&filler=${'x'.repeat(70_000)}`)).status).to.equal(413);
    const result = await post(form, 'state=dead');
    expect(result.status).to.equal(200);
    expect(await result.text()).to.contain('Replayed 0 of 0 deliveries matching');
  });

  it('ends a session at sign-out: the cookie, copied before, is refused from then on', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    const cookie = await signIn(receiver);
    expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie } })).status).to.equal(200);
    expect((await signOut(receiver, cookie)).status).to.equal(303);
    const copied = await fetch(`${receiver.url}/inspector`, { headers: { cookie } });
    expect(copied.status).to.equal(401);
    expect(await copied.text()).to.contain('Sign in');
    expect((await fetch(`${receiver.url}/inspector/live`, { headers: { cookie } })).status).to.equal(401);
    // Another session goes on.
    expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie: await signIn(receiver) } })).status).to.equal(200);
  });

  for (const postgres of selected('PostgreSQL'))
    it('ends a session on every replica: a sign-out on one receiver ends it, and its live stream, on another of the same PostgreSQL store', async () => {
      const store: TestStore = await postgres.createStore();
      const other = await startReceiver({ store, inspectorToken: token });
      try {
        receiver = await startReceiver({ store, inspectorToken: token });
        const cookie = await signIn(receiver);
        expect((await fetch(`${other.url}/inspector`, { headers: { cookie } })).status).to.equal(200);
        const stream = await fetch(`${other.url}/inspector/live`, { headers: { cookie } });
        const reader = stream.body!.getReader();
        expect(new TextDecoder().decode((await reader.read()).value)).to.match(/^retry: /);

        expect((await signOut(receiver, cookie)).status).to.equal(303);
        expect((await fetch(`${other.url}/inspector`, { headers: { cookie } })).status).to.equal(401);
        expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie } })).status).to.equal(401);
        let ended = false;
        while (!ended) ended = (await reader.read()).done;
      } finally {
        await other.close();
        await receiver.close();
        await store.destroy();
        receiver = await startReceiver();
      }
    });

  it('ends every session when the token changes', async () => {
    const store: TestStore = await inboxBackends[0]!.createStore();
    try {
      receiver = await startReceiver({ store, inspectorToken: token });
      const cookie = await signIn(receiver);
      await receiver.close();
      receiver = await startReceiver({ store, inspectorToken: `${token}-new` });
      expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie } })).status).to.equal(401);
      await receiver.close();
      receiver = await startReceiver({ store, inspectorToken: token });
      expect((await fetch(`${receiver.url}/inspector`, { headers: { cookie } })).status, 'the old token again').to.equal(200);
    } finally {
      await receiver.close();
      await store.destroy();
      receiver = await startReceiver();
    }
  });

  it('refuses a client address after 5 wrong tokens with 429 and Retry-After, the right token too, and logs only the first', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    for (let guess = 1; guess <= 5; guess += 1) {
      expect((await signInFrom('127.0.0.1', receiver, `guess-${guess}`)).status, `guess ${guess}`).to.equal(401);
    }
    for (const given of ['guess-6', token]) {
      const refused = await signInFrom('127.0.0.1', receiver, given);
      expect(refused.status).to.equal(429);
      expect(Number(refused.retryAfter)).to.be.within(1, 15 * 60);
    }
    const script = await fetch(`${receiver.url}/inspector`, { headers: bearer });
    expect(script.status, 'a script with the right token, from the same address').to.equal(429);
    expect(await script.text()).to.contain('Too many wrong tokens from your address');

    // Another address is not held back by the first one's guesses.
    expect((await signInFrom('127.0.0.2', receiver, 'guess')).status).to.equal(401);
    expect((await signInFrom('127.0.0.2', receiver, token)).status).to.equal(303);
    const told = receiver.logs.filter((line) => String(line['msg']).startsWith('inspector: a wrong token was refused'));
    expect(told.map((line) => line['client'])).to.deep.equal(['127.0.0.1', '127.0.0.2']);
  });

  it('answers every method under /inspector only after sign-in: OPTIONS and others too', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    for (const path of ['/inspector', '/inspector/', '/inspector/delivery?id=x', '/inspector/nowhere']) {
      for (const method of ['OPTIONS', 'PUT', 'DELETE', 'PATCH']) {
        const fromThePage = await fetch(`${receiver.url}${path}`, { method, headers: { origin: receiver.url } });
        expect(fromThePage.status, `${method} ${path}`).to.equal(401);
        expect(fromThePage.headers.get('allow'), `${method} ${path}`).to.equal(null);
        // Without an Origin, the same-site guard refuses it first.
        expect((await fetch(`${receiver.url}${path}`, { method })).status, `${method} ${path} without Origin`).to.equal(403);
      }
    }
    const signedIn = await fetch(`${receiver.url}/inspector`, { method: 'OPTIONS', headers: bearer });
    expect(signedIn.status).to.equal(405);
    expect((await fetch(`${receiver.url}/inspector/nowhere`, { headers: bearer })).status).to.equal(404);
  });

  it('goes on after sign-in only to a page of the inspector, however `next` is written', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    await receiver.inbox.quarantine(storedDelivery(contractExample('ConversationCreated'), 'msg_1'), []);
    const after = async (next: string) => {
      const response = await fetch(`${receiver.url}/inspector/sign-in`, {
        method: 'POST',
        headers: { 'content-type': form, origin: receiver.url },
        body: new URLSearchParams({ token, next }),
        redirect: 'manual',
      });
      expect(response.status, next).to.equal(303);
      return response.headers.get('location');
    };
    for (const next of [
      '/inspector/../healthz',
      '/inspector/%2e%2e/metrics',
      '/inspector/..\\..\\healthz',
      '/inspector\\..\\metrics',
      '//attacker.example/inspector',
      '/\\attacker.example/inspector',
      'https://attacker.example/inspector',
      '/inspectors',
      'javascript:alert(1)//inspector',
    ]) {
      expect(await after(next), next).to.equal('/inspector');
    }
    expect(await after('/inspector/delivery?id=msg_1&live=off')).to.equal('/inspector/delivery?id=msg_1&live=off');
    expect(await after('/inspector/lanes/../delivery?id=msg_1')).to.equal('/inspector/delivery?id=msg_1');
  });

  it('mounts on node:http through node(), passing other requests on', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    const listener = receiver.receiver.inspector!.node();
    const server: Server = createServer((request, response) =>
      listener(request, response, () => response.writeHead(418).end('not the inspector')),
    ).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/inspector?state=dead`, { headers: bearer })).status).to.equal(200);
      expect((await fetch(`${url}/inspector`)).status).to.equal(401);
      expect((await fetch(`${url}/inspectors`)).status).to.equal(418);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('ends its live streams when the receiver stops', async () => {
    receiver = await startReceiver({ inspectorToken: token });
    const response = await fetch(`${receiver.url}/inspector/live`, { headers: bearer });
    expect(response.headers.get('content-type')).to.match(/^text\/event-stream/);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).to.match(/^retry: \d+/);
    await receiver.receiver.stop();
    let ended = false;
    while (!ended) ended = (await reader.read()).done;
  });
});
