// Preview a config change against recorded traffic: POST /admin/preview takes a
// routes.yaml, checks it off the event loop (the reload checker's thread), and
// plans the most recent recorded events under the live config and under the
// edited one — the same planDelivery the worker sends with — sending nothing.
// The answer says, per route, which events it would newly send, no longer
// send, send differently (a unified diff of method, URL, headers and body,
// secrets masked) and which would now fail.
//
// Bounded: events are read from the store a page at a time and one by one (at
// most `limit`, default 500), only a sample of each list is kept, every diff is
// capped, the whole run has a deadline (an answer then says it stopped early),
// the event loop is yielded after each event, and one preview runs at a time.
// Signatures are not checked again (the events were verified when they came).
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Context } from 'hono';
import { checkInThread, outcomeErrors } from '../config/check-thread.js';
import type { ConfigIssue } from '../config/issues.js';
import { formatIssue } from '../config/issues.js';
import { loadConfigText, MAX_CONFIG_SIZE_ENV, maxConfigBytes } from '../config/load.js';
import type { Config, Route, Target } from '../config/types.js';
import { planDelivery, type OutgoingRequest } from '../delivery/plan.js';
import { identify } from '../event/identify.js';
import { recordedEvent } from '../event/planned.js';
import { readBody } from '../ingress/read-body.js';
import { parseBody } from '../lib/body.js';
import { unifiedDiff } from '../lib/line-diff.js';
import { parseDuration } from '../config/units.js';
import { createRedactor, type Redactor } from '../observe/redact.js';
import type { Store, StoredEvent } from '../store/types.js';
import type { AdminDeps } from './app.js';
import { parseTime } from './bulk.js';

export const PREVIEW_DEFAULT_LIMIT = 500;
export const PREVIEW_MAX_LIMIT = 5000;
export const PREVIEW_DEADLINE_MS = 20_000;
/** How many events each list of a route's answer shows (the counts are complete). */
const SAMPLE = 20;
/** How much of one request's body is shown and compared in a diff. */
const MAX_SHOWN_BODY = 16 * 1024;
/** Longest line a diff shows (a minified JSON body is one line). */
const MAX_LINE = 400;
/** Requests of one delivery shown in a diff (`each` may make a thousand). */
const MAX_SHOWN_REQUESTS = 10;
/** What all the samples of an answer may add up to; past it only the counts go on. */
const SAMPLE_BUDGET_BYTES = 2 * 1024 * 1024;
const QUERY_KEYS = ['since', 'limit', 'name'];
const PAGE = 100;

/** What one config does with one event on one route. */
export type RouteOutcome =
  | { readonly kind: 'send'; readonly requests: readonly OutgoingRequest[]; readonly target: Target }
  | { readonly kind: 'filtered'; readonly reason: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'topic-mismatch'; readonly topic: string; readonly topics: readonly string[] }
  /** The route (or its source) is not in this config. */
  | { readonly kind: 'absent' };

export interface EventRef {
  readonly event: string;
  readonly topic: string;
  readonly receivedAt: string;
  /** One line: what the live config does with it. */
  readonly before: string;
  /** One line: what the edited config would do. */
  readonly after: string;
}

export interface RoutePreview {
  readonly route: string;
  readonly source: string;
  /** Its target in the edited config (the live one for a removed route). */
  readonly target: string;
  /** In both configs, only the edited one, or only the live one. */
  readonly status: 'kept' | 'added' | 'removed';
  readonly counts: { readonly events: number; readonly newlyMatched: number; readonly noLongerMatched: number; readonly changed: number; readonly newFailures: number; readonly same: number };
  readonly newlyMatched: readonly EventRef[];
  readonly noLongerMatched: readonly EventRef[];
  readonly changed: readonly (EventRef & { readonly diff: string })[];
  readonly newFailures: readonly EventRef[];
}

export interface PreviewResult {
  /** Events planned (handshake records and unreadable bodies excluded). */
  readonly events: number;
  /** Events left out: why, and how many. */
  readonly skipped: Readonly<Record<string, number>>;
  /** False when the deadline stopped it before `limit` events (what was planned is still reported). */
  readonly complete: boolean;
  readonly stoppedBecause?: string;
  /** Routes added or removed, plus every event whose outcome changes on some route. */
  readonly changes: number;
  readonly routes: readonly RoutePreview[];
}

interface Tally {
  route: string;
  source: string;
  target: string;
  status: RoutePreview['status'];
  counts: { events: number; newlyMatched: number; noLongerMatched: number; changed: number; newFailures: number; same: number };
  newlyMatched: EventRef[];
  noLongerMatched: EventRef[];
  changed: (EventRef & { diff: string })[];
  newFailures: EventRef[];
}

