// Save as test: a recorded event becomes a `tests:` case and its payload a
// fixture file, with the `expect` entries the live config produces for it now.
// The case is planned exactly as `switchboard test` will run it — the same
// headers, query, payload bytes, event id and time — so appending it to the
// config passes, and a later edit of a route that changes what it sends fails.
//
// Headers: only those the source's topic/id rules and the routes actually read
// for this event (recorded while planning it), so a GitHub case carries
// X-GitHub-Event and X-GitHub-Delivery and not Host or User-Agent. A rule that
// takes the whole header object gets every header. Signature and credential
// headers, and any value that holds a secret of the config, are left out.
import { isDeepStrictEqual } from 'node:util';
import type { Context } from 'hono';
import { Document, isMap, isScalar } from 'yaml';
import type { Config, Route, Source } from '../config/types.js';
import { planDelivery, type Plan } from '../delivery/plan.js';
import { identify } from '../event/identify.js';
import { plannedEvent, TEST_STAMP, type EventPieces } from '../event/planned.js';
import { mediaType, parseBody } from '../lib/body.js';
import { MASK, SENSITIVE_HEADER, type Redactor } from '../observe/redact.js';
import type { Store, StoredEvent } from '../store/types.js';

export interface TestFixture {
  /** A file name to save the payload under (`issues.opened-1a2b3c4d.json`). */
  readonly name: string;
  /** The content type the case runs the payload with. */
  readonly contentType: string;
  /** The file's content: text, or base64 for a binary body (see `encoding`). */
  readonly body: string;
  readonly encoding: 'utf8' | 'base64';
}

export interface ExportedTest {
  readonly source: string;
  readonly fixture: TestFixture;
  /** YAML: one item of a `tests:` list, indented by two spaces, ending in a newline. */
  readonly case: string;
  /** What the case cannot reproduce exactly (a secret masked, a header left out, a changed topic). */
  readonly warnings: readonly string[];
}

export interface ExportOptions {
  /** What the case's `payload:` says (a path relative to the config's directory); default `./fixtures/<source>/<fixture name>`. */
  readonly payloadPath?: string;
}

/** The file extensions `switchboard test` maps to a content type (commands/io.ts), and that type. */
const GUESSED: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.form': 'application/x-www-form-urlencoded',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
};

export async function exportTest(event: StoredEvent, config: Config, options: ExportOptions = {}): Promise<ExportedTest | { error: string }> {
  const source = config.sources.get(event.source);
  if (!source) return { error: `source "${event.source}" is no longer in the config` };
  const redact = config.redact;
  const topic = redact.text(event.topic);
  if (source.handshake.some((r) => r.record === event.topic)) {
    return { error: `this event is a ${topic} request kept for you to read; it is never delivered, so there is nothing to test` };
  }
  if (source.split) {
    return { error: `source "${source.name}" splits batched bodies (split:): this event is one element of a batch, and a tests: case takes the body as the sender posted it, which is not stored` };
  }
  const routes = config.routesBySource.get(source.name) ?? [];
  if (routes.length === 0) return { error: `no route takes events from "${source.name}": a test needs at least one route to expect something of` };
  const warnings: string[] = [];

  const fixture = fixtureFor(event, topic, redact, warnings);
  if ('error' in fixture) return fixture;
  const parsed = parseBody(fixture.bytes, fixture.contentType);
  if (!parsed.ok) return { error: `the stored body cannot be read back: ${parsed.error}` };

  // What may go into the case: no credentials, nothing that holds a secret.
  const own = new Set([source.verify.header, source.verify.token?.header].filter((h): h is string => !!h).map((h) => h.toLowerCase()));
  const candidates: Record<string, string> = {};
  const leftOut = new Set<string>();
  for (const [name, value] of Object.entries(event.headers)) {
    if (name === 'content-type') continue; // the runner sets it from the payload's type
    if (SENSITIVE_HEADER.test(name) || own.has(name) || value === MASK || redact.text(value) !== value) leftOut.add(name);
    else candidates[name] = value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.query ?? {})) {
    if (SENSITIVE_HEADER.test(name) || redact.text(value) !== value) warnings.push(`query parameter ${name} is left out: it holds a credential`);
    else query[name] = value;
  }

  // Which headers matter: plan the event once over a recording view of them.
  const seen = recording({ 'content-type': fixture.contentType, ...candidates });
  try {
    await planAll(config, source, routes, { headers: seen.view, query, payload: parsed.payload, rawBody: fixture.bytes, contentType: fixture.contentType });
  } catch {
    // A rule that throws is planned again below, where its error is reported.
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(candidates)) if (seen.all() || seen.read.has(name)) headers[name] = value;
  for (const name of leftOut) {
    if (seen.read.has(name)) warnings.push(`header ${name} is read by the config but left out of the case: it is a credential or holds a secret`);
  }

  // The case as `switchboard test` will run it: these headers only, the fixture's bytes, the test event id.
  const {
    topic: caseTopic,
    problems,
    plans,
  } = await planAll(config, source, routes, {
    headers: { 'content-type': fixture.contentType, ...headers },
    query,
    payload: parsed.payload,
    rawBody: fixture.bytes,
    contentType: fixture.contentType,
  });
  for (const p of problems) warnings.push(redact.text(p));
  if (caseTopic !== event.topic) {
    warnings.push(`the case's topic is "${redact.text(caseTopic)}", but the event was recorded as "${topic}" (the source's topic rule changed since, or reads something left out)`);
  }

  const expect: ExpectEntry[] = plans.map(({ route, plan }) => expectationFor(route, plan, caseTopic, redact, warnings));
  const payloadPath = options.payloadPath ?? `./fixtures/${safeName(source.name)}/${fixture.name}`;
  const item = {
    name: `${source.name} ${topic || '(no topic)'} (recorded ${event.id})`,
    source: source.name,
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(Object.keys(query).length ? { query } : {}),
    ...(fixture.explicitType ? { contentType: fixture.explicitType } : {}),
    payload: payloadPath,
    expect: expect.map((e) => e.value),
  };
  return {
    source: source.name,
    fixture: { name: fixture.name, contentType: fixture.contentType, body: fixture.body, encoding: fixture.encoding },
    case: toYaml(item, expect),
    warnings,
  };
}

