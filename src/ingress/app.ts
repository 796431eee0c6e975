// The webhook endpoint: find the source → limit the body → verify → parse →
// answer handshakes → store the event and its deliveries (one transaction) →
// 200. Nothing is acknowledged before it is committed.
import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { normalizeSourcePath } from '../config/compile.js';
import type { Config, Route, Source } from '../config/types.js';
import type { Logger } from '../observe/log.js';
import { verdictCode, type Metrics, type RefusalCode } from '../observe/metrics.js';
import { MASK, SENSITIVE_HEADER } from '../observe/redact.js';
import { TRACE_HEADER, tracing, type ReceiptSpan } from '../observe/trace.js';
import { TokenBucket } from '../lib/token-bucket.js';
import { rememberPayload } from '../event/fresh.js';
import { ROUTING_MAX_NAMES, type IngestResult, type NewEvent, type RoutingRecord, type Store } from '../store/types.js';
import { signatureText } from '../verify/engine.js';
import type { Reply, SignedRequest } from '../verify/types.js';
import { parseBody } from '../lib/body.js';
import { identify, splitPayloads } from '../event/identify.js';
import { bindingsFor, plannedEvent, type EventPieces } from '../event/planned.js';
import { handshakeReply } from './handshake.js';
import { readBody, readNodeBody } from './read-body.js';
import type { RejectionLog } from './rejections.js';
import { errorMessage } from '../lib/errors.js';

export interface IngressDeps {
  /** The live config; read once per request, so a reload never changes a request midway. */
  config: () => Config;
  store: Store;
  log: Logger;
  rejections: RejectionLog;
  now?: () => number;
  /** Called after an event with deliveries is committed (wakes the worker at once). */
  onAccepted?: () => void;
  metrics?: Metrics;
}

/**
 * Behind @hono/node-server, `c.env` holds Node's request and response. An
 * in-process `app.request()` has no bindings unless its caller passes some:
 * `c.env` is then undefined, hence the `?.` where it is read.
 */
type NodeEnv = { Bindings: HttpBindings };

/** Per config: each source's rate-limit bucket (state, so not in the frozen Config). */
interface SourceIndex {
  buckets: Map<string, TokenBucket>;
}