export interface PreviewOptions {
  /** How long planning may take in all. */
  readonly deadlineMs: number;
  readonly redact: Redactor;
  readonly now?: () => number;
}

/** Plans `events` under both configs; pure but for the time it reads. Exported for tests and `switchboard diff`'s server side. */
export async function previewConfig(live: Config, edited: Config, events: AsyncIterable<StoredEvent>, options: PreviewOptions): Promise<PreviewResult> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.deadlineMs;
  const tallies = new Map<string, Tally>();
  const tally = (route: Route, status: Tally['status']): Tally => {
    let t = tallies.get(route.name);
    if (!t) {
      t = {
        route: route.name,
        source: route.source,
        target: route.target.name,
        status,
        counts: { events: 0, newlyMatched: 0, noLongerMatched: 0, changed: 0, newFailures: 0, same: 0 },
        newlyMatched: [],
        noLongerMatched: [],
        changed: [],
        newFailures: [],
      };
      tallies.set(route.name, t);
    }
    return t;
  };
  const liveNames = new Set(live.routes.map((r) => r.name));
  const editedNames = new Set(edited.routes.map((r) => r.name));
  for (const r of edited.routes) tally(r, liveNames.has(r.name) ? 'kept' : 'added');
  for (const r of live.routes) if (!editedNames.has(r.name)) tally(r, 'removed');

  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  let planned = 0;
  let stoppedBecause: string | undefined;
  const { redact } = options;
  const overdue = () => now() > deadline;
  const stopped = () => `stopped at the ${Math.round(options.deadlineMs / 1000)} s deadline after ${planned} events; narrow the window with since or limit`;
  // Samples are kept while they fit the budget: a thousand routes or huge diffs cannot make a huge answer.
  let budget = SAMPLE_BUDGET_BYTES;
  const keep = <T extends EventRef>(list: T[], make: () => T) => {
    if (list.length >= SAMPLE || budget <= 0) return;
    const item = make();
    budget -= item.before.length + item.after.length + ((item as { diff?: string }).diff?.length ?? 0) + 200;
    list.push(item);
  };
  const renamed = (name: string, other: Config): string | undefined => {
    const r = other.routesByName.get(name);
    return r ? `the route now takes events from "${r.source}"` : undefined;
  };

  for await (const event of events) {
    if (overdue()) {
      stoppedBecause = stopped();
      break;
    }
    // A provider's probe kept for reading (Notion's verification token) arrived unsigned and is never delivered.
    if (live.sources.get(event.source)?.handshake.some((r) => r.record === event.topic)) {
      skip('handshake requests kept for reading');
      continue;
    }
    const parsed = parseBody(event.body, event.contentType);
    if (!parsed.ok) {
      skip('bodies that cannot be read');
      continue;
    }
    // A source renamed or whose split changed: its events are not the same units under both configs.
    const liveSource = live.sources.get(event.source);
    const editedSource = edited.sources.get(event.source);
    if (liveSource && editedSource && (liveSource.split?.text ?? '') !== (editedSource.split?.text ?? '')) {
      skip(`events of ${event.source}, whose split: changed (the stored events are the old split's elements)`);
      continue;
    }
    const before = await outcomesUnder(live, event, parsed.payload, overdue);
    const after = before === 'overdue' ? before : await outcomesUnder(edited, event, parsed.payload, overdue);
    if (before === 'overdue' || after === 'overdue') {
      stoppedBecause = stopped();
      break;
    }
    planned++;
    const names = new Set([...before.keys(), ...after.keys()]);
    for (const name of names) {
      const t = tallies.get(name);
      if (!t) continue;
      const b = before.get(name) ?? { kind: 'absent' };
      const a = after.get(name) ?? { kind: 'absent' };
      if (b.kind === 'absent' && a.kind === 'absent') continue;
      t.counts.events++;
      const ref = (): EventRef => ({
        event: event.id,
        topic: redact.text(event.topic),
        receivedAt: new Date(event.receivedAt).toISOString(),
        before: redact.text((b.kind === 'absent' && renamed(name, live)) || describe(b)),
        after: redact.text((a.kind === 'absent' && renamed(name, edited)) || describe(a)),
      });
      if (a.kind === 'error' && b.kind !== 'error') {
        t.counts.newFailures++;
        keep(t.newFailures, ref);
      } else if (a.kind === 'send' && b.kind !== 'send') {
        t.counts.newlyMatched++;
        keep(t.newlyMatched, ref);
      } else if (b.kind === 'send' && a.kind !== 'send') {
        t.counts.noLongerMatched++;
        keep(t.noLongerMatched, ref);
      } else if (a.kind === 'send' && b.kind === 'send') {
        const diff = requestsDiff(b, a, redact);
        if (diff === undefined) t.counts.same++;
        else {
          t.counts.changed++;
          keep(t.changed, () => ({ ...ref(), diff }));
        }
      } else t.counts.same++;
    }
    // Planning is JSONata on the event loop: let webhooks in between events.
    await new Promise((r) => setImmediate(r));
  }

  const routes = [...tallies.values()];
  const changes = routes.filter((t) => t.status !== 'kept').length + routes.reduce((n, t) => n + t.counts.newlyMatched + t.counts.noLongerMatched + t.counts.changed + t.counts.newFailures, 0);
  return { events: planned, skipped, complete: stoppedBecause === undefined, ...(stoppedBecause ? { stoppedBecause } : {}), changes, routes };
}

