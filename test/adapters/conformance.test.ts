// One conformance suite for every way to mount the receiver: the service's own app, Koa, Express
// (alone, and behind a global express.json() that keeps the raw body), Fastify, a fetch-style
// server (Hono) and plain node:http, each a real server on a loopback port over a real inbox. The
// same corpus must get the same statuses as the service, a delivery sent twice is stored once,
// and a body parser that ate the body gets an answer that names the fix.
import { createAdaptorServer } from '@hono/node-server';
import bodyParser from '@koa/bodyparser';
import { expect } from 'chai';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Receiver } from '../../src/receiver.ts';
import { corpus, type ParityCase } from '../parity/corpus.ts';
import { contractExample, post, signedHeaders, startReceiver, type TestReceiver } from '../support/receiver.ts';
import { sendCase } from '../support/send.ts';

/** Listens on a free loopback port; resolves with its URL and what closes it. */
async function listen(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Mounted {
  url: string;
  close(): Promise<void>;
}

interface Adapter {
  name: string;
  mount(receiver: TestReceiver): Promise<Mounted>;
  /** The corpus cases this mounting must answer as the service does (all, unless a body parser in front answers some itself). */
  cases?: (testCase: ParityCase) => boolean;
}

/** A server for a Koa app; Koa answers every error of its own, so its promise needs no one to wait. */
function koaServer(app: { callback: Koa['callback'] }): Server {
  const handle = app.callback();
  return createServer((request, response) => void handle(request, response));
}

/** A body parser in front answers what it cannot parse or what exceeds its own limit: the cases whose body it parses. */
const parsedByTheHost = (testCase: ParityCase) => [200, 401, 422].includes(testCase.status);

/** express.json() as its documentation shows, keeping the exact bytes for signature checks. */
const jsonKeepingRawBody = express.json({
  limit: '1mb',
  verify: (request, _response, bytes) => void Object.assign(request, { rawBody: bytes }),
});

const adapters: Adapter[] = [
  { name: 'the service', mount: async ({ url }) => ({ url, close: async () => {} }) },
  {
    name: 'Koa',
    mount: async ({ receiver }) => listen(koaServer(new Koa().use(receiver.koa()))),
  },
  {
    name: 'Koa behind @koa/bodyparser (its rawBody)',
    mount: async ({ receiver }) => listen(koaServer(new Koa().use(bodyParser()).use(receiver.koa()))),
    cases: parsedByTheHost,
  },
  {
    name: 'Express',
    mount: async ({ receiver }) => listen(createServer(express().post(receiver.path, receiver.node()))),
  },
  {
    name: 'Express behind a global express.json({ verify }) (its rawBody)',
    mount: async ({ receiver }) => listen(createServer(express().use(jsonKeepingRawBody).post(receiver.path, receiver.node()))),
    cases: parsedByTheHost,
  },
  {
    name: 'Fastify',
    mount: async ({ receiver }) => {
      const fastify = Fastify();
      await fastify.register(async (scope) => {
        // The receiver reads the body itself: no parser in this scope touches the stream.
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
        const handle = receiver.node();
        scope.post(receiver.path, (request, reply) => {
          reply.hijack();
          handle(request.raw, reply.raw);
        });
      });
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      return { url: `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`, close: () => fastify.close() };
    },
  },
  {
    name: 'Hono (fetch-style)',
    mount: async ({ receiver }) => {
      const app = new Hono().post(receiver.path, (c) => receiver.fetch(c.req.raw));
      return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
    },
  },
  {
    name: 'node:http',
    mount: async ({ receiver }) => listen(createServer(receiver.node())),
  },
];

describe('mounting the receiver', function () {
  this.timeout(20_000);
  let store: TestReceiver;
  before(async () => {
    store = await startReceiver({ bodyLimit: '1mb' });
  });
  after(() => store.close());

  for (const adapter of adapters) {
    describe(adapter.name, () => {
      let mounted: Mounted;
      before(async () => {
        mounted = await adapter.mount(store);
      });
      after(() => mounted.close());

      it('answers the corpus as the service does', async () => {
        const cases = corpus.filter(adapter.cases ?? (() => true));
        const verdicts = [];
        for (const testCase of cases) verdicts.push({ name: testCase.name, status: (await sendCase(mounted.url, testCase)).status });
        expect(verdicts).to.deep.equal(cases.map(({ name, status }) => ({ name, status })));
      });

      it('stores a delivery sent twice once, and says the second was a duplicate', async () => {
        const id = `msg_twice_${adapter.name.replaceAll(/\W+/g, '_')}`;
        const body = JSON.stringify(contractExample('ConversationCreated'));
        expect((await post(mounted.url, body, signedHeaders(body, { id }))).body).to.deep.equal({ status: 'accepted', id });
        expect((await post(mounted.url, body, signedHeaders(body, { id }))).body).to.deep.equal({ status: 'duplicate', id });
        expect(
          await store.inbox.list({ limit: 10, eventType: 'v1.conversation.created' }).then((all) => all.filter((d) => d.id === id)),
        ).to.have.length(1);
      });

      it('takes a delivery whose URL carries a query string, which the signature does not cover', async () => {
        const body = JSON.stringify(contractExample('ConversationCreated'));
        const headers = signedHeaders(body);
        const response = await fetch(`${mounted.url}/webhooks/ada?tenant=acme`, { method: 'POST', headers, body });
        expect([response.status, await response.json()]).to.deep.equal([200, { status: 'accepted', id: headers['svix-id'] }]);
      });
    });
  }

  it('koa() and node() answer another method on their path 405 with Allow: POST, and pass another path on', async () => {
    const { receiver } = store;
    const mounts = [
      ['koa()', koaServer(new Koa().use(receiver.koa()).use((ctx) => (ctx.body = 'passed on')))],
      ['node()', createServer((request, response) => receiver.node()(request, response, () => response.end('passed on')))],
    ] as const;
    for (const [name, server] of mounts) {
      const mounted = await listen(server);
      try {
        const wrongMethod = await fetch(`${mounted.url}${receiver.path}`);
        expect([wrongMethod.status, wrongMethod.headers.get('allow')], name).to.deep.equal([405, 'POST']);
        expect(await (await fetch(`${mounted.url}/elsewhere`)).text(), name).to.equal('passed on');
      } finally {
        await mounted.close();
      }
    }
  });

  describe('behind a body parser that keeps no raw body', () => {
    const parsers: [string, (receiver: Receiver) => Server][] = [
      [
        'Express with a global express.json()',
        (receiver) => createServer(express().use(express.json()).post(receiver.path, receiver.node())),
      ],
      [
        'Koa behind a middleware that reads the stream',
        (receiver) =>
          koaServer(
            new Koa()
              .use(async (ctx, next) => {
                for await (const _chunk of ctx.req) void _chunk;
                await next();
              })
              .use(receiver.koa()),
          ),
      ],
    ];
    for (const [name, create] of parsers) {
      it(`${name}: 500 with what to change, in the answer and the log, and nothing stored`, async () => {
        const { url, close } = await listen(create(store.receiver));
        try {
          const body = JSON.stringify(contractExample('ConversationCreated'));
          const headers = signedHeaders(body);
          const logged = store.logs.length;
          const answer = await post(url, body, headers);
          expect(answer.status).to.equal(500);
          expect(answer.body.detail).to.match(
            /^The request body was read before the receiver got it, .* Mount the receiver before any body parser/,
          );
          const line = store.logs.slice(logged).find(({ msg }) => msg === 'delivery');
          expect(line).to.deep.include({ status: 500, outcome: 'error' });
          expect((line!['err'] as { message: string }).message).to.equal(answer.body.detail);
          expect(await store.inbox.get(headers['svix-id']!)).to.equal(undefined);
        } finally {
          await close();
        }
      });
    }
  });
});