/** `GET /admin/events/:id/test[?payload=<path>]`: the case and fixture as JSON. */
export function exportTestRoute(deps: { config: () => Config; store: Pick<Store, 'getEvent'> }) {
  return async (c: Context) => {
    const event = await deps.store.getEvent(c.req.param('id') ?? '');
    if (!event) return c.json({ error: 'no such event' }, 404);
    const payload = c.req.query('payload');
    // eslint-disable-next-line no-control-regex
    if (payload !== undefined && (payload === '' || payload.length > 1000 || /[\u0000-\u001f\u007f]/.test(payload))) {
      return c.json({ error: 'payload: a file path on one line, at most 1000 characters' }, 400);
    }
    const result = await exportTest(event, deps.config(), payload !== undefined ? { payloadPath: payload } : {});
    if ('error' in result) return c.json({ error: result.error }, 409);
    return c.json(result);
  };
}

interface Fixture {
  name: string;
  /** What the payload is parsed as when the case runs. */
  contentType: string;
  /** Written in the case when the file's extension alone would give another type. */
  explicitType?: string;
  bytes: Buffer;
  body: string;
  encoding: 'utf8' | 'base64';
}

function fixtureFor(event: StoredEvent, topic: string, redact: Redactor, warnings: string[]): Fixture | { error: string } {
  const stored = event.contentType !== undefined ? redact.text(event.contentType) : undefined;
  const parsed = parseBody(event.body, stored);
  if (!parsed.ok) return { error: `the stored body cannot be read: ${parsed.error}` };
  const media = mediaType(stored);
  const base = `${safeName(topic) || 'event'}-${safeName(event.id.slice(-8))}`;
  if (parsed.kind === 'binary') {
    const contentType = stored || 'application/octet-stream';
    return { name: `${base}.bin`, contentType, explicitType: contentType, bytes: event.body, body: event.body.toString('base64'), encoding: 'base64' };
  }
  const raw = event.body.toString('utf8');
  let text = redact.text(raw);
  if (text !== raw) warnings.push(`the payload holds a secret of the config: it is masked as ${MASK} in the fixture, and the expectations are those of the masked payload`);
  let ext: string;
  if (parsed.kind === 'json') {
    ext = '.json';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // A masked number is no longer JSON: the parsed payload, masked, instead.
      value = redact.value(parsed.payload);
      text = JSON.stringify(value);
    }
    // Compact JSON (as GitHub sends it) is written indented, when nothing else about it changes.
    if (JSON.stringify(value) === text) text = `${JSON.stringify(value, null, 2)}\n`;
  } else if (parsed.kind === 'form') ext = '.form';
  else if (media === 'application/xml' || media === 'text/xml' || media.endsWith('+xml')) ext = '.xml';
  else ext = '.txt';
  const guessed = GUESSED[ext]!;
  const contentType = stored || guessed;
  return { name: `${base}${ext}`, contentType, ...(contentType !== guessed ? { explicitType: contentType } : {}), bytes: Buffer.from(text), body: text, encoding: 'utf8' };
}