/** What `config` does with the event on each route of its source (none when the source is not in it). */
async function outcomesUnder(config: Config, event: StoredEvent, payload: unknown, overdue: () => boolean): Promise<Map<string, RouteOutcome> | 'overdue'> {
  const out = new Map<string, RouteOutcome>();
  const source = config.sources.get(event.source);
  if (!source) return out;
  // The topic as this config's rules read it (an edit may change them).
  const who = await identify(source, { headers: event.headers, query: event.query ?? {}, payload });
  const topic = who.topic;
  const plannedEvent = recordedEvent(event, payload, topic);
  for (const route of config.routesBySource.get(source.name) ?? []) {
    // One route's filter and transform may each take up to a second: the deadline is checked, and the
    // event loop given back, before every route, not only between events.
    if (overdue()) return 'overdue';
    await new Promise((r) => setImmediate(r));
    if (!route.matchesTopic(topic)) {
      out.set(route.name, { kind: 'topic-mismatch', topic, topics: route.topics });
      continue;
    }
    // The same delivery id under both configs, so idempotency headers compare equal.
    const plan = await planDelivery(route, plannedEvent, `preview-${event.id}-${route.name}`, { maxFanout: config.server.maxFanout });
    out.set(
      route.name,
      plan.outcome === 'send'
        ? { kind: 'send', requests: plan.requests, target: route.target }
        : plan.outcome === 'filtered'
          ? { kind: 'filtered', reason: plan.reason }
          : { kind: 'error', message: plan.message },
    );
  }
  return out;
}

function describe(o: RouteOutcome): string {
  switch (o.kind) {
    case 'send': {
      const first = o.requests[0];
      const n = o.requests.length;
      return first ? `sends ${n === 1 ? '' : `${n} requests: `}${first.method} ${first.url}` : 'sends nothing';
    }
    case 'filtered':
      return `skipped: ${o.reason}`;
    case 'error':
      return `fails: ${o.message}`;
    case 'topic-mismatch':
      return `topic "${o.topic}" does not match ${JSON.stringify(o.topics)}`;
    case 'absent':
      return 'not in this config';
  }
}

/** A unified diff of what would be sent (and of the target's settings that shape it), or undefined when nothing differs. */
function requestsDiff(before: Extract<RouteOutcome, { kind: 'send' }>, after: Extract<RouteOutcome, { kind: 'send' }>, redact: Redactor): string | undefined {
  const raw = (o: Extract<RouteOutcome, { kind: 'send' }>) => [settingsText(o.target, false), ...o.requests.map((r) => render(r))].join('\n\n');
  if (raw(before) === raw(after)) return undefined;
  const shown = (o: Extract<RouteOutcome, { kind: 'send' }>) => {
    const rs = o.requests;
    const parts = rs.slice(0, MAX_SHOWN_REQUESTS).map((r, i) => (rs.length > 1 ? `# request ${i + 1} of ${rs.length}\n` : '') + render(r, redact));
    if (rs.length > MAX_SHOWN_REQUESTS) parts.push(`# … ${rs.length - MAX_SHOWN_REQUESTS} more requests not shown`);
    return [settingsText(o.target, true, redact), ...parts].join('\n\n');
  };
  const diff = unifiedDiff(shown(before), shown(after), { before: 'live', after: 'edited' });
  // Only a masked value differs (a secret header, a secret in the URL, the signing key): say so rather than show two equal lines.
  return diff === '' ? 'a value that is masked (a secret or credential) changed; nothing else differs' : diff;
}

/**
 * The target settings that decide how a call is made but are not in the request:
 * timeout, retries, limits, redirects, signing, a kind's own settings. Compared
 * raw (the signing key by its bytes); shown masked and without the key.
 */
