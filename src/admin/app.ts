// The admin API under /admin. This part: the live config (secrets masked), the
// last reload's outcome, reload on demand, and recent rejections. Events,
// replay, the inspector and metrics build on it.
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { formatIssue } from '../config/issues.js';
import type { Config } from '../config/types.js';
import type { RejectionLog } from '../ingress/rejections.js';
import { parseBody } from '../lib/body.js';
import type { DeliveryStatus, Store } from '../store/types.js';
import { MASK, SENSITIVE_HEADER, type Redactor } from '../observe/redact.js';
import type { Reloader } from '../config/reload.js';
import { adminAuth, adminHosts } from './auth.js';
import { bulkRoutes } from './bulk.js';
import { previewHandler } from './preview.js';
import { verdictsFor } from './verdicts.js';
import { exportTestRoute } from './export-test.js';

export interface AdminDeps {
  config: () => Config;
  rejections: RejectionLog;
  store: Store;
  reloader?: Reloader;
  /** New work was queued (replay, retry): deliver it now. */
  onQueued?: () => void;
}

const STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'filtered', 'dead', 'cancelled'];

const PUBLIC = new URL('../../public/', import.meta.url);

/**
 * The page and its two assets hold no data of their own (the page asks the
 * API, with the token), so they are served without auth. Its script and styles
 * are files of their own: the policy allows no inline script or style at all,
 * so text from a webhook can never run even if it ended up in the markup.
 */
