// The inspector: pages to find, read and replay deliveries, under /inspector, behind a token.
// The guards come first and cover every route, those added later included: who is asking
// (a session or the token), whether a change comes from the page itself, and read-only mode.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Router from '@koa/router';
import Koa, { type Context, type Middleware, type Next } from 'koa';
import type { Logger } from 'pino';
import type { Validate } from '../contract/validation.ts';
import { isReplayableState, replay, replayableStates, type ReplayFilter, type ReplayOutcome } from '../dispatch/replay.ts';
import type { Inbox } from '../inbox/inbox.ts';
import type { KoaMiddleware } from '../intake/adapters/koa-middleware.ts';
import type { NodeListener } from '../intake/adapters/node.ts';
import { isStorableText } from '../support/storable-text.ts';
import { formOf, readForm } from './form.ts';
import { bearerTokenOf, InspectorAccess, pageAfterSignIn, requireSameSite, sessionCookie, type Visitor } from './access.ts';
import { defaultThrottleLimits, GuessThrottle, type ThrottleLimits } from './guess-throttle.ts';
import { parseFilter, positionParameter, queryOf, type FilterForm } from './list-filter.ts';
import { LiveUpdates } from './live.ts';
import {
  deliveryHref,
  deliveryPage,
  discardPage,
  inspectorPath,
  lanePage,
  listPage,
  messagePage,
  replayPage,
  signInPage,
  type Viewer,
} from './pages.ts';
import { defaultLiveLimits, type InspectorSettings, type LiveLimits } from './settings.ts';
import { stylesheet } from './styles.ts';

export interface Inspector {
  /** Koa middleware (`app.use(receiver.inspector.koa())`): answers under /inspector, and passes every other request on. */
  koa(): KoaMiddleware;
  /** A `(req, res, next?)` listener for node:http and Express, mounted at the root: answers under /inspector, passes others to `next` (404 without). */
  node(): NodeListener;
  readonly path: string;
  /** Ends the live-update streams (they would hold a closing server open). */
  close(): void;
}

interface InspectorOptions {
  settings: InspectorSettings;
  inbox: Inbox;
  /** Validates a delivery body against the contract the receiver runs: what replay checks a quarantined delivery with. */
  validateDelivery: Validate;
  logger: Logger;
  /** How often a live page looks for changes (default 1000). */
  liveIntervalMs?: number;
  /** Caps on live-update streams (default: 200 in all, 10 per visitor). */
  liveLimits?: LiveLimits;
  /** Wrong tokens allowed per client address (default: 5 in 15 minutes, 10,000 addresses remembered). */
  throttleLimits?: ThrottleLimits;
  /** How often the wrong tokens counted since the last report are logged (default 60,000). */
  guessReportMs?: number;
}

const pageSize = 50;
const laneShown = 100;