export function ingressApp(deps: IngressDeps): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  const now = deps.now ?? Date.now;
  const indexes = new WeakMap<Config, SourceIndex>();
  const indexFor = (config: Config): SourceIndex => {
    let index = indexes.get(config);
    if (!index) {
      index = { buckets: new Map() };
      for (const s of config.sources.values()) if (s.rateLimit) index.buckets.set(s.name, new TokenBucket(s.rateLimit));
      indexes.set(config, index);
    }
    return index;
  };

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const ready = await deps.store.ping();
    return c.json({ status: ready ? 'ready' : 'store unavailable', config: deps.config().hash.slice(0, 12) }, ready ? 200 : 503);
  });

  app.all('*', async (c) => {
    const started = performance.now();
    const config = deps.config();
    const index = indexFor(config);
    const url = new URL(c.req.url);
    const source = config.sourcesByPath.get(normalizeSourcePath(url.pathname));
    if (!source) return c.json({ error: 'not found' }, 404);
    const incoming: IncomingMessage | undefined = c.env?.incoming;
    const headers = incoming ? nodeHeaders(incoming) : lowerHeaders(c.req.raw.headers);
    const tracer = tracing();
    if (!tracer) return receive(c, started, config, index, url, source, incoming, headers, undefined);
    // The receipt span: the sender's traceparent, if any, is its parent; it ends with the answer, whatever it is.
    const span = tracer.receipt(source.name, c.req.method, url.pathname, headers);
    try {
      const res = await receive(c, started, config, index, url, source, incoming, headers, span);
      span.end(res.status);
      return res;
    } catch (err) {
      span.fail(err);
      throw err;
    }
  });

  /** One request to a source's path, from its rate limit to the answer. `span`: the receipt span when traces are on. */
  async function receive(
    c: Context<NodeEnv>,
    started: number,
    config: Config,
    index: SourceIndex,
    url: URL,
    source: Source,
    incoming: IncomingMessage | undefined,
    headers: Record<string, string>,
    span: ReceiptSpan | undefined,
  ): Promise<Response> {
    const query = Object.fromEntries(url.searchParams);
    const method = c.req.method;
    const scheme = source.verify.scheme;
    const publicUrl = (config.server.publicUrl ?? `${headers['x-forwarded-proto'] ?? url.protocol.replace(':', '')}://${headers.host ?? url.host}`) + url.pathname + url.search;

    const redact = config.redact;
    // The reason may quote the request (a parse error, a content type): it is
    // masked and cut short before it is kept, logged or echoed; the metric gets the code.
    const refuse = (status: number, code: RefusalCode, reason: string, extraHeaders: Record<string, string> = {}) => {
      const shown = shorten(redact.text(reason));
      deps.rejections.add(
        { at: new Date(now()).toISOString(), source: source.name, method, path: url.pathname, status, reason: shown, headers: maskOwnHeader(headers, source), ...remote(c) },
        config.secrets,
      );
      deps.metrics?.refused(source.name, code);
      span?.refused(code);
      deps.log.warn({ source: source.name, status, reason: shown, code, ms: elapsed(started) }, 'webhook rejected');
      return c.json({ error: shown }, status as 400, extraHeaders);
    };

    const answer = async (reply: Reply & { record?: string }, rawBody?: Buffer) => {
      if (reply.status >= 400) return refuse(reply.status, 'handshake_refused', reply.body || 'handshake refused');
      // Kept only while the source has no secret yet (the token is what the user is waiting for); once one is set, a
      // new verification request is answered and logged, not stored — anyone can send one.
      if (reply.record !== undefined && rawBody && source.verify.secrets.length > 0) {
        deps.log.warn({ source: source.name }, `verification request answered but not kept: the source has a secret; remove verify.secret to receive a new one`);
      } else if (reply.record !== undefined && rawBody) {
        // Kept for the user to read (Notion's verification token), never delivered: no routes.
        try {
          const contentType = headers['content-type'];
          await deps.store.ingest({
            source: source.name,
            topic: reply.record,
            receivedAt: now(),
            headers: maskCredentials(headers, source),
            body: rawBody,
            ...(contentType !== undefined ? { contentType } : {}),
            query,
            routes: [],
          });
        } catch (err) {
          deps.log.error({ source: source.name, err: shorten(redact.text(errorMessage(err))) }, 'store failed: handshake not recorded');
          return c.json({ error: 'store unavailable, retry later' }, 503, { 'Retry-After': '5' });
        }
      }
      deps.metrics?.handshake(source.name);
      span?.set({ 'switchboard.handshake': true });
      deps.log.info({ source: source.name, status: reply.status, ...(reply.record !== undefined ? { recorded: reply.record } : {}) }, 'handshake answered');
      const { record: _record, ...plain } = reply;
      return send(c, plain);
    };
    const rules = source.handshake;
    // The source's rate limit covers probes too.
    const bucket = index.buckets.get(source.name);
    if (bucket) {
      const taken = bucket.take(now());
      if (!taken.ok) return refuse(429, 'rate_limited', 'rate limited', { 'Retry-After': String(Math.ceil(taken.retryAfterMs / 1000)) });
    }
    if (method !== 'POST') {
      // A probe without a body to verify (Meta's GET hub.challenge, Trello's HEAD): rules only, for GET and HEAD
      // only, and without $hmac — an unverified request must not get anything signed.
      const probe = method === 'GET' || method === 'HEAD';
      const reply = probe && rules.length ? await handshakeReply(source, rules, { method, headers, query, payload: undefined }, 'unverified', deps.log, redact) : undefined;
      span?.set({ 'switchboard.verification': 'unverified' });
      if (reply) return answer(reply);
      return c.json({ error: 'method not allowed' }, 405, { Allow: rules.length ? 'GET, HEAD, POST' : 'POST' });
    }

    const read = incoming ? await readNodeBody(incoming, config.server.maxBodySize) : await readBody(c.req.raw, config.server.maxBodySize);
    if (!read.ok) {
      if (read.tooLarge) return refuse(413, 'body_too_large', `body larger than ${config.server.maxBodySize} bytes`, { Connection: 'close' });
      return refuse(400, 'body_unreadable', 'body could not be read');
    }
    const rawBody = read.body;
    const contentType = headers['content-type'];
    // Parsed once, when first needed: by a scheme that reads the body (Mailgun), an unsigned probe, or the routes.
    let parsedOnce: ReturnType<typeof parseBody> | undefined;
    const parse = () => (parsedOnce ??= parseBody(rawBody, contentType));
    const payload = () => {
      const p = parse();
      return p.ok ? p.payload : undefined;
    };

    // A probe its provider does not sign (WooCommerce's ping, Slack's ssl_check, Notion's verification) is
    // small: only a small body is parsed and matched before the signature, so a large unsigned one costs nothing.
    if (rawBody.length <= UNSIGNED_PROBE_BYTES && rules.some((r) => r.unsigned)) {
      const reply = await handshakeReply(source, rules, { method, headers, query, payload: payload() }, 'unsigned', deps.log, redact);
      if (reply) {
        span?.set({ 'switchboard.verification': 'unsigned' });
        return answer(reply, rawBody);
      }
    }

    const signed: SignedRequest = { method, url: publicUrl, headers, query, rawBody, now: now(), payload };
    const verdict = scheme.verify(signed, source.verify);
    span?.set({ 'switchboard.verification': verdict.ok ? 'verified' : 'failed', 'switchboard.scheme': scheme.name });
    if (!verdict.ok) return refuse(401, verdictCode(verdict.reason), verdict.reason, verdict.headers);

    const parsed = parse();
    if (!parsed.ok) return refuse(400, 'bad_body', withoutQuotedBody(parsed.error));

    if (rules.length) {
      const reply = await handshakeReply(source, rules, { method, headers, query, payload: parsed.payload }, 'verified', deps.log, redact);
      if (reply) return answer(reply, rawBody);
    }

    if (source.split) return ingestSplit(c, source, config, { headers, query, payload: parsed.payload, contentType }, started, refuse, span);

    const pieces: EventPieces = { source: source.name, headers, query, payload: parsed.payload, rawBody, contentType };
    const who = await identify(source, pieces);
    if (source.verify.signatureIds && source.verify.engine) {
      const sig = signatureText(signed, source.verify.engine);
      if (sig !== undefined && !source.verify.signatureIds.admit(sig, who.deliveryId ?? '', now())) {
        return refuse(401, 'signature_reused', 'signature reused for another event');
      }
    }
    for (const problem of who.problems) deps.log.warn({ source: source.name, problem: shorten(redact.text(problem)) }, 'topic or id expression failed');
    const matched = config.routesFor(source.name, who.topic);
    const routes = matched.map((r) => r.name);
    const receivedAt = now();
    let result;
    try {
      result = await deps.store.ingest({
        source: source.name,
        topic: who.topic,
        ...(who.deliveryId !== undefined ? { deliveryId: who.deliveryId } : {}),
        receivedAt,
        headers: maskCredentials(headers, source, span?.traceparent),
        body: rawBody,
        ...(contentType !== undefined ? { contentType } : {}),
        query,
        routes,
        routing: routingRecord(config, source.name, who.topic, matched),
      });
    } catch (err) {
      // Never 200 for what was not committed: the sender will retry.
      deps.metrics?.webhook(source.name, matched, who.topic, 'store_error');
      deps.log.error({ source: source.name, err: shorten(redact.text(errorMessage(err))) }, 'store failed: webhook not accepted');
      return c.json({ error: 'store unavailable, retry later' }, 503, { 'Retry-After': '5' });
    }

    if (result.deliveries > 0) {
      // The worker can use the payload parsed here instead of parsing the stored body again.
      if (!result.duplicate) rememberPayload(result.eventId, parsed.payload, rawBody.length, result.deliveries);
      deps.onAccepted?.();
    }
    deps.metrics?.webhook(source.name, matched, who.topic, result.duplicate ? 'duplicate' : 'accepted');
    span?.set({ 'switchboard.topic': shorten(redact.text(who.topic)), 'switchboard.event.id': result.eventId, 'switchboard.deliveries': result.deliveries, 'switchboard.duplicate': result.duplicate });
    deps.log.info(
      {
        source: source.name,
        topic: shorten(redact.text(who.topic)),
        event: result.eventId,
        status: 200,
        routes: result.deliveries,
        ...(result.duplicate ? { duplicate: true } : {}),
        ms: elapsed(started),
      },
      result.duplicate ? 'webhook duplicate absorbed' : 'webhook accepted',
    );

    if (source.respond) {
      let body = '';
      if (source.respond.body) {
        try {
          // The bindings a route sees for this event, so a reply can say what was received.
          const event = plannedEvent(pieces, who.topic, { id: result.eventId, receivedAt });
          const value = await source.respond.body.evaluate(parsed.payload, bindingsFor(event));
          body = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
        } catch (err) {
          // The event is stored; a broken reply template must not turn that into a failure the sender retries.
          deps.log.warn({ source: source.name, err: shorten(redact.text(errorMessage(err))) }, 'respond.body failed; answered with an empty body');
        }
      }
      return send(c, { status: source.respond.status, headers: source.respond.headers, body });
    }
    const accepted = scheme.accepted?.();
    if (accepted) return send(c, accepted);
    return c.json(result.duplicate ? { id: result.eventId, duplicate: true } : { id: result.eventId }, 200);
  }

  /**
   * A batched body (`split:`): one event per element — each with its own topic,
   * id, dedup and routes — committed together in one transaction before the
   * single answer.
   */
  async function ingestSplit(
    c: Context<NodeEnv>,
    source: Source,
    config: Config,
    req: { headers: Record<string, string>; query: Record<string, string>; payload: unknown; contentType: string | undefined },
    started: number,
    refuse: (status: number, code: RefusalCode, reason: string) => Response,
    span: ReceiptSpan | undefined,
  ): Promise<Response> {
    const redact = config.redact;
    let list: unknown[];
    try {
      list = await splitPayloads(source, req);
    } catch (err) {
      return refuse(400, 'bad_body', `split: ${errorMessage(err)}`);
    }
    if (list.length > config.server.maxSplit) return refuse(413, 'too_many_events', `the body holds ${list.length} events; at most ${config.server.maxSplit} (server.maxSplit)`);
    const receivedAt = now();
    // Every element keeps the request's headers: bounded, so a batch of 1,000 does not store a large header block 1,000 times.
    const bounded = boundHeaders(maskCredentials(req.headers, source));
    // The receipt span's traceparent after the bound: it must not be the header left out.
    const headers = span ? { ...bounded, [TRACE_HEADER]: span.traceparent } : bounded;
    const events: NewEvent[] = [];
    const matchedPer: (readonly Route[])[] = [];
    for (const item of list) {
      const who = await identify(source, { headers: req.headers, query: req.query, payload: item });
      for (const problem of who.problems) deps.log.warn({ source: source.name, problem: shorten(redact.text(problem)) }, 'topic or id expression failed');
      const matched = config.routesFor(source.name, who.topic);
      matchedPer.push(matched);
      events.push({
        source: source.name,
        topic: who.topic,
        ...(who.deliveryId !== undefined ? { deliveryId: who.deliveryId } : {}),
        receivedAt,
        headers,
        body: Buffer.from(JSON.stringify(item ?? null)),
        contentType: 'application/json',
        query: req.query,
        routes: matched.map((r) => r.name),
        routing: routingRecord(config, source.name, who.topic, matched),
      });
    }
    let results: IngestResult[];
    try {
      results = await deps.store.ingestMany(events);
    } catch (err) {
      events.forEach((e, i) => deps.metrics?.webhook(source.name, matchedPer[i]!, e.topic, 'store_error'));
      deps.log.error({ source: source.name, err: shorten(redact.text(errorMessage(err))) }, 'store failed: webhook not accepted');
      return c.json({ error: 'store unavailable, retry later' }, 503, { 'Retry-After': '5' });
    }
    if (results.some((r) => r.deliveries > 0)) deps.onAccepted?.();
    results.forEach((r, i) => deps.metrics?.webhook(source.name, matchedPer[i]!, events[i]!.topic, r.duplicate ? 'duplicate' : 'accepted'));
    const duplicates = results.filter((r) => r.duplicate).length;
    span?.set({ 'switchboard.events': results.length, 'switchboard.duplicates': duplicates, 'switchboard.deliveries': results.reduce((n, r) => n + r.deliveries, 0) });
    deps.log.info({ source: source.name, events: results.length, duplicates, routes: results.reduce((n, r) => n + r.deliveries, 0), status: 200, ms: elapsed(started) }, 'webhook batch accepted');
    if (source.respond && !source.respond.body) return send(c, { status: source.respond.status, headers: source.respond.headers, body: '' });
    const accepted = source.verify.scheme.accepted?.();
    if (accepted) return send(c, accepted);
    return c.json({ ids: results.map((r) => r.eventId), ...(duplicates ? { duplicates } : {}) }, 200);
  }

  return app;
}

