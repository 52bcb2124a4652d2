// The inspector's pages as HTML. Every value from a delivery is escaped by ghtml's `html`; only
// fragments built here are inserted raw (`!${...}`). Forms and links work without JavaScript;
// htmx adds the live updates (Server-Sent Events) and nothing else.
import { html } from 'ghtml';
import { knownEventNames } from '../contract/events.ts';
import { describeViolation, placeOf, type Violation } from '../contract/validation.ts';
import { deliveryStates, type DeliveryState, type FailedAttempt, type LaneState, type StoredDelivery } from '../inbox/inbox.ts';
import type { ReplayOutcome } from '../dispatch/replay.ts';
import { shownHeaders } from '../intake/shown-headers.ts';
import { deepestIndented, markedJson, nestedTooDeeply } from './json-view.ts';
import { filterToQueryString, type FilterForm } from './list-filter.ts';

export const inspectorPath = '/inspector';
const asset = (name: string) => `${inspectorPath}/assets/${name}`;

/** What every page knows of the person looking at it. */
export interface Viewer {
  /** The anti-forgery token of the session's forms; none when not signed in through the form. */
  formToken: string | undefined;
  signedIn: boolean;
  readOnly: boolean;
}

const time = (date: Date) => date.toISOString().replace('T', ' ');
const deliveryCount = (count: number) => `${count} ${count === 1 ? 'delivery' : 'deliveries'}`;
const firstLine = (text: string | null) => text?.split('\n', 1)[0] ?? '';
const stateBadge = (state: DeliveryState) => html`<span class="state state-${state}">${state}</span>`;
const formToken = (viewer: Viewer) => (viewer.formToken ? html`<input type="hidden" name="form_token" value="${viewer.formToken}" />` : '');
/**
 * A delivery's page, with more parameters. Its id goes in the query: a browser resolves a path
 * segment `.` or `..` (or `%2E%2E`) away before it asks, and a delivery id may be either.
 */
export const deliveryHref = (id: string, parameters: Record<string, string> = {}) =>
  `${inspectorPath}/delivery?${new URLSearchParams([['id', id], ...Object.entries(parameters)])}`;
/** Where a form acts on a delivery: its id in the query, as for its page. */
const deliveryActionHref = (id: string, action: 'replay' | 'discard' | 'erase') =>
  `${inspectorPath}/delivery/${action}?${new URLSearchParams({ id })}`;
/** The list of every delivery that names an end user (by their id as the inbox keeps it). */
const endUserListHref = (endUserId: string) => `${inspectorPath}${filterToQueryString({ end_user: endUserId })}`;
/** A lane's page: a lane's key starts with its kind (`conversation:`), so it is never a segment a browser resolves. */
const laneHref = (lane: string) => `${inspectorPath}/lanes/${encodeURIComponent(lane)}`;

function page(title: string, viewer: Viewer, content: string): string {
  const signOut = viewer.signedIn
    ? html`<form method="post" action="${inspectorPath}/sign-out">!${formToken(viewer)}<button class="secondary">Sign out</button></form>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false, "allowScriptTags": false}' />
        <title>${title} · ada-webhooks inspector</title>
        <link rel="stylesheet" href="${asset('inspector.css')}" />
        <script src="${asset('htmx.min.js')}" defer></script>
        <script src="${asset('sse.min.js')}" defer></script>
      </head>
      <body>
        <header>
          <a href="${inspectorPath}">ada-webhooks inspector</a
          >!${viewer.readOnly ? html`<span class="muted">read-only</span>` : ''}!${signOut}
        </header>
        <main>!${content}</main>
      </body>
    </html>`;
}

/**
 * A region that reloads itself from `url` whenever the live stream at `liveUrl` says it changed.
 * A stream refused (too many open) says why, which shows above the region, and closes.
 */
function liveRegion(id: string, url: string, liveUrl: string | undefined, content: string): string {
  if (!liveUrl) return html`<div id="${id}">!${content}</div>`;
  return html`<div hx-ext="sse" sse-connect="${liveUrl}" sse-close="refused">
    <p class="notice live-refused" sse-swap="refused" role="status"></p>
    <div id="${id}" hx-get="${url}" hx-trigger="sse:changed" hx-select="#${id}" hx-swap="outerHTML">!${content}</div>
  </div>`;
}

