// The inspector's pages and actions, one handler each, behind the guards (guards.ts). Each reads
// the request, asks the inbox or replay, and renders a page or sends the browser on.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Validate } from '../contract/validation.ts';
import { isReplayableState, replay, replayableStates, type ReplayFilter, type ReplayOutcome } from '../dispatch/replay.ts';
import type { Inbox } from '../inbox/inbox.ts';
import { isStorableText } from '../support/storable-text.ts';
import { render, seeOther, viewerOf, visitorOf } from './context.ts';
import { formOf } from './form.ts';
import { parseFilter, positionParameter, filterToQueryString, type FilterForm } from './list-filter.ts';
import type { LiveUpdates } from './live.ts';
import { deliveryHref, deliveryPage, discardPage, erasePage, lanePage, listPage, replayPage } from './pages.ts';
import { stylesheet } from './styles.ts';

/** What the routes work with. */
export interface RouteParts {
  inbox: Inbox;
  /** Validates a delivery body against the contract the receiver runs: what replay checks a quarantined delivery with. */
  validateDelivery: Validate;
  logger: Logger;
  live: LiveUpdates;
  readOnly: boolean;
}

const pageSize = 50;
const laneShown = 100;

type Asset = { type: string; body: string };

/** The page's scripts from the installed packages, and its stylesheet: read when an inspector is created, not when the receiver is imported. */
export function readAssets(): Record<string, Asset> {
  const require = createRequire(import.meta.url);
  return {
    'htmx.min.js': { type: 'text/javascript', body: readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8') },
    'sse.min.js': { type: 'text/javascript', body: readFileSync(require.resolve('htmx-ext-sse/dist/sse.min.js'), 'utf8') },
    'inspector.css': { type: 'text/css', body: stylesheet },
  };
}

export function serveAsset(assets: Record<string, Asset>) {
  return (ctx: RouterContext): void => {
    const name = ctx.params['name']!;
    if (!Object.hasOwn(assets, name)) return ctx.throw(404, 'No such file.');
    const file = assets[name]!;
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}

type ParsedFilter = ReturnType<typeof parseFilter>;

/** A list's filter, page and live switch as a query string without `?`, rebuilt from what it parsed to: only what the list takes. */
const listQueryOf = (parsed: ParsedFilter, live: boolean) =>
  filterToQueryString(parsed.form, { after: parsed.after && positionParameter(parsed.after), live: live ? undefined : 'off' }).slice(1);

/** The list a delivery's page links back to, from its `list` parameter; undefined without one, or for one the list would refuse. */
function listToGoBackTo(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  const fields = Object.fromEntries(new URLSearchParams(raw));
  const parsed = parseFilter(fields);
  return parsed.problems.length > 0 ? undefined : listQueryOf(parsed, fields['live'] !== 'off') || undefined;
}

/** The list as the page and its live stream both read it. */
async function loadList(inbox: Inbox, parsed: ParsedFilter) {
  const started = performance.now();
  const [deliveries, counts] = await Promise.all([
    parsed.problems.length > 0 ? [] : inbox.list({ ...parsed.filter, after: parsed.after, limit: pageSize }),
    inbox.countByState(),
  ]);
  return { parsed, deliveries, counts, readMs: performance.now() - started };
}

export function showList({ inbox, readOnly }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const { parsed, deliveries, counts, readMs } = await loadList(inbox, parseFilter(ctx.query));
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
    render(ctx, parsed.problems.length > 0 ? 400 : 200, listPage(view, viewerOf(ctx, readOnly)));
  };
}

/** The live stream of a delivery's page (`?delivery=`), or else of a list. */
export function streamChanges({ inbox, live }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const session = visitorOf(ctx)?.session;
    const watcher = { visitor: session ? `session ${session.id}` : `script at ${ctx.ip}`, session: session?.id };
    const id = typeof ctx.query['delivery'] === 'string' ? ctx.query['delivery'] : undefined;
    if (id !== undefined) {
      return live.stream(ctx, { view: `delivery ${id}`, look: () => lookAtDelivery(inbox, id), ...watcher });
    }
    const parsed = parseFilter(ctx.query);
    return live.stream(ctx, { view: `list ${listQueryOf(parsed, true)}`, look: () => lookAtList(inbox, parsed), ...watcher });
  };
}