function settingsText(t: Target, shown: boolean, redact?: Redactor): string {
  const lines = [
    `# target ${t.name} (${t.kind})`,
    `# timeout: ${t.timeoutMs} ms; retry: ${t.retry.attempts} attempts, ${t.retry.initialDelayMs}–${t.retry.maxDelayMs} ms; concurrency: ${t.concurrency}${t.rateLimit ? `; rateLimit: ${JSON.stringify(t.rateLimit)}` : ''}`,
  ];
  if (t.kind === 'http')
    lines.push(`# followRedirects: ${t.followRedirects}${t.sign ? `; signed (Standard Webhooks)${shown ? '' : ` key ${createHash('sha256').update(t.sign.key).digest('hex')}`}` : '; not signed'}`);
  if (t.kindSettings !== undefined) {
    let json: string;
    try {
      json = JSON.stringify(t.kindSettings) ?? '';
    } catch {
      json = '(settings that cannot be shown)';
    }
    lines.push(`# settings: ${redact ? redact.text(json) : json}`);
  }
  return (shown ? lines.map((l) => clip(l)) : lines).join('\n');
}

/**
 * Method and URL, headers sorted by name, a blank line, the body (JSON
 * pretty-printed). Raw (no redactor): all of it, for comparing. Shown: masked,
 * then the body cut to MAX_SHOWN_BODY and every line to MAX_LINE.
 */
function render(r: OutgoingRequest, redact?: Redactor): string {
  const mask = (s: string) => (redact ? redact.text(s) : s);
  const headers = redact ? redact.headers(r.headers) : r.headers;
  const lines = [`${r.method} ${mask(r.url)}`];
  for (const name of Object.keys(headers).sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase()))) lines.push(`${name}: ${mask(headers[name]!)}`);
  const body = bodyText(r);
  if (!redact) return body === undefined ? lines.join('\n') : [...lines, '', body].join('\n');
  // Masked whole, then cut: a secret across the cut must not leave its beginning visible.
  if (body !== undefined) lines.push('', cut(mask(body)));
  return lines
    .join('\n')
    .split('\n')
    .map((l) => clip(l))
    .join('\n');
}