export function signInPage({ next, problem }: { next: string; problem?: string }): string {
  const viewer: Viewer = { formToken: undefined, signedIn: false, readOnly: false };
  return page(
    'Sign in',
    viewer,
    html`<form class="sign-in" method="post" action="${inspectorPath}/sign-in">
      <h1>Sign in to the inspector</h1>
      !${problem ? html`<p class="problem" role="alert">${problem}</p>` : ''}
      <label for="token">Token<input id="token" name="token" type="password" autocomplete="current-password" required autofocus /></label>
      <input type="hidden" name="next" value="${next}" />
      <button>Sign in</button>
      <p class="muted">The token is the receiver's INSPECTOR_TOKEN.</p>
    </form>`,
  );
}

export function messagePage(viewer: Viewer, title: string, text: string): string {
  return page(
    title,
    viewer,
    html`<h1>${title}</h1>
      <p>${text}</p>
      <p><a href="${inspectorPath}">Back to the deliveries</a></p>`,
  );
}

/** A delivery's page, with the list it is opened from (its query string, without `?`) to go back to. */
export const deliveryPageHref = (id: string, list: string | undefined) => deliveryHref(id, list ? { list } : {});

/** A mark for a delivery whose content cannot be read, with why: erased, or it could not be decrypted. */
const unreadableMark = ({ erasedAt, unreadable }: StoredDelivery) =>
  unreadable === null ? '' : html` <span class="marker" title="${unreadable}">${erasedAt ? 'erased' : 'unreadable'}</span>`;

/** The deliveries as table rows; on a narrow screen each row is a card whose cells are labelled (data-label). */
function deliveryRows(deliveries: readonly StoredDelivery[], list: string | undefined): string {
  return deliveries
    .map(
      (delivery) =>
        html`<tr>
          <td class="mono" data-label="Received">${time(delivery.receivedAt)}</td>
          <td data-label="State">!${stateBadge(delivery.state)}!${unreadableMark(delivery)}</td>
          <td class="mono" data-label="Event type">${delivery.eventType ?? '(none)'}</td>
          <td class="mono" data-label="Lane"><a href="${laneHref(delivery.lane)}">${delivery.lane}</a></td>
          <td class="mono" data-label="Id"><a href="${deliveryPageHref(delivery.id, list)}">${delivery.id}</a></td>
          <td data-label="Attempts">${delivery.attempts}</td>
          <td class="error" data-label="Last error" title="${firstLine(delivery.lastError)}">${firstLine(delivery.lastError)}</td>
        </tr>`,
    )
    .join('\n');
}

function deliveriesTable(deliveries: readonly StoredDelivery[], empty: string, list?: string): string {
  if (deliveries.length === 0) return html`<p class="notice">${empty}</p>`;
  return html`<table class="deliveries">
    <thead>
      <tr>
        <th>Received (UTC)</th>
        <th>State</th>
        <th>Event type</th>
        <th>Lane</th>
        <th>Delivery id</th>
        <th>Attempts</th>
        <th>Last error</th>
      </tr>
    </thead>
    <tbody>
      !${deliveryRows(deliveries, list)}
    </tbody>
  </table>`;
}

interface ListView {
  form: FilterForm;
  problems: string[];
  deliveries: StoredDelivery[];
  counts: Record<DeliveryState, number>;
  /** The `after` parameter of the next page, when there may be one. */
  nextPage: string | undefined;
  /** Whether this is a later page (a link back to the newest makes sense). */
  paged: boolean;
  readMs: number;
  live: boolean;
  /** Whether "Replay all matching" applies: the filter names a state that replay accepts. */
  replayable: boolean;
  /** The query string of this very page (filter, page, live), for links and live reloads. */
  query: string;
  /** The list's filter and page as a query string without `?`, which its deliveries' pages link back to. */
  listQuery: string;
}

