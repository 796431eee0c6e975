// Bulk retry and replay by filter: POST /admin/deliveries/retry and
// POST /admin/events/replay. A dry run counts the matches and shows a sample,
// changing nothing; a real run queues at most `limit` (default 1,000) and says
// how many remain. Queued work is only pending deliveries, due now: the worker
// sends them under each target's own rateLimit and concurrency, as it sends
// any other delivery, so a bulk run never stampedes a target.
import { Hono, type Context } from 'hono';
import { hint } from '../config/didyoumean.js';
import { parseDuration } from '../config/units.js';
import { readBody } from '../ingress/read-body.js';

import type { BulkFilter, DeliveryStatus } from '../store/types.js';
import type { AdminDeps } from './app.js';

export const BULK_DEFAULT_LIMIT = 1000;
export const BULK_MAX_LIMIT = 10_000;
/** How many matches an answer shows. */
const SAMPLE = 20;
const MAX_BODY = 64 * 1024;

const STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'filtered', 'dead', 'cancelled'];
const RETRYABLE: readonly DeliveryStatus[] = ['dead', 'cancelled'];
const FILTER_KEYS = ['source', 'topic', 'route', 'status', 'since', 'until', 'limit'] as const;
const RETRY_KEYS: readonly string[] = [...FILTER_KEYS, 'dryRun'];
const REPLAY_KEYS: readonly string[] = [...FILTER_KEYS, 'cursor', 'dryRun'];

type Kind = 'retry' | 'replay';
type Parsed = { ok: true; filter: BulkFilter; dryRun: boolean } | { ok: false; error: string; unknown?: string[] };

/** The routes, mounted by app.ts after its auth middleware (so they need the admin token like the rest). */
export function bulkRoutes(deps: AdminDeps): Hono {
  const app = new Hono();

  app.post('/deliveries/retry', async (c) => {
    const parsed = await readFilter(c, 'retry');
    if (!parsed.ok) return c.json(errorBody(parsed), 400);
    const { filter, dryRun } = parsed;
    const redact = deps.config().redact;
    const matches = await deps.store.findDeliveries(dryRun ? { ...filter, limit: Math.min(filter.limit, SAMPLE) } : filter);
    const sample = matches.items.slice(0, SAMPLE).map((d) => ({
      id: d.id,
      event: d.eventId,
      route: d.route,
      source: d.source,
      topic: redact.text(d.topic),
      receivedAt: new Date(d.receivedAt).toISOString(),
      status: d.status,
      attempts: d.attempts,
      lastStatus: d.lastStatus ?? null,
      lastError: d.lastError !== undefined ? redact.text(d.lastError) : null,
    }));
    if (dryRun) {
      return c.json({ dryRun: true, matched: matches.total, wouldQueue: Math.min(matches.total, filter.limit), limit: filter.limit, sample });
    }
    // The existing retry, one by one: dead (or cancelled) → pending, due now, with a fresh retry budget.
    // One that changed meanwhile (retried by someone else) is left as it is.
    let queued = 0;
    const now = Date.now();
    for (let i = 0; i < matches.items.length; i += 16) {
      const done = await Promise.all(matches.items.slice(i, i + 16).map((d) => deps.store.retryDelivery(d.id, now)));
      queued += done.filter(Boolean).length;
    }
    if (queued) deps.onQueued?.();
    return c.json({ matched: matches.total, queued, remaining: matches.total - matches.items.length, limit: filter.limit, sample }, 202);
  });

  app.post('/events/replay', async (c) => {
    const parsed = await readFilter(c, 'replay');
    if (!parsed.ok) return c.json(errorBody(parsed), 400);
    const { filter, dryRun } = parsed;
    const config = deps.config();
    const redact = config.redact;
    const matches = await deps.store.findEvents(filter);
    // The routes that take each event in the config as it is now (only `route`, when the filter names one).
    const plans = matches.items.map((e) => {
      const source = config.sources.get(e.source);
      let routes: string[] = [];
      let skipped: string | undefined;
      if (source?.handshake.some((r) => r.record === e.topic)) skipped = `a ${e.topic} request kept for reading; it arrived unsigned and is never delivered`;
      else {
        routes = config
          .routesFor(e.source, e.topic)
          .map((r) => r.name)
          .filter((name) => filter.route === undefined || name === filter.route);
        if (routes.length === 0) skipped = filter.route !== undefined ? `route "${filter.route}" does not take it in the current config` : 'no route takes it in the current config';
      }
      return { event: e, routes, skipped };
    });
    const show = (p: (typeof plans)[number]) => ({
      id: p.event.id,
      source: p.event.source,
      topic: redact.text(p.event.topic),
      receivedAt: new Date(p.event.receivedAt).toISOString(),
      routes: p.routes,
      ...(p.skipped ? { skipped: p.skipped } : {}),
    });
    const replayable = plans.filter((p) => !p.skipped);
    const skipped = plans.length - replayable.length;
    const remaining = matches.total - matches.items.length;
    const last = matches.items[matches.items.length - 1];
    const next = remaining > 0 && last ? { nextCursor: last.id } : {};
    if (dryRun) {
      return c.json({
        dryRun: true,
        matched: matches.total,
        wouldReplay: replayable.length,
        wouldQueue: replayable.reduce((n, p) => n + p.routes.length, 0),
        skipped,
        remaining,
        limit: filter.limit,
        ...next,
        sample: plans.slice(0, SAMPLE).map(show),
      });
    }
    // The existing replay, one event at a time: new deliveries (new ids), due now.
    let queued = 0;
    let replayed = 0;
    const now = Date.now();
    for (const p of replayable) {
      const ids = await deps.store.replayEvent(p.event.id, p.routes, now);
      if (ids.length) replayed++;
      queued += ids.length;
    }
    if (queued) deps.onQueued?.();
    return c.json({ matched: matches.total, replayed, queued, skipped, remaining, limit: filter.limit, ...next, sample: plans.slice(0, SAMPLE).map(show) }, 202);
  });

  return app;
}

