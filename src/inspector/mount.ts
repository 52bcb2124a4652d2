// The inspector: pages to find, read and replay deliveries, under /inspector, behind a token.
// This composes it: the guards come first and cover every route, those added later included (who
// is asking, whether a change comes from the page itself, read-only mode), then the routes, then
// the answer to any other request under the path; and mounts it in Koa or node:http.
import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Validate } from '../contract/validation.ts';
import type { Inbox } from '../inbox/inbox.ts';
import type { KoaMiddleware } from '../intake/adapters/koa-middleware.ts';
import type { NodeListener } from '../intake/adapters/node.ts';
import { InspectorAccess, requireSameSite } from './access.ts';
import { readForm } from './form.ts';
import { identifyVisitor, refuseActionsWhenReadOnly, requireVisitor, securityHeaders } from './guards.ts';
import { defaultThrottleLimits, type ThrottleLimits } from './guess-throttle.ts';
import { LiveUpdates } from './live.ts';
import { inspectorPath } from './pages.ts';
import {
  confirmDiscard,
  confirmErase,
  discardDelivery,
  eraseEndUser,
  noSuchRoute,
  previewReplay,
  readAssets,
  redirectOldDeliveryPage,
  replayDelivery,
  replayMatching,
  serveAsset,
  showDelivery,
  showLane,
  showList,
  streamChanges,
  type RouteParts,
} from './routes.ts';
import { failingAsUnreadable } from './store-failure.ts';
import { defaultLiveLimits, type InspectorSettings, type LiveLimits } from './settings.ts';
import { showSignIn, signIn, signOut } from './sign-in.ts';
import { TokenGuesses } from './token-guesses.ts';

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

export function createInspector({
  settings,
  inbox: store,
  validateDelivery,
  logger,
  liveIntervalMs = 1000,
  liveLimits = defaultLiveLimits,
  throttleLimits = defaultThrottleLimits,
  guessReportMs = 60_000,
}: InspectorOptions): Inspector {
  const inbox = failingAsUnreadable(store);
  const access = new InspectorAccess(settings.token, inbox);
  const assets = readAssets();
  const live = new LiveUpdates({ intervalMs: liveIntervalMs, limits: liveLimits, endedSessions: (ids) => inbox.endedSessions(ids) });
  const guesses = new TokenGuesses(throttleLimits, logger, guessReportMs);
  const middleware = routerOf({ access, guesses, assets, inbox, validateDelivery, logger, live, readOnly: settings.readOnly });
  const listener = nodeListenerOf(middleware, logger);
  return {
    // Koa's own context, whose shape KoaMiddleware describes in part: only a Koa app calls it.
    koa: () => middleware as unknown as KoaMiddleware,
    node: () => listener,
    path: inspectorPath,
    close: () => {
      live.close();
      guesses.close();
    },
  };
}

interface RouterParts extends RouteParts {
  access: InspectorAccess;
  guesses: TokenGuesses;
  assets: ReturnType<typeof readAssets>;
}

/** Every route under the inspector's path, each behind the guards it needs. */
function routerOf(parts: RouterParts): Middleware {
  const { access, guesses, assets, live, logger, readOnly } = parts;
  const router = new Router({ prefix: inspectorPath, sensitive: true });
  router.use(securityHeaders(logger, readOnly));
  router.get('/assets/:name', serveAsset(assets));
  router.use(readForm, identifyVisitor(access, guesses), requireSameSite);
  router.get('/sign-in', showSignIn);
  router.post('/sign-in', signIn(access, guesses));
  router.use(requireVisitor(readOnly));
  router.post('/sign-out', signOut(access, live, logger));
  router.use(refuseActionsWhenReadOnly(readOnly));
  router.get('/', showList(parts));
  router.get('/live', streamChanges(parts));
  router.get('/deliveries/:id', redirectOldDeliveryPage);
  router.get('/delivery', showDelivery(parts));
  router.post('/delivery/replay', replayDelivery(parts));
  router.get('/delivery/discard', confirmDiscard(parts));
  router.post('/delivery/discard', discardDelivery(parts));
  router.get('/delivery/erase', confirmErase(parts));
  router.post('/delivery/erase', eraseEndUser(parts));
  router.get('/lanes/:key', showLane(parts));
  router.get('/replay', previewReplay(parts));
  router.post('/replay', replayMatching(parts));
  // Last, so that every request under the inspector's path meets the guards above, whatever its method.
  router.all('{/*rest}', noSuchRoute);
  // The router's context type adds the route's params, which the router sets itself.
  return router.routes() as unknown as Middleware;
}

/** The inspector as a node:http listener at the root: its own Koa app answers under its path. */
function nodeListenerOf(middleware: Middleware, logger: Logger): NodeListener {
  const app = new Koa();
  app.on('error', (error: unknown) => logger.error({ err: error }, 'the inspector failed to answer'));
  app.use(middleware);
  const handle = app.callback();
  const inPath = (url: string) => url === inspectorPath || url.startsWith(`${inspectorPath}/`) || url.startsWith(`${inspectorPath}?`);
  return (request, response, next) => {
    if (inPath(request.url ?? '/')) return void handle(request, response);
    if (next) return next();
    response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
  };
}