/** What a delivery's live page shows that can change, as text to compare. */
async function lookAtDelivery(inbox: Inbox, id: string): Promise<string> {
  const delivery = isStorableText(id) ? await inbox.get(id) : undefined;
  const lane = delivery && (await inbox.lane(delivery.lane));
  return JSON.stringify([delivery?.state, delivery?.attempts, delivery?.lastError, delivery?.violations, delivery?.unreadable, lane]);
}

/** What a live list shows that can change, as text to compare. */
async function lookAtList(inbox: Inbox, parsed: ParsedFilter): Promise<string> {
  const { deliveries, counts } = await loadList(inbox, parsed);
  return JSON.stringify([counts, deliveries.map(({ id, state, attempts, unreadable }) => [id, state, attempts, unreadable])]);
}

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

async function deliveryNamed(ctx: Context, inbox: Inbox) {
  const id = deliveryIdOf(ctx);
  return (await inbox.get(id)) ?? ctx.throw(404, `No delivery with id ${id}.`);
}

/** Where a delivery's page was before its id moved to the query: links kept from then still lead to it. */
export function redirectOldDeliveryPage(ctx: RouterContext): void {
  const parameters = new URLSearchParams(ctx.querystring);
  parameters.delete('id');
  ctx.status = 301;
  ctx.redirect(deliveryHref(ctx.params['id']!, Object.fromEntries(parameters)));
}

/** What a replay did, told on the delivery's page; one that cannot be read is refused with why instead. */
const replayedNotices: Record<Exclude<ReplayOutcome['outcome'], 'unreadable'>, string> = {
  requeued: 'Replayed: it is pending again, and the dispatcher runs it next in its lane.',
  'still quarantined': 'Still quarantined: it violates the contract the receiver runs now (its violations are below, checked again).',
  'already pending': 'Already pending: the dispatcher runs it in its turn.',
  discarded: 'Not replayed: it was discarded, which is for good.',
};
const discardedNotice = 'Discarded: it no longer counts as quarantined, and is kept, with who discarded it and when, until a purge.';
const erasedNotice = (erased: number) =>
  erased === 0
    ? 'Erased 0 deliveries now: every delivery that names this end user was erased before.'
    : `Erased ${erased} ${erased === 1 ? 'delivery that names' : 'deliveries that name'} this end user: their headers, bodies and errors are gone, and their data key is destroyed.`;

/** What the action that led back to a delivery's page did, from its query. */
function noticeOf(query: Context['query']): string | undefined {
  const { discarded, erased, replayed } = query;
  if (discarded === 'yes') return discardedNotice;
  if (typeof erased === 'string' && /^\d{1,9}$/.test(erased)) return erasedNotice(Number(erased));
  return typeof replayed === 'string' && Object.hasOwn(replayedNotices, replayed)
    ? replayedNotices[replayed as keyof typeof replayedNotices]
    : undefined;
}

export function showDelivery({ inbox, readOnly }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const delivery = await deliveryNamed(ctx, inbox);
    const [lane, queue, failedAttempts] = await Promise.all([
      inbox.lane(delivery.lane),
      inbox.laneQueue(delivery.lane, laneShown),
      inbox.failedAttempts(delivery.id),
    ]);
    const notice = noticeOf(ctx.query);
    const live = ctx.query['live'] !== 'off';
    const list = listToGoBackTo(ctx.query['list']);
    render(ctx, 200, deliveryPage({ delivery, lane, queue, failedAttempts, notice, live, list }, viewerOf(ctx, readOnly)));
  };
}

/** Back to the delivery's page once acted on, with what happened and the list it came from. */
function backToDelivery(ctx: Context, id: string, outcome: Record<string, string>): void {
  const list = listToGoBackTo(formOf(ctx)['list']);
  seeOther(ctx, deliveryHref(id, { ...outcome, ...(list && { list }) }));
}

export function replayDelivery({ inbox, validateDelivery, logger }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const { id } = await deliveryNamed(ctx, inbox);
    const [outcome] = await replay({ inbox, validateDelivery }, { id });
    if (!outcome) return ctx.throw(404, `No delivery with id ${id}.`);
    if (outcome.outcome === 'unreadable') return ctx.throw(409, `Not replayed: ${outcome.reason}.`);
    logger.info({ deliveryId: id, outcome: outcome.outcome }, 'inspector: replayed a delivery');
    backToDelivery(ctx, id, { replayed: outcome.outcome });
  };
}

export function confirmDiscard({ inbox, readOnly }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const delivery = await deliveryNamed(ctx, inbox);
    render(ctx, 200, discardPage({ delivery, list: listToGoBackTo(ctx.query['list']) }, viewerOf(ctx, readOnly)));
  };
}