function errorBody(p: { error: string; unknown?: string[] }) {
  return { error: p.error, ...(p.unknown ? { unknown: p.unknown } : {}) };
}

async function readFilter(c: Context, kind: Kind): Promise<Parsed> {
  // Never buffered past the cap, declared length or not.
  const read = await readBody(c.req.raw, MAX_BODY);
  if (!read.ok) return { ok: false, error: read.tooLarge ? `the body is over ${MAX_BODY} bytes; a filter is a small JSON object` : `the body could not be read: ${read.error}` };
  const text = read.body.toString('utf8');
  let body: unknown = {};
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, error: 'the body is not JSON: send the filter as a JSON object, e.g. {"status": "dead", "since": "1h", "dryRun": true}' };
    }
  }
  return parseFilter(body, kind, Date.now());
}

/** The request body → a store filter, or a 400's message naming the key at fault. Exported for tests. */
export function parseFilter(body: unknown, kind: Kind, now: number): Parsed {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, error: 'the body must be a JSON object with the filter, e.g. {"status": "dead", "since": "1h", "dryRun": true}' };
  }
  const b = body as Record<string, unknown>;
  const known = kind === 'retry' ? RETRY_KEYS : REPLAY_KEYS;
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length) {
    const named = unknown.map((k) => `"${k}"${hint(k, known).replace(/^; (.*)$/, ' ($1)')}`).join(', ');
    const cursorNote = kind === 'retry' && unknown.includes('cursor') ? ' (cursor is for POST /admin/events/replay: retried deliveries leave the match by themselves)' : '';
    return { ok: false, unknown, error: `unknown filter key${unknown.length > 1 ? 's' : ''} ${named}${cursorNote}; known keys: ${known.join(', ')}` };
  }
  const filter: { -readonly [K in keyof BulkFilter]: BulkFilter[K] } = { limit: BULK_DEFAULT_LIMIT };
  for (const key of ['source', 'topic', 'route', 'cursor'] as const) {
    const v = b[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') return { ok: false, error: `${key} must be a non-empty string` };
    filter[key] = v;
  }
  if (b.status !== undefined) {
    const s = b.status;
    if (typeof s !== 'string' || !STATUSES.includes(s as DeliveryStatus)) {
      return { ok: false, error: `status must be one of ${STATUSES.join(', ')}, not ${JSON.stringify(s)}${typeof s === 'string' ? hint(s, STATUSES) : ''}` };
    }
    if (kind === 'retry' && !RETRYABLE.includes(s as DeliveryStatus)) {
      return { ok: false, error: `status: only dead or cancelled deliveries can be retried, not ${s} ones; replay their events instead (POST /admin/events/replay)` };
    }
    filter.status = s as DeliveryStatus;
  } else if (kind === 'retry') filter.status = 'dead';
  for (const key of ['since', 'until'] as const) {
    if (b[key] === undefined) continue;
    const t = parseTime(b[key], now);
    if (t === undefined) {
      return { ok: false, error: `${key} must be a duration back from now (30m, 1h, 7d) or an ISO time (2025-01-31T12:00:00Z), not ${JSON.stringify(b[key])}` };
    }
    filter[key] = t;
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until) {
    return { ok: false, error: `since (${new Date(filter.since).toISOString()}) must be before until (${new Date(filter.until).toISOString()})` };
  }
  if (b.limit !== undefined) {
    if (typeof b.limit !== 'number' || !Number.isInteger(b.limit) || b.limit < 1 || b.limit > BULK_MAX_LIMIT) {
      return { ok: false, error: `limit must be a whole number from 1 to ${BULK_MAX_LIMIT}, not ${JSON.stringify(b.limit)}` };
    }
    filter.limit = b.limit;
  }
  if (b.dryRun !== undefined && typeof b.dryRun !== 'boolean') return { ok: false, error: `dryRun must be true or false, not ${JSON.stringify(b.dryRun)}` };
  if (kind === 'replay' && !FILTER_KEYS.some((k) => k !== 'limit' && b[k] !== undefined)) {
    return { ok: false, error: 'name at least one of source, topic, route, status, since, until: an empty filter would replay every recorded event' };
  }
  return { ok: true, filter, dryRun: b.dryRun === true };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** `1h` (that long ago) or an ISO time (UTC unless it names an offset) → ms since the epoch. */
export function parseTime(v: unknown, now: number): number | undefined {
  if (typeof v !== 'string') return undefined;
  const d = parseDuration(v);
  if (d !== undefined) return now - d;
  const m = ISO_TIME.exec(v.trim());
  if (!m) return undefined;
  // A time without an offset is UTC (as a date alone is), never the server's local time.
  const t = Date.parse(m[1] && !m[4] ? `${v.trim()}Z` : v.trim());
  return Number.isNaN(t) ? undefined : t;
}