/**
 * A time in UTC, typed as text in 24-hour form: the browser's own date-time control would show it
 * in the reader's locale (and its 12-hour clock) under a "UTC" label.
 */
const timeInput = (name: string, value: string | undefined) =>
  html`<input id="filter-${name}" name="${name}" value="${value ?? ''}" placeholder="2026-11-24 09:00" pattern="${timeInputPattern}" title="A time in UTC, 24-hour: 2026-11-24 09:00 or 2026-11-24 09:00:30" size="19" autocomplete="off" />`;
const timeInputPattern = String.raw`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?`;

function filterForm(form: FilterForm, live: boolean): string {
  const option = (value: string, label: string, selected: string | undefined) =>
    html`<option value="${value}" ${value === (selected ?? '') ? ' selected' : ''}>${label}</option>`;
  const field = (name: string, label: string, control: string) =>
    html`<div class="field"><label for="filter-${name}">${label}</label>!${control}</div>`;
  return html`<form class="filters" method="get" action="${inspectorPath}" role="search">
    !${field('id', 'Delivery id (or its start)', html`<input id="filter-id" name="id" type="search" value="${form.id ?? ''}" placeholder="msg_… (svix-id / webhook-id)" size="30" />`)}
    !${field(
      'state',
      'State',
      html`<select id="filter-state" name="state">
        !${option('', 'any', form.state)}!${deliveryStates.map((state) => option(state, state, form.state)).join('')}
      </select>`,
    )}
    !${field('type', 'Event type', html`<input id="filter-type" name="type" list="event-types" value="${form.type ?? ''}" size="26" />`)}
    <datalist id="event-types">!${knownEventNames.map((name) => html`<option value="${name}"></option>`).join('')}</datalist>
    !${field('conversation', 'Conversation', html`<input id="filter-conversation" name="conversation" value="${form.conversation ?? ''}" size="20" />`)}
    !${field('end_user', 'End user', html`<input id="filter-end_user" name="end_user" value="${form.end_user ?? ''}" size="20" />`)}
    !${field('since', 'Received from (UTC)', timeInput('since', form.since))}
    !${field('until', 'Received before (UTC)', timeInput('until', form.until))}
    !${live ? '' : html`<input type="hidden" name="live" value="off" />`}
    <button>Filter</button>
    <a href="${inspectorPath}">Clear</a>
  </form>`;
}

export function listPage(view: ListView, viewer: Viewer): string {
  const { form } = view;
  const liveUrl = view.live ? `${inspectorPath}/live${view.query}` : undefined;
  const counts = html`<nav class="counts" aria-label="Counts">
    !${deliveryStates
      .map(
        (state) =>
          html`<a href="${inspectorPath}${filterToQueryString({ state })}">!${stateBadge(state)} <strong>${view.counts[state]}</strong></a>`,
      )
      .join('')}
  </nav>`;
  const paging = html`<div class="bar">
    !${view.paged ? html`<a href="${inspectorPath}${filterToQueryString(form, { live: view.live ? undefined : 'off' })}">Newest</a>` : ''}
    !${view.nextPage ? html`<a href="${inspectorPath}${filterToQueryString(form, { after: view.nextPage, live: view.live ? undefined : 'off' })}" rel="next">Older</a>` : ''}
    <span class="muted">Page read in ${view.readMs.toFixed(1)} ms</span>
  </div>`;
  const liveSwitch = view.live
    ? html`<a href="${inspectorPath}${filterToQueryString(form, { live: 'off' })}">Pause live updates</a> <span class="muted">(live)</span>`
    : html`<a href="${inspectorPath}${filterToQueryString(form)}">Resume live updates</a> <span class="muted">(paused)</span>`;
  const replayAll =
    view.replayable && !viewer.readOnly
      ? html`<form method="get" action="${inspectorPath}/replay">
          !${Object.entries(form)
            .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)
            .join('')}<button>Replay all matching</button>
        </form>`
      : '';
  const empty = form.id
    ? `No delivery id starts with ${form.id}${Object.keys(form).length > 1 ? ' among those that match' : ''}.`
    : 'No deliveries match.';
  return page(
    'Deliveries',
    viewer,
    html`<h1>Deliveries</h1>
      !${filterForm(form, view.live)} !${view.problems.map((problem) => html`<p class="problem" role="alert">${problem}</p>`).join('')}
      <div class="bar">!${liveSwitch}!${replayAll}</div>
      !${liveRegion('deliveries', `${inspectorPath}${view.query}`, liveUrl, counts + deliveriesTable(view.deliveries, empty, view.listQuery) + paging)}`,
  );
}