/**
 * Who acts (discards, erases), as the record and the log keep it: the token is shared, so the
 * inspector can tell only how they signed in (a session, by the start of its id; or a script) and
 * from which address.
 */
function actorOf(ctx: Context): string {
  const session = visitorOf(ctx)?.session;
  return session ? `session ${session.id.slice(0, 8)} from ${ctx.ip}` : `a script (Bearer token) from ${ctx.ip}`;
}

export function discardDelivery({ inbox, logger }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const id = deliveryIdOf(ctx);
    const by = actorOf(ctx);
    if (!(await inbox.discard(id, { at: new Date(), by }))) {
      const { state } = await deliveryNamed(ctx, inbox);
      return ctx.throw(409, `Only a quarantined delivery can be discarded; this one is ${state}.`);
    }
    logger.info({ deliveryId: id, by, client: ctx.ip }, 'inspector: discarded a quarantined delivery');
    backToDelivery(ctx, id, { discarded: 'yes' });
  };
}

export function confirmErase({ inbox, readOnly }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const delivery = await deliveryNamed(ctx, inbox);
    const named = delivery.endUserId === null ? 0 : await inbox.count({ endUserId: delivery.endUserId });
    render(ctx, 200, erasePage({ delivery, named, list: listToGoBackTo(ctx.query['list']) }, viewerOf(ctx, readOnly)));
  };
}

/** Erases the data of the end user a delivery names, in the store every replica shares. Asked again, it erases what came of them since, or nothing. */
export function eraseEndUser({ inbox, logger }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const { id, endUserId } = await deliveryNamed(ctx, inbox);
    if (endUserId === null) return ctx.throw(409, 'This delivery names no end user: there is nothing to erase.');
    const by = actorOf(ctx);
    const erased = await inbox.erase(endUserId, new Date());
    logger.info({ deliveryId: id, endUserId, erased, by, client: ctx.ip }, "inspector: erased an end user's data");
    backToDelivery(ctx, id, { erased: String(erased) });
  };
}

export function showLane({ inbox, readOnly }: RouteParts) {
  return async (ctx: RouterContext): Promise<void> => {
    const key = ctx.params['key']!;
    // No lane's key holds NUL or a lone surrogate (see storableKey): such a lane has nothing pending.
    const [lane, queue] = isStorableText(key) ? await Promise.all([inbox.lane(key), inbox.laneQueue(key, laneShown)]) : [undefined, []];
    render(ctx, 200, lanePage({ key, lane, queue }, viewerOf(ctx, readOnly)));
  };
}

/** The filter of "Replay all matching": the list's, which must name a state that replay takes. */
function replayFilterOf(ctx: Context, fields: Record<string, string | string[] | undefined>): { form: FilterForm; filter: ReplayFilter } {
  const { form, filter, problems } = parseFilter(fields);
  if (problems.length > 0) ctx.throw(400, problems.join(' '));
  const { state } = filter;
  if (!isReplayableState(state)) ctx.throw(400, `Replay all matching needs the State filter set to ${replayableStates.join(', ')}.`);
  return { form, filter: { ...filter, state } };
}

/** What "Replay all matching" would do, to confirm. */
export function previewReplay({ inbox, validateDelivery, readOnly }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const { form, filter } = replayFilterOf(ctx, ctx.query);
    const outcomes = await replay({ inbox, validateDelivery, dryRun: true }, filter);
    render(ctx, 200, replayPage({ form, outcomes, done: false }, viewerOf(ctx, readOnly)));
  };
}

export function replayMatching({ inbox, validateDelivery, logger, readOnly }: RouteParts) {
  return async (ctx: Context): Promise<void> => {
    const { form, filter } = replayFilterOf(ctx, formOf(ctx));
    const outcomes = await replay({ inbox, validateDelivery }, filter);
    const requeued = outcomes.filter(({ outcome }) => outcome === 'requeued').length;
    logger.info({ filter: form, matched: outcomes.length, requeued }, 'inspector: replayed matching deliveries');
    render(ctx, 200, replayPage({ form, outcomes, done: true }, viewerOf(ctx, readOnly)));
  };
}

/** A request under the inspector's path that no route takes: answered here, never passed on to the application. */
export function noSuchRoute(ctx: Context): never {
  if (ctx.method === 'GET' || ctx.method === 'HEAD') ctx.throw(404, 'No such page.');
  ctx.throw(405, `The inspector does not take ${ctx.method} here.`);
}