function clip(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}… (${line.length - MAX_LINE} more characters)` : line;
}

function bodyText(r: OutgoingRequest): string | undefined {
  if (r.body === undefined) return undefined;
  let text: string;
  if (typeof r.body === 'string') {
    text = r.value !== undefined && typeof r.value !== 'string' ? pretty(r.value, r.body) : r.body;
  } else {
    const bytes = Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
    const utf8 = bytes.toString('utf8');
    text = Buffer.from(utf8, 'utf8').equals(bytes) ? utf8 : `<${bytes.length} bytes of binary data, sha256 ${sha256(bytes)}>`;
  }
  return text;
}

function cut(text: string): string {
  return text.length > MAX_SHOWN_BODY ? `${text.slice(0, MAX_SHOWN_BODY)}\n… ${text.length - MAX_SHOWN_BODY} more characters not shown` : text;
}

function pretty(value: unknown, fallback: string): string {
  try {
    return JSON.stringify(value, null, 2) ?? fallback;
  } catch {
    return fallback;
  }
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex').slice(0, 16);
}

/** The most recent events (newest first), read a page at a time, each loaded only when its turn comes. */
export async function* recentEvents(store: Store, limit: number, since?: number): AsyncGenerator<StoredEvent> {
  let cursor: string | undefined;
  let n = 0;
  while (n < limit) {
    const page = await store.listEvents({ limit: Math.min(PAGE, limit - n), ...(cursor ? { cursor } : {}) });
    for (const summary of page.events) {
      if (since !== undefined && summary.receivedAt < since) return;
      const event = await store.getEvent(summary.id);
      if (!event) continue; // pruned meanwhile
      yield event;
      if (++n >= limit) return;
    }
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

let running = false;

/** POST /admin/preview: mounted by app.ts after its auth middleware. */
export function previewHandler(deps: AdminDeps) {
  return async (c: Context) => {
    const live = deps.config();
    const q = c.req.query();
    const unknown = Object.keys(q).filter((k) => !QUERY_KEYS.includes(k));
    if (unknown.length) return c.json({ error: `unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${QUERY_KEYS.join(', ')}`, unknown }, 400);
    const limit = q.limit === undefined ? PREVIEW_DEFAULT_LIMIT : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > PREVIEW_MAX_LIMIT)
      return c.json({ error: `limit must be a whole number from 1 to ${PREVIEW_MAX_LIMIT}, not ${JSON.stringify(q.limit)}` }, 400);
    const since = q.since === undefined ? undefined : parseTime(q.since, Date.now());
    if (q.since !== undefined && since === undefined) {
      return c.json({ error: `since must be a duration back from now (30m, 1h, 7d) or an ISO time (2025-01-31T12:00:00Z), not ${JSON.stringify(q.since)}` }, 400);
    }
    // The name errors are reported under (the user's file, as `switchboard diff` sends it); it is compiled beside the live file.
    const name = displayName(q.name ?? basename(live.file));
    const serverEnv = deps.reloader?.environment() ?? process.env;
    // The edit sees only what the live config already reads: its environment variables (any other
    // ${NAME} is refused) and its secret files (others refused, unread). A caller of this API then
    // learns nothing of the server's environment or files that the live config does not already put
    // to use — and what it uses as a secret is masked in the answer like any secret. The settings
    // Switchboard reads itself (PORT, SWITCHBOARD_STORE, …) are there as for a reload.
    const env: NodeJS.ProcessEnv = {};
    for (const n of [...live.references.env, 'PORT', 'SWITCHBOARD_STORE', 'SWITCHBOARD_ADMIN_TOKEN', MAX_CONFIG_SIZE_ENV]) if (serverEnv[n] !== undefined) env[n] = serverEnv[n];
    const names = live.references.env;
    const files = live.references.files;
    const cap = maxConfigBytes(serverEnv);
    const capBytes = typeof cap === 'number' ? cap : 1024 * 1024;
    const tooBig = () => c.json({ error: 'the config is too large', errors: [`${name}:1:1: the file is over the ${capBytes} byte limit for a config (${MAX_CONFIG_SIZE_ENV} raises it)`] }, 400);
    // Never buffered past the cap, declared length or not (a chunked upload is cut off as it passes it).
    const read = await readBody(c.req.raw, capBytes);
    if (!read.ok) return read.tooLarge ? tooBig() : c.json({ error: `the body could not be read: ${read.error}` }, 400);
    const text = read.body.toString('utf8');
    if (text.trim() === '') return c.json({ error: 'the body is empty: send the edited routes.yaml as the request body', errors: [`${name}:1:1: the file is empty`] }, 400);

    if (running) return c.json({ error: 'a preview is already running; try again when it has answered' }, 429);
    running = true;
    try {
      const file = join(dirname(live.file), name);
      const named = (issues: readonly ConfigIssue[]) => issues.map((i) => ({ ...i, file: name }));
      const checked = await checkInThread(file, { text, env, files, names });
      if (checked.kind === 'invalid') return c.json({ error: 'the config is invalid', errors: outcomeErrors(name, named(checked.issues), checked.omittedErrors) }, 400);
      if (checked.kind === 'failed') return c.json({ error: 'the config could not be checked', errors: [`${name}:1:1: ${checked.reason}`] }, 400);
      const loaded = loadConfigText(file, checked.kind === 'ok' ? checked.text : text, env, { files, names });
      if (!loaded.config) return c.json({ error: 'the config is invalid', errors: outcomeErrors(name, named(loaded.issues), loaded.omittedErrors ?? 0) }, 400);
      const edited = loaded.config;
      const verdict = deps.reloader?.reloadVerdict(edited) ?? { needsRestart: [] };
      // Masked with both configs' secrets: an edit may add some.
      const redact = createRedactor([...new Set([...live.secrets, ...edited.secrets])]);
      const deadlineMs = parseDuration(serverEnv.SWITCHBOARD_PREVIEW_DEADLINE ?? '') ?? PREVIEW_DEADLINE_MS;
      const result = await previewConfig(live, edited, recentEvents(deps.store, limit, since), { deadlineMs, redact });
      return c.json({
        live: live.hash,
        edited: edited.hash,
        identical: live.hash === edited.hash,
        window: { limit, ...(since !== undefined ? { since: new Date(since).toISOString() } : {}) },
        reload: { wouldApply: verdict.refusal === undefined, ...(verdict.refusal ? { refusal: verdict.refusal } : {}), needsRestart: verdict.needsRestart },
        warnings: named(edited.warnings).map(formatIssue),
        ...result,
      });
    } finally {
      running = false;
    }
  };
}

/** A file name only (no directories), printable, short. */
function displayName(raw: string): string {
  const base = basename(raw.replace(/\\/g, '/'))
    .replace(/[^\w.@+-]/g, '_')
    .slice(0, 100);
  return base === '' || base === '.' || base === '..' ? 'routes.yaml' : base;
}