/** The page's scripts from the installed packages, and its stylesheet: read when an inspector is created, not when the receiver is imported. */
function readAssets(): Record<string, { type: string; body: string }> {
  const require = createRequire(import.meta.url);
  return {
    'htmx.min.js': { type: 'text/javascript', body: readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8') },
    'sse.min.js': { type: 'text/javascript', body: readFileSync(require.resolve('htmx-ext-sse/dist/sse.min.js'), 'utf8') },
    'inspector.css': { type: 'text/css', body: stylesheet },
  };
}

const replayedNotices: Record<ReplayOutcome['outcome'], string> = {
  requeued: 'Replayed: it is pending again, and the dispatcher runs it next in its lane.',
  'still quarantined': 'Still quarantined: it violates the contract the receiver runs now (its violations are below, checked again).',
  'already pending': 'Already pending: the dispatcher runs it in its turn.',
  discarded: 'Not replayed: it was discarded, which is for good.',
};

export function createInspector({
  settings,
  inbox,
  validateDelivery,
  logger,
  liveIntervalMs = 1000,
  liveLimits = defaultLiveLimits,
  throttleLimits = defaultThrottleLimits,
  guessReportMs = 60_000,
}: InspectorOptions): Inspector {
  const access = new InspectorAccess(settings.token, inbox);
  const assets = readAssets();
  const live = new LiveUpdates({ intervalMs: liveIntervalMs, limits: liveLimits, endedSessions: (ids) => inbox.endedSessions(ids) });
  const throttle = new GuessThrottle(throttleLimits);
  const guessReports = setInterval(() => {
    for (const { address, wrong, refused, since } of throttle.report()) {
      logger.warn(
        { client: address, wrongTokens: wrong, throttled: refused, since },
        `inspector: ${wrong} more wrong tokens, and ${refused} attempts refused as too many, from ${address}`,
      );
    }
  }, guessReportMs).unref();
  const viewerOf = (ctx: Context): Viewer => {
    const visitor = ctx.state['visitor'] as Visitor | undefined;
    return { formToken: visitor?.formToken, signedIn: visitor?.via === 'session', readOnly: settings.readOnly };
  };
  const render = (ctx: Context, status: number, body: string) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = body;
  };

  async function securityHeaders(ctx: Context, next: Next) {
    ctx.set({
      'Content-Security-Policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      // Not no-referrer: the browser would then send `Origin: null`, and the same-site check needs the origin.
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    try {
      await next();
    } catch (error) {
      const { status = 500, expose = false, message } = error as { status?: number; expose?: boolean; message: string };
      if (status >= 500) logger.error({ err: error }, 'the inspector failed to answer');
      render(
        ctx,
        status,
        messagePage(
          viewerOf(ctx),
          status === 403 ? 'Refused' : 'Error',
          expose ? message : 'Something went wrong; the receiver logged it.',
        ),
      );
    }
  }

  /** Refuses, before it can guess again, a client address that sent too many wrong tokens. */
  function refuseTooManyGuesses(ctx: Context): void {
    const retryAfter = throttle.refusal(ctx.ip);
    if (retryAfter === undefined) return;
    ctx.set('Retry-After', String(retryAfter));
    ctx.throw(429, `Too many wrong tokens from your address: try again in ${retryAfter} seconds.`);
  }

  /** Counts a guess of the token; the first wrong one of an address is logged at once, the others in the next report. */
  function countGuess(ctx: Context, right: boolean, via: 'sign-in' | 'bearer'): void {
    if (right) return throttle.right(ctx.ip);
    if (throttle.wrong(ctx.ip)) {
      logger.warn(
        { client: ctx.ip, via },
        'inspector: a wrong token was refused (more from this address are counted, and logged once a minute)',
      );
    }
  }

  async function identifyVisitor(ctx: Context, next: Next) {
    const bearer = bearerTokenOf(ctx) !== undefined;
    if (bearer) refuseTooManyGuesses(ctx);
    const visitor = await access.visitorOf(ctx);
    if (bearer) countGuess(ctx, visitor !== undefined, 'bearer');
    ctx.state['visitor'] = visitor;
    return next();
  }

  async function requireVisitor(ctx: Context, next: Next) {
    if (ctx.state['visitor']) return next();
    if (bearerTokenOf(ctx) !== undefined) {
      ctx.set('WWW-Authenticate', 'Bearer realm="ada-webhooks inspector"');
      return render(ctx, 401, messagePage(viewerOf(ctx), 'Not signed in', "The token in the Authorization header is not the inspector's."));
    }
    render(ctx, 401, signInPage({ next: ctx.originalUrl }));
  }

  /** Read-only mode, in one place: every request that is not a read is refused, whatever its route. */
  async function refuseActionsWhenReadOnly(ctx: Context, next: Next) {
    if (settings.readOnly && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.throw(403, 'The inspector is read-only (INSPECTOR_READ_ONLY, or inspectorReadOnly): it shows deliveries and changes nothing.');
    }
    return next();
  }

  const router = new Router({ prefix: inspectorPath, sensitive: true });
  router.use(securityHeaders);
  router.get('/assets/:name', (ctx) => {
    const name = ctx.params['name']!;
    if (!Object.hasOwn(assets, name)) return ctx.throw(404, 'No such file.');
    const file = assets[name]!;
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  });
  router.use(readForm, identifyVisitor, requireSameSite);

  router.get('/sign-in', (ctx) => {
    if (ctx.state['visitor']) return ctx.redirect(inspectorPath);
    render(ctx, 200, signInPage({ next: inspectorPath }));
  });
  router.post('/sign-in', (ctx) => {
    refuseTooManyGuesses(ctx);
    const form = formOf(ctx);
    const next = pageAfterSignIn(form['next']);
    const right = access.isToken(form['token'] ?? '');
    countGuess(ctx, right, 'sign-in');
    if (!right) return render(ctx, 401, signInPage({ next, problem: "That is not the inspector's token." }));
    const session = access.newSession();
    ctx.cookies.set(sessionCookie, session.value, {
      httpOnly: true,
      sameSite: 'strict',
      path: inspectorPath,
      maxAge: session.maxAgeMs,
      secure: ctx.secure,
      overwrite: true,
    });
    ctx.status = 303;
    ctx.redirect(next);
  });

  router.use(requireVisitor);
  router.post('/sign-out', async (ctx) => {
    const { session } = ctx.state['visitor'] as Visitor;
    if (session) {
      await access.endSession(session);
      live.endSession(session.id);
      logger.info({ client: ctx.ip }, 'inspector: a session signed out');
    }
    ctx.cookies.set(sessionCookie, null, { path: inspectorPath });
    ctx.status = 303;
    ctx.redirect(`${inspectorPath}/sign-in`);
  });
  router.use(refuseActionsWhenReadOnly);

  /**
   * Who discards, as the record keeps it: the token is shared, so the inspector can tell only how
   * they signed in (a session, by the start of its id; or a script) and from which address.
   */
  function discarderOf(ctx: Context): string {
    const { session } = ctx.state['visitor'] as Visitor;
    return session ? `session ${session.id.slice(0, 8)} from ${ctx.ip}` : `a script (Bearer token) from ${ctx.ip}`;
  }

  /** A list's filter, page and live switch as a query string without `?`, rebuilt from what it parsed to: only what the list takes. */
  const listQueryOf = (parsed: ReturnType<typeof parseFilter>, live: boolean) =>
    queryOf(parsed.form, { after: parsed.after && positionParameter(parsed.after), live: live ? undefined : 'off' }).slice(1);

  /** The list a delivery's page links back to, from its `list` parameter; undefined without one, or for one the list would refuse. */
  function listToGoBackTo(raw: unknown): string | undefined {
    if (typeof raw !== 'string' || raw === '') return undefined;
    const fields = Object.fromEntries(new URLSearchParams(raw));
    const parsed = parseFilter(fields);
    return parsed.problems.length > 0 ? undefined : listQueryOf(parsed, fields['live'] !== 'off') || undefined;
  }

  /** The list as the page and its live stream both read it. */
  async function loadList(parsed: ReturnType<typeof parseFilter>) {
    const started = performance.now();
    const [deliveries, counts] = await Promise.all([
      parsed.problems.length > 0 ? [] : inbox.list({ ...parsed.filter, after: parsed.after, limit: pageSize }),
      inbox.countByState(),
    ]);
    return { parsed, deliveries, counts, readMs: performance.now() - started };
  }

  router.get('/', async (ctx) => {
    const { parsed, deliveries, counts, readMs } = await loadList(parseFilter(ctx.query));
    const liveOn = ctx.query['live'] !== 'off';
    const last = deliveries.length === pageSize ? deliveries.at(-1) : undefined;
    const view = {
      form: parsed.form,
      problems: parsed.problems,
      deliveries,
      counts,
      nextPage: last && positionParameter(last),
      paged: parsed.after !== undefined,
      readMs,
      live: liveOn,
      replayable: isReplayableState(parsed.filter.state),
      query: ctx.querystring ? `?${ctx.querystring}` : '',
      listQuery: listQueryOf(parsed, liveOn),
    };
    render(ctx, parsed.problems.length > 0 ? 400 : 200, listPage(view, viewerOf(ctx)));
  });

  router.get('/live', async (ctx) => {
    const { session } = ctx.state['visitor'] as Visitor;
    const visitor = session ? `session ${session.id}` : `script at ${ctx.ip}`;
    const id = typeof ctx.query['delivery'] === 'string' ? ctx.query['delivery'] : undefined;
    if (id !== undefined) {
      return live.stream(ctx, {
        view: `delivery ${id}`,
        look: async () => {
          const delivery = isStorableText(id) ? await inbox.get(id) : undefined;
          const lane = delivery && (await inbox.lane(delivery.lane));
          return JSON.stringify([delivery?.state, delivery?.attempts, delivery?.lastError, delivery?.violations, lane]);
        },
        visitor,
        session: session?.id,
      });
    }
    const parsed = parseFilter(ctx.query);
    return live.stream(ctx, {
      view: `list ${listQueryOf(parsed, true)}`,
      look: async () => {
        const { deliveries, counts } = await loadList(parsed);
        return JSON.stringify([counts, deliveries.map(({ id, state, attempts }) => [id, state, attempts])]);
      },
      visitor,
      session: session?.id,
    });
  });

  /**
   * The id that a delivery's pages and actions take in their query (see deliveryHref). No delivery's
   * id holds NUL or a lone surrogate: the inbox refuses them, and PostgreSQL would refuse to look one up.
   */
  function deliveryIdOf(ctx: Context): string {
    const id = ctx.query['id'];
    if (typeof id !== 'string') return ctx.throw(404, 'Name one delivery by its id: ?id=…');
    if (!isStorableText(id)) return ctx.throw(404, `No delivery with id ${id}.`);
    return id;
  }

  // Where a delivery's page was before its id moved to the query: links kept from then still lead to it.
  router.get('/deliveries/:id', (ctx) => {
    const parameters = new URLSearchParams(ctx.querystring);
    parameters.delete('id');
    ctx.status = 301;
    ctx.redirect(deliveryHref(ctx.params['id']!, Object.fromEntries(parameters)));
  });

  router.get('/delivery', async (ctx) => {
    const id = deliveryIdOf(ctx);
    const delivery = await inbox.get(id);
    if (!delivery) return ctx.throw(404, `No delivery with id ${id}.`);
    const [lane, queue, failedAttempts] = await Promise.all([
      inbox.lane(delivery.lane),
      inbox.laneQueue(delivery.lane, laneShown),
      inbox.failedAttempts(delivery.id),
    ]);
    const replayed =
      ctx.query['discarded'] === 'yes'
        ? 'Discarded: it no longer counts as quarantined, and is kept, with who discarded it and when, until a purge.'
        : replayedNotices[ctx.query['replayed'] as ReplayOutcome['outcome']];
    const live = ctx.query['live'] !== 'off';
    const list = listToGoBackTo(ctx.query['list']);
    render(ctx, 200, deliveryPage({ delivery, lane, queue, failedAttempts, replayed, live, list }, viewerOf(ctx)));
  });

  router.post('/delivery/replay', async (ctx) => {
    const id = deliveryIdOf(ctx);
    const [outcome] = await replay({ inbox, validateDelivery }, { id });
    if (!outcome) return ctx.throw(404, `No delivery with id ${id}.`);
    logger.info({ deliveryId: id, outcome: outcome.outcome }, 'inspector: replayed a delivery');
    ctx.status = 303;
    const list = listToGoBackTo(formOf(ctx)['list']);
    ctx.redirect(deliveryHref(id, { replayed: outcome.outcome, ...(list && { list }) }));
  });

  router.get('/delivery/discard', async (ctx) => {
    const id = deliveryIdOf(ctx);
    const delivery = await inbox.get(id);
    if (!delivery) return ctx.throw(404, `No delivery with id ${id}.`);
    render(ctx, 200, discardPage({ delivery, list: listToGoBackTo(ctx.query['list']) }, viewerOf(ctx)));
  });

  router.post('/delivery/discard', async (ctx) => {
    const id = deliveryIdOf(ctx);
    const by = discarderOf(ctx);
    if (!(await inbox.discard(id, { at: new Date(), by }))) {
      const delivery = await inbox.get(id);
      if (!delivery) return ctx.throw(404, `No delivery with id ${id}.`);
      return ctx.throw(409, `Only a quarantined delivery can be discarded; this one is ${delivery.state}.`);
    }
    logger.info({ deliveryId: id, by, client: ctx.ip }, 'inspector: discarded a quarantined delivery');
    const list = listToGoBackTo(formOf(ctx)['list']);
    ctx.status = 303;
    ctx.redirect(deliveryHref(id, { discarded: 'yes', ...(list && { list }) }));
  });

  router.get('/lanes/:key', async (ctx) => {
    const key = ctx.params['key']!;
    // No lane's key holds NUL or a lone surrogate (see storableKey): such a lane has nothing pending.
    const [lane, queue] = isStorableText(key) ? await Promise.all([inbox.lane(key), inbox.laneQueue(key, laneShown)]) : [undefined, []];
    render(ctx, 200, lanePage({ key, lane, queue }, viewerOf(ctx)));
  });

  /** The filter of "Replay all matching": the list's, which must name a state that replay takes. */
  function replayFilterOf(ctx: Context, fields: Record<string, string | string[] | undefined>): { form: FilterForm; filter: ReplayFilter } {
    const { form, filter, problems } = parseFilter(fields);
    if (problems.length > 0) ctx.throw(400, problems.join(' '));
    const { state } = filter;
    if (!isReplayableState(state)) ctx.throw(400, `Replay all matching needs the State filter set to ${replayableStates.join(', ')}.`);
    return { form, filter: { ...filter, state } };
  }

  router.get('/replay', async (ctx) => {
    const { form, filter } = replayFilterOf(ctx, ctx.query);
    const outcomes = await replay({ inbox, validateDelivery, dryRun: true }, filter);
    render(ctx, 200, replayPage({ form, outcomes, done: false }, viewerOf(ctx)));
  });

  router.post('/replay', async (ctx) => {
    const { form, filter } = replayFilterOf(ctx, formOf(ctx));
    const outcomes = await replay({ inbox, validateDelivery }, filter);
    const requeued = outcomes.filter(({ outcome }) => outcome === 'requeued').length;
    logger.info({ filter: form, matched: outcomes.length, requeued }, 'inspector: replayed matching deliveries');
    render(ctx, 200, replayPage({ form, outcomes, done: true }, viewerOf(ctx)));
  });

  // Last, so that every request under the inspector's path meets the guards above, whatever its
  // method: one that no route takes is answered here, never passed on to the application.
  router.all('{/*rest}', (ctx) => {
    if (ctx.method === 'GET' || ctx.method === 'HEAD') ctx.throw(404, 'No such page.');
    ctx.throw(405, `The inspector does not take ${ctx.method} here.`);
  });

  // The router's context type adds the route's params, which the router sets itself.
  const middleware = router.routes() as unknown as Middleware;
  const app = new Koa();
  app.on('error', (error: unknown) => logger.error({ err: error }, 'the inspector failed to answer'));
  app.use(middleware);
  const handle = app.callback();
  const inPath = (url: string) => url === inspectorPath || url.startsWith(`${inspectorPath}/`) || url.startsWith(`${inspectorPath}?`);

  return {
    // Koa's own context, whose shape KoaMiddleware describes in part: only a Koa app calls it.
    koa: () => middleware as unknown as KoaMiddleware,
    node: () => (request, response, next) => {
      if (inPath(request.url ?? '/')) return void handle(request, response);
      if (next) return next();
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    },
    path: inspectorPath,
    close: () => {
      live.close();
      clearInterval(guessReports);
    },
  };
}