interface DeliveryView {
  delivery: StoredDelivery;
  lane: LaneState | undefined;
  /** Its lane's pending deliveries in order, head first (the first ones). */
  queue: StoredDelivery[];
  failedAttempts: FailedAttempt[];
  /** What an action on it just did (a replay, a discard, an erasure), to say so once. */
  notice: string | undefined;
  live: boolean;
  /** The list it was opened from, as a query string without `?`: its link back, kept through a replay. */
  list: string | undefined;
}

function headerRows(headers: Record<string, string>): string {
  return Object.entries(shownHeaders(headers))
    .map(
      ([name, value]) =>
        html`<tr>
          <th scope="row" class="mono">${name}</th>
          <td class="mono">${value}</td>
        </tr>`,
    )
    .join('');
}

/** Where a delivery stands in its lane, in a sentence or two. */
function standing({ delivery, lane, queue }: DeliveryView): string {
  const behind = (count: number) => `${count} ${count === 1 ? 'delivery waits' : 'deliveries wait'} behind it`;
  const laneLink = html`<a href="${laneHref(delivery.lane)}">its lane</a>`;
  switch (delivery.state) {
    case 'quarantined':
      return 'Quarantined deliveries join no lane: it runs nothing and holds nothing back until it is replayed.';
    case 'discarded':
      return 'Discarded deliveries join no lane and are never replayed: it stays here, for the record, until a purge.';
    case 'done':
    case 'dead': {
      const pending = lane ? `${lane.pending} pending now` : 'nothing pending now';
      const verdict =
        delivery.state === 'dead' ? 'It is dead: it no longer holds its conversation, and what came after it went on' : 'Handled';
      return html`${verdict} (!${laneLink}: ${pending}).`;
    }
    case 'pending': {
      if (!lane) return html`It is pending in !${laneLink}.`;
      if (lane.headId === delivery.id) {
        const others = lane.pending - 1;
        const why =
          lane.status === 'leased' && lane.lease
            ? html`runs now, leased to ${lane.lease.owner} until ${time(lane.lease.until)}`
            : lane.status === 'waiting' && lane.dueAt
              ? html`holds its conversation: it waits for its retry at ${time(lane.dueAt)}, and ${behind(others)} until it succeeds or is
                dead`
              : 'is ready to run';
        return html`It heads !${laneLink} and !${why}${lane.status === 'waiting' ? '' : `; ${behind(others)}`}.`;
      }
      const position = queue.findIndex(({ id }) => id === delivery.id);
      const ahead = position === -1 ? `more than ${queue.length}` : String(position);
      return html`It waits in !${laneLink} behind its head <a href="${deliveryHref(lane.headId)}">${lane.headId}</a> (${ahead} ahead of it).`;
    }
  }
}

/** Each failed attempt with its error in full (causes and stacks are lines); the last error alone for a delivery stored before attempts were kept. */
function attemptErrors({ delivery, failedAttempts }: DeliveryView): string {
  if (failedAttempts.length === 0) {
    return delivery.lastError ? html`<h2>Last error</h2><pre class="error">${delivery.lastError}</pre>` : '';
  }
  return html`<h2>Failed attempts</h2>
    <table class="attempts">
      <thead><tr><th>Attempt</th><th>Failed at (UTC)</th><th>Error</th></tr></thead>
      <tbody>
        !${failedAttempts
          .map(
            ({ attempt, failedAt, error }) =>
              html`<tr><td>${attempt}</td><td class="mono">${time(failedAt)}</td><td><pre class="error">${error}</pre></td></tr>`,
          )
          .join('')}
      </tbody>
    </table>`;
}