interface Planned {
  topic: string;
  problems: string[];
  plans: { route: Route; plan: Plan | { outcome: 'topic-mismatch' } }[];
}

/** Topic, then each route of the source: what runCase in commands/test.ts does for one event. */
async function planAll(config: Config, source: Source, routes: readonly Route[], req: Omit<EventPieces, 'source'>): Promise<Planned> {
  const pieces: EventPieces = { source: source.name, ...req };
  const who = await identify(source, pieces);
  const event = plannedEvent(pieces, who.topic, TEST_STAMP);
  const plans: Planned['plans'] = [];
  for (const route of routes) {
    const plan = route.matchesTopic(who.topic) ? await planDelivery(route, event, `${TEST_STAMP.id}-${route.name}`, { maxFanout: config.server.maxFanout }) : ({ outcome: 'topic-mismatch' } as const);
    plans.push({ route, plan });
  }
  return { topic: who.topic, problems: who.problems, plans };
}

interface ExpectEntry {
  value: Record<string, unknown>;
  /** Why, as a comment beside the entry. */
  note?: string;
}

function expectationFor(route: Route, plan: Plan | { outcome: 'topic-mismatch' }, topic: string, redact: Redactor, warnings: string[]): ExpectEntry {
  switch (plan.outcome) {
    case 'topic-mismatch':
      return { value: { route: route.name, skipped: true }, note: `topic "${redact.text(topic)}" does not match ${JSON.stringify(route.topics)}` };
    case 'filtered':
      return { value: { route: route.name, skipped: true }, note: redact.text(plan.reason) };
    case 'error': {
      const message = redact.text(plan.message);
      if (message !== plan.message) warnings.push(`route ${route.name}: its error quotes a secret of the config, masked in the case (which then fails until you edit it)`);
      return { value: { route: route.name, error: message } };
    }
    case 'send': {
      const values = plan.requests.map((r) => json(r.value));
      const shown = redact.value(values);
      if (!isDeepStrictEqual(shown, values)) warnings.push(`route ${route.name}: what it sends holds a secret of the config, masked in the case (which then fails until you write the value there)`);
      const n = plan.requests.length;
      return { value: n === 1 ? { route: route.name, body: shown[0] } : { route: route.name, bodies: shown }, note: `sends ${n} request${n === 1 ? '' : 's'} to ${route.target.name}` };
    }
  }
}

/** A value as JSON sees it (what the runner compares): no undefined, no functions. */
function json(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/**
 * The case as YAML, two spaces in (an item under `tests:`). Every `${` in a
 * value is written `$${`: the loader would otherwise read it as an
 * environment variable.
 */
function toYaml(item: Record<string, unknown>, expect: readonly ExpectEntry[]): string {
  const doc = new Document([escapeRefs(item)], { aliasDuplicateObjects: false });
  expect.forEach((e, i) => {
    if (!e.note) return;
    const note = ` ${e.note.replace(/\s+/g, ' ').slice(0, 200)}`;
    const skipped = doc.getIn([0, 'expect', i, 'skipped'], true);
    const entry = doc.getIn([0, 'expect', i], true);
    if (isScalar(skipped)) skipped.comment = note;
    else if (isMap(entry)) entry.commentBefore = note;
  });
  const text = doc.toString({ lineWidth: 0 });
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}

function escapeRefs(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/\$\{/g, () => '$${');
  if (Array.isArray(v)) return v.map(escapeRefs);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: escapeRefs(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** A file-name part: letters, digits, `.`, `_` and `-`, at most 80 of them, no leading dot. */
function safeName(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[.]+/, '')
    .slice(0, 80);
}

/** The headers, with every name looked up recorded; a rule that lists them all (`$keys($headers)`, `{ "h": $headers }`) reads every one. */
function recording(headers: Record<string, string>): { view: Record<string, string>; read: Set<string>; all: () => boolean } {
  const read = new Set<string>();
  let all = false;
  // Every name asked for, present or not (JSONata also asks for its own markers): the caller keeps the ones it knows.
  const note = (key: string | symbol) => {
    if (typeof key === 'string') read.add(key);
  };
  const view = new Proxy(headers, {
    get(target, key, receiver) {
      note(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
    has(target, key) {
      note(key);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      note(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys(target) {
      all = true;
      return Reflect.ownKeys(target);
    },
  });
  return { view, read, all: () => all };
}