function send(c: Context, reply: Reply): Response {
  return c.body(reply.body, reply.status as 200, { ...reply.headers });
}

const records = new WeakMap<Config, Map<string, RoutingRecord>>();
/** Topics whose record is kept per config (a sender picks topics: the cache must not grow with them). */
const RECORDS_PER_CONFIG = 1024;

/**
 * What the event keeps of its routing: the config version, and the routes of
 * its source whose topics did not match (in file order, the first
 * ROUTING_MAX_NAMES named). The same (source, topic) gives the same record
 * under one config, so records are kept per config for the first topics seen:
 * no walk over a source's routes per event, whatever their number.
 */
function routingRecord(config: Config, source: string, topic: string, matched: readonly Route[]): RoutingRecord {
  let cache = records.get(config);
  if (!cache) records.set(config, (cache = new Map()));
  const key = `${source}\u0000${topic}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const all = config.routesBySource.get(source) ?? [];
  const miss: string[] = [];
  let more = 0;
  if (matched.length < all.length) {
    const took = new Set(matched);
    for (const route of all) {
      if (took.has(route)) continue;
      if (miss.length < ROUTING_MAX_NAMES) miss.push(route.name);
      else more++;
    }
  }
  const record: RoutingRecord = Object.freeze({ v: config.hash.slice(0, 12), miss: Object.freeze(miss), ...(more ? { more } : {}) });
  if (cache.size < RECORDS_PER_CONFIG) cache.set(key, record);
  return record;
}

/** Node lower-cases header names already; repeated headers are joined as fetch would join them. */
function nodeHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function lowerHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

/**
 * Stored headers are shown in the inspector: credentials are masked before they
 * are written — headers named like one, and the header the source's scheme
 * reads its secret or signature from, whatever it is called (`token` with
 * `header: X-Hook-Key`). TRACE_HEADER is ours: a request's own is dropped, and
 * the receipt span's `traceparent` is kept under it when traces are on.
 */
function maskCredentials(headers: Record<string, string>, source: Source, traceparent?: string): Record<string, string> {
  const own = source.verify.header?.toLowerCase();
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === TRACE_HEADER) continue;
    out[name] = SENSITIVE_HEADER.test(name) || name === own ? MASK : value;
  }
  if (traceparent !== undefined) out[TRACE_HEADER] = traceparent;
  return out;
}

/** The rejections list masks credential headers by name (keeping `Bearer ***`); the scheme's own header is masked here, whatever its name. */
function maskOwnHeader(headers: Record<string, string>, source: Source): Record<string, string> {
  const own = source.verify.header?.toLowerCase();
  return own && headers[own] !== undefined ? { ...headers, [own]: MASK } : headers;
}

const SPLIT_HEADER_VALUE = 1024;
const SPLIT_HEADERS_TOTAL = 8192;

/** The headers each event of a split batch keeps: values up to 1 KB, 8 KB in all; what is left out is counted. */
function boundHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let total = 0;
  let dropped = 0;
  for (const [name, value] of Object.entries(headers)) {
    const size = name.length + value.length;
    if (value.length > SPLIT_HEADER_VALUE || total + size > SPLIT_HEADERS_TOTAL) {
      dropped++;
      continue;
    }
    out[name] = value;
    total += size;
  }
  if (dropped) out['x-switchboard-headers-dropped'] = String(dropped);
  return out;
}

/** Text from a request kept in a log line or the rejections list: enough to tell what went wrong. */
const SHOWN_CHARS = 200;

/** The largest body matched against unsigned probe rules before its signature is checked. */
const UNSIGNED_PROBE_BYTES = 4096;

function shorten(text: string): string {
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}… (${text.length} characters)` : text;
}

/**
 * V8's JSON errors quote the body (`Unexpected token 'x', "{"a": x1234"... is
 * not valid JSON`), cut at an arbitrary point — which could be inside a
 * secret, where masking no longer recognises it. The rest says enough.
 */
function withoutQuotedBody(message: string): string {
  return message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
}

function remote(c: Context<NodeEnv>): { remote?: string } {
  // getConnInfo reads Node's socket, which an in-process request does not have, and which a request whose
  // body was cut off (413: the stream is destroyed) no longer has.
  const addr = c.env?.incoming?.socket ? getConnInfo(c).remote.address : undefined;
  return addr ? { remote: addr } : {};
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