/** A body that is not indented: not JSON, or nested too deeply to indent. */
function bodyAsReceived(body: string): string {
  const why = nestedTooDeeply(body)
    ? html`<p class="muted">Nested deeper than ${deepestIndented} levels: shown as received, without marks.</p>`
    : '';
  return html`!${why}<pre>${body}</pre>`;
}

/** The body, marked where it violates the contract, and the headers kept for audit. */
function bodyAndHeaders(delivery: StoredDelivery): string {
  const marked = markedJson(delivery.body, delivery.violations);
  return html`<h2>Body</h2>
    !${marked === undefined ? bodyAsReceived(delivery.body) : html`<pre class="json">!${marked}</pre>`}
    <details>
      <summary>The body exactly as received (${Buffer.byteLength(delivery.body)} bytes)</summary>
      <pre>${delivery.body}</pre>
    </details>
    <h2>Headers kept for audit</h2>
    <table>
      !${headerRows(delivery.headers)}
    </table>`;
}

/** The violations, each linked to its mark in the body when the body is shown. */
function violationList({ violations, unreadable }: StoredDelivery): string {
  if (violations.length === 0) return '';
  const place = (violation: Violation, index: number) =>
    unreadable === null
      ? html`<a href="#violation-${index + 1}" class="mono">${placeOf(violation)}</a>`
      : html`<span class="mono">${placeOf(violation)}</span>`;
  return html`<h2>Violations of the contract</h2>
    <ol class="violations">
      !${violations.map((violation, index) => html`<li>!${place(violation, index)}: ${violation.message}</li>`).join('')}
    </ol>`;
}

export function deliveryPage(view: DeliveryView, viewer: Viewer): string {
  const { delivery } = view;
  const liveUrl = view.live ? `${inspectorPath}/live?delivery=${encodeURIComponent(delivery.id)}` : undefined;
  const list = view.list === undefined ? '' : html`<input type="hidden" name="list" value="${view.list}" />`;
  const askFirst = (action: 'discard' | 'erase', label: string) =>
    html`<form method="get" action="${inspectorPath}/delivery/${action}">
      <input type="hidden" name="id" value="${delivery.id}" />!${list}<button class="secondary">${label}</button>
    </form>`;
  // A delivery whose content cannot be read has nothing to run again.
  const replay =
    delivery.state !== 'pending' && delivery.state !== 'discarded' && delivery.unreadable === null && !viewer.readOnly
      ? html`<form method="post" action="${deliveryActionHref(delivery.id, 'replay')}">!${formToken(viewer)}!${list}<button>Replay</button></form>`
      : '';
  const discard = delivery.state === 'quarantined' && !viewer.readOnly ? askFirst('discard', 'Discard…') : '';
  const erase = delivery.endUserId !== null && !viewer.readOnly ? askFirst('erase', "Erase this end user's data…") : '';
  const back = view.list
    ? html`<a href="${inspectorPath}?${view.list}" rel="up">← Back to the list</a>`
    : html`<a href="${inspectorPath}" rel="up">← All deliveries</a>`;
  const content = html`<dl class="facts">
      <dt>State</dt>
      <dd>!${stateBadge(delivery.state)}</dd>
      <dt>Event type</dt>
      <dd class="mono">${delivery.eventType ?? '(none)'}</dd>
      <dt>Lane</dt>
      <dd class="mono"><a href="${laneHref(delivery.lane)}">${delivery.lane}</a></dd>
      !${
        delivery.endUserId === null
          ? ''
          : html`<dt>End user</dt>
            <dd>
              <span class="mono">${delivery.endUserId}</span> (<a href="${endUserListHref(delivery.endUserId)}">every delivery that names them</a>)
            </dd>`
      }
      <dt>Received</dt>
      <dd class="mono">${time(delivery.receivedAt)}</dd>
      <dt>Event time</dt>
      <dd class="mono">${time(new Date(delivery.eventTime))}</dd>
      <dt>Attempts</dt>
      <dd>${delivery.attempts}</dd>
      !${
        delivery.discarded
          ? html`<dt>Discarded</dt>
            <dd><span class="mono">${time(delivery.discarded.at)}</span> by ${delivery.discarded.by}</dd>`
          : ''
      }
      !${delivery.erasedAt ? html`<dt>Erased</dt><dd class="mono">${time(delivery.erasedAt)}</dd>` : ''}
    </dl>
    <h2>In its lane</h2>
    <p>!${standing(view)}</p>
    !${attemptErrors(view)} !${violationList(delivery)}`;
  return page(
    `Delivery ${delivery.id}`,
    viewer,
    html`<p class="back">!${back}</p>
      <h1>Delivery <span class="mono">${delivery.id}</span></h1>
      !${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
      <div class="bar">!${replay}!${discard}!${erase}</div>
      !${liveRegion('delivery', deliveryHref(delivery.id), liveUrl, content)}
      !${
        delivery.unreadable === null
          ? bodyAndHeaders(delivery)
          : html`<h2>Body and headers</h2>
            <p class="notice">Not shown: ${delivery.unreadable}.</p>`
      }`,
  );
}