const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function adminApp(deps: AdminDeps): Hono {
  const app = new Hono({ strict: false }); // /admin and /admin/ are the same page
  const page = readFileSync(new URL('inspector.html', PUBLIC), 'utf8');
  const script = readFileSync(new URL('inspector.js', PUBLIC), 'utf8');
  const styles = readFileSync(new URL('inspector.css', PUBLIC), 'utf8');
  app.use('*', adminHosts(deps.config)); // first: the page and every asset too, not just the API
  app.get('/', (c) => c.html(page, 200, PAGE_HEADERS));
  app.get('/inspector.js', (c) => c.body(script, 200, { ...PAGE_HEADERS, 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/inspector.css', (c) => c.body(styles, 200, { ...PAGE_HEADERS, 'Content-Type': 'text/css; charset=utf-8' }));
  app.use('*', adminAuth(deps.config));

  app.get('/config', (c) => {
    const config = deps.config();
    const state = deps.reloader?.state();
    return c.json({
      file: config.file,
      version: config.hash,
      ...(state ? { loadedAt: state.loadedAt, reloads: state.reloads, lastReload: state.last ?? null } : {}),
      warnings: config.warnings.map(formatIssue),
      config: redactDocument(config.document, config.redact),
    });
  });

  app.post('/reload', async (c) => {
    if (!deps.reloader) return c.json({ error: 'this server was not started from a config file' }, 409);
    const result = await deps.reloader.reload('admin API');
    return c.json(result, result.ok ? 200 : 422);
  });

  // Masked again as shown: the secrets may have changed since a rejection was kept.
  app.get('/rejections', (c) => {
    const redact = deps.config().redact;
    return c.json({ rejections: deps.rejections.list().map((r) => ({ ...r, path: redact.text(r.path), reason: redact.text(r.reason), headers: redact.headers(r.headers) })) });
  });

  app.get('/events', async (c) => {
    const q = c.req.query();
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return c.json({ error: 'limit must be a whole number from 1 to 500' }, 400);
    if (q.status !== undefined && !STATUSES.includes(q.status as DeliveryStatus)) {
      return c.json({ error: `status must be one of ${STATUSES.join(', ')}` }, 400);
    }
    const page = await deps.store.listEvents({
      limit,
      ...(q.source ? { source: q.source } : {}),
      ...(q.topic ? { topic: q.topic } : {}),
      ...(q.status ? { status: q.status as DeliveryStatus } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    const redact = deps.config().redact;
    return c.json({
      // A topic or delivery id is read from the payload, so it may quote a secret.
      events: page.events.map((e) => ({
        ...e,
        topic: redact.text(e.topic),
        ...(e.deliveryId !== undefined ? { deliveryId: redact.text(e.deliveryId) } : {}),
        receivedAt: new Date(e.receivedAt).toISOString(),
      })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    });
  });

  app.get('/events/:id', async (c) => {
    const event = await deps.store.getEvent(c.req.param('id'));
    if (!event) return c.json({ error: 'no such event' }, 404);
    const redact = deps.config().redact;
    const parsed = parseBody(event.body, event.contentType);
    const text = parsed.ok && parsed.kind !== 'binary' ? redact.text(event.body.toString('utf8')) : undefined;
    const deliveries = await deps.store.deliveriesFor(event.id);
    const routes = deps.config().routesByName;
    // The header the source's scheme reads its secret from is masked whatever its
    // name (events stored before that rule came in hold it in clear).
    const ownHeader = deps.config().sources.get(event.source)?.verify.header;
    return c.json({
      id: event.id,
      source: event.source,
      topic: redact.text(event.topic),
      deliveryId: event.deliveryId !== undefined ? redact.text(event.deliveryId) : null,
      receivedAt: new Date(event.receivedAt).toISOString(),
      contentType: event.contentType !== undefined ? redact.text(event.contentType) : null,
      headers: redact.headers(event.headers, { sensitive: [ownHeader] }),
      query: redact.value(maskSecretKeys(event.query ?? {})),
      body: text !== undefined ? { text, size: event.body.length } : { base64: event.body.toString('base64'), size: event.body.length },
      // Every string, key and number of the parsed payload, not only the raw text.
      payload: parsed.ok ? redact.value(parsed.payload) : null,
      // Why each route of the source did or did not send (against the config as it is now).
      verdicts: verdictsFor(event, deliveries, deps.config(), redact),
      deliveries: await Promise.all(
        deliveries.map(async (d) => ({
          id: d.id,
          route: d.route,
          target: routes.get(d.route)?.target.name ?? null,
          status: d.status,
          attempts: d.attempts,
          createdAt: new Date(d.createdAt).toISOString(),
          nextAttemptAt: d.status === 'pending' ? new Date(d.nextAttemptAt).toISOString() : null,
          lastStatus: d.lastStatus ?? null,
          lastError: d.lastError !== undefined ? redact.text(d.lastError) : null,
          // Recorded masked with the secrets of the time; masked again with today's.
          calls: (await deps.store.attemptsFor(d.id)).map((a) => ({
            startedAt: new Date(a.startedAt).toISOString(),
            durationMs: a.durationMs,
            request: redact.value(a.request),
            response: a.responseStatus !== undefined ? { status: a.responseStatus, headers: redact.headers(a.responseHeaders ?? {}), body: redact.text(a.responseBody ?? '') } : null,
            // A target kind's confirmation (publisher confirm, PubAck, XADD id, the SMTP 250 line, exit 0 and output).
            confirmation: a.responseStatus === undefined && a.responseBody !== undefined && a.error === undefined ? redact.text(a.responseBody) : null,
            error: a.error !== undefined ? redact.text(a.error) : null,
          })),
        })),
      ),
    });
  });

  // Replay: the event goes through routing again with the config as it is now,
  // as new deliveries (new ids, so receivers do not drop them as duplicates).
  app.post('/events/:id/replay', async (c) => {
    const event = await deps.store.getEvent(c.req.param('id'));
    if (!event) return c.json({ error: 'no such event' }, 404);
    // A provider's probe kept for reading (Notion's verification token) arrived unsigned: it is never delivered.
    if (
      deps
        .config()
        .sources.get(event.source)
        ?.handshake.some((r) => r.record === event.topic)
    ) {
      return c.json({ error: `this event is a ${event.topic} request kept for you to read; it arrived unsigned and is never delivered` }, 409);
    }
    const routes = deps
      .config()
      .routesFor(event.source, event.topic)
      .map((r) => r.name);
    if (routes.length === 0) return c.json({ error: `no route in the current config takes ${event.source} events with topic "${event.topic}"` }, 409);
    const deliveries = await deps.store.replayEvent(event.id, routes, Date.now());
    deps.onQueued?.();
    return c.json({ event: event.id, deliveries: deliveries.map((id, i) => ({ id, route: routes[i] })) }, 202);
  });

  app.get('/events/:id/test', exportTestRoute(deps)); // save as test: a tests: case and its payload fixture

  app.post('/deliveries/:id/retry', async (c) => {
    const id = c.req.param('id');
    const d = await deps.store.getDelivery(id);
    if (!d) return c.json({ error: 'no such delivery' }, 404);
    if (!(await deps.store.retryDelivery(id, Date.now()))) {
      return c.json({ error: `only dead or cancelled deliveries can be retried (this one is ${d.status}); replay the event instead` }, 409);
    }
    deps.onQueued?.();
    return c.json({ delivery: id, status: 'pending' }, 202);
  });

  // Preview an edited routes.yaml against recorded events, sending nothing (preview.ts).
  app.post('/preview', previewHandler(deps));

  app.route('/', bulkRoutes(deps)); // POST /deliveries/retry, POST /events/replay: by filter (bulk.ts)

  return app;
}

const SECRET_KEYS = new Set(['secret', 'password', 'verifyToken', 'token']);

/** A query parameter named like a credential (`?token=…`, `?api_key=…`) is masked whatever its value. */
function maskSecretKeys(query: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, SENSITIVE_HEADER.test(k) ? MASK : v]));
}

/** The config as written (after ${env}), with every secret field and known secret value masked. */
export function redactDocument(value: unknown, redact: Redactor, key?: string, parentKey?: string): unknown {
  if (typeof value === 'string') {
    if (key && SECRET_KEYS.has(key)) return MASK;
    if (parentKey === 'headers' && key && SENSITIVE_HEADER.test(key)) return MASK;
    return redact.text(value);
  }
  if (Array.isArray(value)) return value.map((v) => redactDocument(v, redact, key, parentKey));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDocument(v, redact, k, key)]));
  }
  return value;
}