/** Asks before an end user's data is erased, saying how many deliveries name them: for good, on every replica. */
export function erasePage(
  { delivery, named, list }: { delivery: StoredDelivery; named: number; list: string | undefined },
  viewer: Viewer,
): string {
  const { endUserId } = delivery;
  const listField = list === undefined ? '' : html`<input type="hidden" name="list" value="${list}" />`;
  const action = viewer.readOnly
    ? html`<p class="notice">The inspector is read-only: it erases nothing.</p>`
    : endUserId === null
      ? html`<p class="notice">This delivery names no end user: there is nothing to erase.</p>`
      : html`<p>
            <a href="${endUserListHref(endUserId)}">${deliveryCount(named)}</a> ${named === 1 ? 'names' : 'name'} end user
            <span class="mono">${endUserId}</span>. Erasing empties the headers, body and errors of each, clears the examples of
            contract drift they gave and destroys the end user's data key; their ids, types, lanes, states and times stay, marked
            erased. It cannot be undone.
          </p>
          <form method="post" action="${deliveryActionHref(delivery.id, 'erase')}">
            !${formToken(viewer)}!${listField}<button>Erase their data</button>
          </form>`;
  return page(
    'Erase',
    viewer,
    html`<h1>Erase the data of end user <span class="mono">${endUserId ?? '(none)'}</span>?</h1>
      !${action}
      <p><a href="${deliveryPageHref(delivery.id, list)}">Back to the delivery</a></p>`,
  );
}

/** Asks before a quarantined delivery is discarded: for good, and kept for the record. */
export function discardPage({ delivery, list }: { delivery: StoredDelivery; list: string | undefined }, viewer: Viewer): string {
  const listField = list === undefined ? '' : html`<input type="hidden" name="list" value="${list}" />`;
  const action = viewer.readOnly
    ? html`<p class="notice">The inspector is read-only: it discards nothing.</p>`
    : delivery.state === 'quarantined'
      ? html`<p>
            It will no longer count as quarantined, and it can no longer be replayed. It stays in the inbox, marked discarded with
            who did it and when, until a purge removes it (<span class="mono">npm run inbox -- purge --state discarded</span>).
          </p>
          <form method="post" action="${deliveryActionHref(delivery.id, 'discard')}">
            !${formToken(viewer)}!${listField}<button>Discard it</button>
          </form>`
      : html`<p class="notice">Only a quarantined delivery can be discarded; this one is ${delivery.state}.</p>`;
  return page(
    'Discard',
    viewer,
    html`<h1>Discard delivery <span class="mono">${delivery.id}</span>?</h1>
      !${action}
      <p><a href="${deliveryPageHref(delivery.id, list)}">Back to the delivery</a></p>`,
  );
}

export function lanePage(
  { key, lane, queue }: { key: string; lane: LaneState | undefined; queue: StoredDelivery[] },
  viewer: Viewer,
): string {
  const status = !lane
    ? 'Nothing in this lane is pending.'
    : lane.status === 'leased' && lane.lease
      ? html`Its head runs now, leased to ${lane.lease.owner} until ${time(lane.lease.until)}.`
      : lane.status === 'waiting' && lane.dueAt
        ? html`Its head failed and waits for its retry at ${time(lane.dueAt)}; nothing behind it runs before.`
        : 'Its head is ready to run.';
  const [kind, ...rest] = key.split(':');
  const id = rest.join(':');
  // An end user's lane holds their own events; the list by end user adds those of their conversations.
  const history =
    kind === 'conversation'
      ? html`<a href="${inspectorPath}${filterToQueryString({ conversation: id })}">Every delivery of this lane, newest first</a>`
      : kind === 'end_user'
        ? html`<a href="${endUserListHref(id)}">Every delivery that names this end user, newest first</a>`
        : undefined;
  return page(
    `Lane ${key}`,
    viewer,
    html`<h1>Lane <span class="mono">${key}</span></h1>
      <p>!${status}</p>
      !${lane ? html`<p>${lane.pending} pending, head first, in the order they will run:</p>` : ''}
      !${deliveriesTable(queue, 'No pending deliveries.')}
      !${history ? html`<p>!${history}</p>` : ''}`,
  );
}

interface ReplayView {
  form: FilterForm;
  /** What replaying would do (confirm) or did (result). */
  outcomes: ReplayOutcome[];
  done: boolean;
}

function outcomeList(outcomes: readonly ReplayOutcome[]): string {
  const shown = outcomes.slice(0, 200);
  const items = shown.map((outcome) => {
    const link = html`<a class="mono" href="${deliveryHref(outcome.id)}">${outcome.id}</a>`;
    switch (outcome.outcome) {
      case 'requeued':
        return html`<li>!${link}: ${outcome.from} → pending</li>`;
      case 'already pending':
        return html`<li>!${link}: already pending</li>`;
      case 'discarded':
        return html`<li>!${link}: discarded, not replayed</li>`;
      case 'unreadable':
        return html`<li>!${link}: not replayed: ${outcome.reason}</li>`;
      case 'still quarantined':
        return html`<li>
          !${link}: still quarantined (${outcome.violations.map(describeViolation).join('; ')})
        </li>`;
    }
  });
  const more = outcomes.length > shown.length ? html`<li class="muted">and ${outcomes.length - shown.length} more</li>` : '';
  return html`<ul>
    !${items.join('')}!${more}
  </ul>`;
}

export function replayPage({ form, outcomes, done }: ReplayView, viewer: Viewer): string {
  const requeued = outcomes.filter(({ outcome }) => outcome === 'requeued').length;
  const described = Object.entries(form)
    .map(([name, value]) => `${name} = ${value}`)
    .join(', ');
  const back = html`<a href="${inspectorPath}${filterToQueryString(form)}">Back to the matching deliveries</a>`;
  if (done) {
    return page(
      'Replayed',
      viewer,
      html`<h1>Replayed ${requeued} of ${deliveryCount(outcomes.length)} matching</h1>
        <p role="status" class="notice">Replayed ${requeued} of ${deliveryCount(outcomes.length)} matching (${described}).</p>
        !${outcomeList(outcomes)}
        <p>!${back}</p>`,
    );
  }
  const confirm =
    requeued > 0
      ? html`<form method="post" action="${inspectorPath}/replay">
          !${formToken(viewer)}!${Object.entries(form)
            .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)
            .join('')}<button>Replay ${deliveryCount(requeued)}</button>
        </form>`
      : html`<p class="notice">None of them would be replayed.</p>`;
  return page(
    'Replay all matching',
    viewer,
    html`<h1>Replay all matching</h1>
      <p>
        ${deliveryCount(outcomes.length)} match (${described}); ${requeued} would be replayed against the contract the receiver runs now.
      </p>
      !${confirm} !${outcomeList(outcomes)}
      <p>!${back}</p>`,
  );
}
