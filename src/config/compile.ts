// From schema-valid data to the compiled Config: names resolved, JSONata
// compiled, units parsed, defaults applied, and every semantic problem found
// (in one pass, so `validate` can list them all at once).
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SENSITIVE_HEADER, urlPassword, WEAK_SECRET_LENGTH } from '../observe/redact.js';
import { hint } from './didyoumean.js';
import { literalOrigin, parseAllowEntry, type EgressRule } from './egress.js';
import { compileExpr, compileTemplate, staticTemplate, type Expr, type Template } from './expr.js';
import { compileTopics } from './glob.js';
import type { ConfigIssue } from './issues.js';
import type { Config, Expectation, RetryPolicy, Route, Source, Target, TestCase } from './types.js';
import { kinds } from '../delivery/kinds/registry.js';
import { whsecProblem } from '../verify/engine.js';
import { compileHandshake, compileSplit, compileVerify, handshakeBindings, responseHeaderProblem, type VerifyContext } from './verify.js';
import { parseDuration, parseRate, parseSize } from './units.js';
import type { PathSegment, YamlFile } from './yamldoc.js';

/* The shapes the JSON Schema guarantees (where it reported no error). */
interface RawRetry {
  attempts?: number;
  initialDelay?: string;
  maxDelay?: string;
}
interface RawVerify {
  scheme: string;
  secret?: string | string[];
  [key: string]: unknown;
}
interface RawSource {
  path?: string;
  verify: RawVerify;
  topic?: string;
  id?: string;
  rateLimit?: string;
  respond?: { status?: number; headers?: Record<string, unknown>; body?: string };
  handshake?: unknown[];
  split?: string;
}
interface RawTarget {
  kind?: string;
  preset?: 'slack' | 'discord' | 'teams' | 'telegram';
  chatId?: string | number;
  url: string;
  method?: Target['method'];
  headers?: Record<string, unknown>;
  timeout?: string;
  rateLimit?: string;
  concurrency?: number;
  retry?: RawRetry;
  followRedirects?: boolean;
  sign?: { secret: string };
}
interface RawRoute {
  name: string;
  source: string;
  topics?: string[];
  filter?: string;
  transform?: string;
  each?: boolean;
  target: string | RawTarget;
}
interface RawExpectation {
  route: string;
  skipped?: boolean;
  body?: unknown;
  bodies?: unknown[];
  url?: string;
  method?: string;
  headers?: Record<string, unknown>;
  error?: string;
}
interface RawTest {
  name: string;
  source: string;
  headers?: Record<string, unknown>;
  query?: Record<string, unknown>;
  contentType?: string;
  payload: unknown;
  expect: RawExpectation[];
}
interface RawConfig {
  server?: { port?: number; basePath?: string; maxBodySize?: string | number; publicUrl?: string; lease?: string; maxFanout?: number; maxSplit?: number };
  store?: string;
  retention?: string;
  admin?: { token?: string; hosts?: string[] };
  defaults?: { timeout?: string; retry?: RawRetry };
  egress?: { allow?: string[] };
  sources?: Record<string, RawSource>;
  targets?: Record<string, RawTarget>;
  routes?: RawRoute[];
  tests?: RawTest[];
}

export interface CompileInput {
  yaml: YamlFile;
  data: unknown;
  /** instancePaths with schema errors: those parts are not compiled further. */
  badPaths: readonly string[];
  secrets: ReadonlySet<string>;
  env: NodeJS.ProcessEnv;
}

export type CompileOutput = { config?: Config; issues: ConfigIssue[] };

/** Target keys every kind has. */
const SHARED_TARGET_KEYS = ['kind', 'headers', 'timeout', 'retry', 'rateLimit', 'concurrency'];
/** Keys only http targets have. */
const HTTP_ONLY_KEYS = new Set(['method', 'followRedirects', 'sign', 'preset', 'chatId']);
/** Each kind-specific key → the kinds that have it (for "that is a setting of amqp targets"). */
const KIND_OF_KEY = new Map<string, string>();
for (const k of kinds.values()) {
  for (const key of Object.keys(k.keys)) {
    if (key === 'url' || SHARED_TARGET_KEYS.includes(key)) continue;
    KIND_OF_KEY.set(key, KIND_OF_KEY.has(key) ? `${KIND_OF_KEY.get(key)!}, ${k.name}` : k.name);
  }
}

/** The margin the worker keeps between a call's timeout and its lease (worker.ts stillHeld). */
export function leaseMargin(leaseMs: number): number {
  return Math.min(1000, Math.floor(leaseMs / 10));
}

/** Whether a worker holding `leaseMs` leases ever makes a call with this timeout (with 100 ms to spare). */
export function leaseFits(leaseMs: number, timeoutMs: number): boolean {
  return leaseMs - leaseMargin(leaseMs) > timeoutMs + 100;
}

/** The longest call time a config asks for: the default and every target's timeout. */
export function longestTimeout(c: Config): number {
  return Math.max(c.defaults.timeoutMs, ...[...c.targets.values()].map((t) => t.timeoutMs), ...c.routes.map((r) => r.target.timeoutMs));
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 3_600_000 };
const DEFAULT_STORE = 'sqlite:./data/switchboard.db';

export function compileConfig(input: CompileInput): CompileOutput {
  const { yaml, env } = input;
  const issues: ConfigIssue[] = [];
  const secrets = new Set(input.secrets);
  const raw = (isObject(input.data) ? input.data : {}) as RawConfig;
  // Every prefix of every bad path: asking about a part is one lookup, where a
  // scan of all bad paths per route made a file with many errors quadratic.
  const badPrefixes = new Set<string>();
  for (const b of input.badPaths) {
    for (let i = b.indexOf('/', 1); i !== -1; i = b.indexOf('/', i + 1)) badPrefixes.add(b.slice(0, i));
    badPrefixes.add(b).add('');
  }
  const bad = (path: readonly PathSegment[]) => {
    const p = path.length ? `/${path.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` : '';
    return badPrefixes.has(p);
  };
  const error = (path: readonly PathSegment[], message: string, key = false) => issues.push(yaml.issueAt(path, message, { key }));
  const warn = (path: readonly PathSegment[], message: string, key = true) => issues.push(yaml.issueAt(path, message, { key, severity: 'warning' }));
  // A credential is masked wherever shown. One shorter than WEAK_SECRET_LENGTH is
  // easy to guess and can only be masked where it stands as a whole word (or every
  // "t" in the output would go), so it draws a warning — naming where, never what.
  const credential = (path: readonly PathSegment[], value: unknown, what = label(path)) => {
    if (typeof value !== 'string' || value.length === 0) return;
    secrets.add(value);
    if (value.length < WEAK_SECRET_LENGTH) {
      warn(path, `${what}: weak secret (shorter than ${WEAK_SECRET_LENGTH} characters): anyone can guess it; use a long random value outside of tests`, false);
    }
  };
  const expr = (path: readonly PathSegment[], text: string): Expr | undefined => {
    const r = compileExpr(yaml, yaml.node(path), label(path), text);
    if (r.ok) return r.value;
    issues.push(r.issue);
    return undefined;
  };
  const template = (path: readonly PathSegment[], text: string): Template | undefined => {
    const r = compileTemplate(yaml, yaml.node(path), label(path), text);
    if (r.ok) return r.value;
    issues.push(r.issue);
    return undefined;
  };

  const verifyContext: VerifyContext = { error, warn, credential, expr, label };

  // server, store, admin, defaults
  const rawServer = isObject(raw.server) && !bad(['server']) ? raw.server : {};
  // PORT=0 asks the OS for any free port (tests use it).
  const envPort = env.PORT !== undefined && /^\d{1,5}$/.test(env.PORT) && Number(env.PORT) <= 65535 ? Number(env.PORT) : undefined;
  const server = {
    port: envPort ?? rawServer.port ?? 8080,
    basePath: (rawServer.basePath ?? '/hooks').replace(/\/+$/, ''),
    maxBodySize: parseSize(rawServer.maxBodySize ?? '1mb') ?? 1024 * 1024,
    ...(rawServer.publicUrl ? { publicUrl: rawServer.publicUrl.replace(/\/+$/, '') } : {}),
    leaseMs: parseDuration(rawServer.lease ?? '60s') ?? 60_000,
    maxFanout: rawServer.maxFanout ?? 1000,
    maxSplit: rawServer.maxSplit ?? 1000,
  };
  const store = env.SWITCHBOARD_STORE || (typeof raw.store === 'string' && !bad(['store']) ? raw.store : DEFAULT_STORE);
  const adminToken = isObject(raw.admin) && typeof raw.admin.token === 'string' ? raw.admin.token : env.SWITCHBOARD_ADMIN_TOKEN || undefined;
  if (isObject(raw.admin) && typeof raw.admin.token === 'string') credential(['admin', 'token'], adminToken);
  else credential(['admin'], adminToken, 'SWITCHBOARD_ADMIN_TOKEN');
  // A password in the store URL (postgres://user:pw@host) is masked anywhere it shows up,
  // also the one written in the file when SWITCHBOARD_STORE overrides it.
  for (const url of [store, raw.store]) {
    const password = typeof url === 'string' ? urlPassword(url) : undefined;
    if (password) secrets.add(password);
  }
  if (!adminToken && isObject(raw.admin) && Array.isArray(raw.admin.hosts) && raw.admin.hosts.length > 0)
    warn(['admin', 'hosts'], 'admin.hosts: has no effect until admin.token is set (without a token, /admin answers loopback host names only)');
  const rawDefaults = isObject(raw.defaults) && !bad(['defaults']) ? raw.defaults : {};
  // A timeout of 0 (or one that rounds to 0 ms) would fail every call before it starts.
  const timeoutOf = (at: PathSegment[], text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === 0) error(at, `${label(at)}: a timeout must be longer than 0 (every call would fail before it starts)`);
    return ms || fallback;
  };
  const defaults = {
    timeoutMs: timeoutOf(['defaults', 'timeout'], rawDefaults.timeout, 10_000),
    retry: retryPolicy(rawDefaults.retry, DEFAULT_RETRY),
  };
  checkRetry(['defaults', 'retry'], defaults.retry);

  // sources
  const sources = new Map<string, Source>();
  const sourceNames = isObject(raw.sources) ? Object.keys(raw.sources) : [];
  const isSource = new Set(sourceNames);
  const pathOwners = new Map<string, string>();
  for (const name of sourceNames) {
    const at: PathSegment[] = ['sources', name];
    const s = raw.sources![name]!;
    if (!isObject(s)) continue;
    // Expressions are checked even when other keys are wrong, so one run reports everything.
    const topic = typeof s.topic === 'string' ? expr([...at, 'topic'], s.topic) : undefined;
    const id = typeof s.id === 'string' ? expr([...at, 'id'], s.id) : undefined;
    const respondBody = isObject(s.respond) && typeof s.respond.body === 'string' ? expr([...at, 'respond', 'body'], s.respond.body) : undefined;
    const verify = isObject(s.verify) && typeof s.verify.scheme === 'string' && !bad([...at, 'verify']) ? compileVerify([...at, 'verify'], s.verify, verifyContext) : undefined;
    const handshake = !bad([...at, 'handshake']) ? compileHandshake([...at, 'handshake'], s.handshake, verify, verifyContext) : undefined;
    const split = !bad([...at, 'split']) ? compileSplit([...at, 'split'], s.split, verify, verifyContext) : undefined;
    if (bad(at)) continue;
    const path = s.path ?? `/${name}`;
    const full = `${server.basePath}${path}`;
    const reserved = ['/admin', '/healthz', '/readyz', '/metrics'].find((r) => full === r || full.startsWith(`${r}/`));
    if (reserved) error(s.path ? [...at, 'path'] : at, `sources.${name}: ${full} is reserved for Switchboard's own ${reserved}; pick another path or basePath`, !s.path);
    const owner = pathOwners.get(path.replace(/\/+$/, '') || '/');
    if (owner) error(s.path ? [...at, 'path'] : at, `sources.${name}: path ${server.basePath}${path} is already used by source "${owner}"`, !s.path);
    else pathOwners.set(path.replace(/\/+$/, '') || '/', name);
    if (!verify || !handshake || split === false || (s.topic && !topic) || (s.id && !id) || (s.respond?.body && !respondBody)) continue;
    const respond = s.respond ? { status: s.respond.status ?? 200, headers: stringMap(s.respond.headers), ...(respondBody ? { body: respondBody } : {}) } : undefined;
    let respondOk = true;
    for (const [h, value] of Object.entries(respond?.headers ?? {})) {
      const problem = responseHeaderProblem(h, value);
      if (problem) {
        error([...at, 'respond', 'headers', h], `${label([...at, 'respond', 'headers', h])}: ${problem}`, true);
        respondOk = false;
      }
    }
    if (!respondOk) continue;
    sources.set(name, {
      name,
      path,
      verify,
      ...(topic ? { topic } : {}),
      ...(id ? { id } : {}),
      ...(s.rateLimit ? { rateLimit: parseRate(s.rateLimit) } : {}),
      ...(respond ? { respond } : {}),
      handshake,
      handshakeBindings: handshakeBindings(verify),
      ...(split ? { split } : {}),
    });
  }

  // egress: the origins written in target URLs, and egress.allow
  const egressOrigins = new Set<string>();
  const egressHosts = new Set<string>();
  const templatedHosts: PathSegment[][] = [];
  const egressPatterns: string[] = [];
  const egressAllow: EgressRule[] = [];
  (isObject(raw.egress) && Array.isArray(raw.egress.allow) ? raw.egress.allow : []).forEach((entry, i) => {
    if (typeof entry !== 'string') return;
    const rule = parseAllowEntry(entry);
    if (typeof rule === 'string') return void error(['egress', 'allow', i], `egress.allow[${i}]: ${rule}`);
    egressAllow.push(rule);
    if (rule.host.kind === 'name') egressHosts.add(rule.host.name);
    else if (rule.host.kind === 'suffix') egressPatterns.push(rule.host.suffix);
    else if (rule.host.kind === 'any') egressPatterns.push('');
  });

  // targets
  const targets = new Map<string, Target>();
  const targetNames = isObject(raw.targets) ? Object.keys(raw.targets) : [];
  const isTarget = new Set(targetNames);
  for (const name of targetNames) {
    const at: PathSegment[] = ['targets', name];
    const raw$ = raw.targets![name];
    if (!isObject(raw$)) continue;
    const t = compileTarget(at, name, raw$ as RawTarget);
    if (t && !bad(at)) targets.set(name, t);
  }

  function compileTarget(at: PathSegment[], name: string, t: RawTarget): Target | undefined {
    if (t.kind !== undefined && t.kind !== 'http') return compileKindTarget(at, name, t);
    for (const key of Object.keys(t)) {
      const owner = KIND_OF_KEY.get(key);
      if (owner) error([...at, key], `${label([...at, key])}: "${key}" is a setting of ${owner} targets, not of http ones (add kind: ${owner.split(', ')[0]}?)`, true);
    }
    if (t.preset === 'telegram' && t.chatId === undefined) error([...at, 'preset'], `${label(at)}: preset telegram needs chatId (the chat to post to)`);
    if (t.chatId !== undefined && t.preset !== 'telegram') error([...at, 'chatId'], `${label([...at, 'chatId'])}: only preset telegram takes a chatId`, true);
    if (typeof t.url !== 'string') {
      if (!bad(at)) error(at, `${label(at)}: an http target needs "url" (or a kind: ${[...kinds.keys()].join(', ')})`, true);
      return undefined;
    }
    const url = typeof t.url === 'string' ? template([...at, 'url'], t.url) : undefined;
    if (url?.isStatic) checkUrl([...at, 'url'], t.url);
    // A stand-in value for each template: "0" makes a valid host, port and path segment alike.
    else if (url && !/^\{\{/.test(t.url.trim())) checkUrl([...at, 'url'], t.url.replace(/\{\{[\s\S]*?\}\}\}?/g, '0'));
    const headers: [string, Template][] = [];
    for (const [header, value] of Object.entries(isObject(t.headers) ? t.headers : {})) {
      if (value !== null && typeof value === 'object') continue; // a schema error already
      const text = String(value);
      if (SENSITIVE_HEADER.test(header) && !text.includes('{{')) {
        // Mask the credential part ("Bearer <token>" → the token) as well as the whole value.
        secrets.add(text);
        credential([...at, 'headers', header], text.replace(/^(Bearer|Basic|Token)\s+/i, ''));
      }
      const tpl = template([...at, 'headers', header], text);
      if (tpl) headers.push([header, tpl]);
    }
    const origin = typeof t.url === 'string' ? literalOrigin(t.url) : undefined;
    if (origin) {
      egressOrigins.add(origin);
      egressHosts.add(new URL(origin).hostname.replace(/^\[(.*)\]$/, '$1'));
    } else if (url) templatedHosts.push([...at, 'url']);
    let sign: Target['sign'];
    const urlPw = typeof t.url === 'string' ? urlPassword(t.url) : undefined;
    if (urlPw) secrets.add(urlPw);
    if (isObject(t.sign) && typeof t.sign.secret === 'string') {
      secrets.add(t.sign.secret);
      const problem = whsecProblem(t.sign.secret);
      if (problem) error([...at, 'sign', 'secret'], `${label(at)}.sign.secret: ${problem}`);
      else sign = { key: Buffer.from(t.sign.secret.replace(/^whsec_/, ''), 'base64') };
    }
    if (!url || bad(at)) return undefined;
    const retry = retryPolicy(t.retry, defaults.retry);
    checkRetry([...at, 'retry'], retry);
    return {
      name,
      kind: 'http',
      url,
      method: t.method ?? 'POST',
      headers,
      kindTemplates: [],
      timeoutMs: timeoutOf([...at, 'timeout'], t.timeout, defaults.timeoutMs),
      ...(t.rateLimit ? { rateLimit: parseRate(t.rateLimit) } : {}),
      concurrency: t.concurrency ?? 10,
      retry,
      followRedirects: t.followRedirects ?? false,
      ...(sign ? { sign } : {}),
      ...(t.preset ? { preset: t.preset } : {}),
      ...(t.chatId !== undefined ? { chatId: String(t.chatId) } : {}),
    };
  }

  /** A target of another kind (amqp, nats, mqtt, redis, smtp, exec): its keys checked by the kind, its templates compiled. */
  function compileKindTarget(at: PathSegment[], name: string, t: RawTarget): Target | undefined {
    const kind = kinds.get(t.kind!);
    if (!kind) return undefined; // the schema's enum said so already
    const own = new Set([...SHARED_TARGET_KEYS, ...Object.keys(kind.keys)]);
    let ok = true;
    for (const key of Object.keys(t)) {
      if (own.has(key)) continue;
      const owner = HTTP_ONLY_KEYS.has(key) ? 'http' : KIND_OF_KEY.get(key);
      error([...at, key], `${label([...at, key])}: ${kind.name} targets have no "${key}"${owner ? ` (it is a setting of ${owner} targets)` : hint(key, own)}`, true);
      ok = false;
    }
    for (const key of kind.required) {
      if ((t as unknown as Record<string, unknown>)[key] === undefined) {
        error(at, `${label(at)}: a ${kind.name} target needs "${key}"`, true);
        ok = false;
      }
    }
    if (!ok || bad(at)) return undefined;
    const rawKeys = t as unknown as Record<string, unknown>;
    const settings = kind.compile(rawKeys);
    if (isObject(settings) && Array.isArray((settings as { problems?: unknown }).problems)) {
      for (const p of (settings as { problems: { key: string; message: string }[] }).problems) error(p.key ? [...at, p.key] : at, `${label(p.key ? [...at, p.key] : at)}: ${p.message}`, !p.key);
      return undefined;
    }
    for (const key of kind.credentialUrls ?? []) {
      const v = rawKeys[key];
      if (typeof v !== 'string') continue;
      if (v.includes('{{')) {
        error([...at, key], `${label([...at, key])}: the broker URL cannot hold templates: it is a configured place calls go to`);
        ok = false;
      }
      const pw = urlPassword(v);
      if (pw) credential([...at, key], decodeURIComponentSafe(pw));
      if (pw) secrets.add(pw);
    }
    for (const secret of kind.secrets?.(settings) ?? []) credential([...at, 'url'], secret);
    const kindTemplates: [string, Template][] = [];
    for (const key of kind.templated) {
      const v = rawKeys[key];
      if (typeof v === 'string') {
        const tpl = template([...at, key], v);
        if (tpl) kindTemplates.push([key, tpl]);
        else ok = false;
      } else if (Array.isArray(v)) {
        v.forEach((item, i) => {
          const tpl = template([...at, key, i], String(item));
          if (tpl) kindTemplates.push([`${key}.${i}`, tpl]);
          else ok = false;
        });
      }
    }
    const headers: [string, Template][] = [];
    for (const [header, value] of Object.entries(isObject(t.headers) ? t.headers : {})) {
      if (value !== null && typeof value === 'object') continue;
      const tpl = template([...at, 'headers', header], String(value));
      if (tpl) headers.push([header, tpl]);
    }
    if (!ok) return undefined;
    const retry = retryPolicy(t.retry, defaults.retry);
    checkRetry([...at, 'retry'], retry);
    const shown = typeof rawKeys.url === 'string' ? rawKeys.url : `${kind.name}:${name}`;
    return {
      name,
      kind: kind.name,
      url: staticTemplate(shown),
      method: 'POST',
      headers,
      kindSettings: settings,
      kindTemplates,
      timeoutMs: timeoutOf([...at, 'timeout'], t.timeout, defaults.timeoutMs),
      ...(t.rateLimit ? { rateLimit: parseRate(t.rateLimit) } : {}),
      concurrency: t.concurrency ?? 10,
      retry,
      followRedirects: false,
    };
  }

  function checkUrl(at: PathSegment[], text: string) {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      error(at, `${label(at)}: not an http(s) URL (expected something like https://example.com/path)`);
    }
  }

  function checkRetry(at: PathSegment[], r: RetryPolicy) {
    if (r.initialDelayMs > r.maxDelayMs) error(at, `${label(at)}: initialDelay is longer than maxDelay`);
  }

  // routes
  const routes: Route[] = [];
  const routeNames = new Map<string, number>();
  const rawRoutes = Array.isArray(raw.routes) ? raw.routes : [];
  rawRoutes.forEach((r, i) => {
    const at: PathSegment[] = ['routes', i];
    if (!isObject(r)) return;
    if (typeof r.name === 'string') {
      if (routeNames.has(r.name)) error([...at, 'name'], `duplicate route name "${r.name}" (also routes[${routeNames.get(r.name)}])`);
      else routeNames.set(r.name, i);
    }
    if (typeof r.source === 'string' && !isSource.has(r.source)) {
      error([...at, 'source'], `route "${r.name}": unknown source "${r.source}"${hint(r.source, sourceNames)}`);
    }
    let target: Target | undefined;
    if (typeof r.target === 'string') {
      target = targets.get(r.target);
      if (!target && !isTarget.has(r.target)) {
        error([...at, 'target'], `route "${r.name}": unknown target "${r.target}"${hint(r.target, targetNames)}`);
      }
    } else if (isObject(r.target)) {
      target = compileTarget([...at, 'target'], `${r.name} (inline)`, r.target);
    }
    const filter = typeof r.filter === 'string' ? expr([...at, 'filter'], r.filter) : undefined;
    const transform = typeof r.transform === 'string' ? expr([...at, 'transform'], r.transform) : undefined;
    if (bad(at)) return;
    if (!target || !sources.has(r.source) || (r.filter && !filter) || (r.transform && !transform)) return;
    routes.push({
      name: r.name,
      source: r.source,
      topics: r.topics ?? [],
      matchesTopic: compileTopics(r.topics),
      ...(filter ? { filter } : {}),
      ...(transform ? { transform } : {}),
      each: r.each ?? false,
      target,
    });
  });

  // tests
  const tests: TestCase[] = [];
  const dir = dirname(yaml.file);
  const rawTests = Array.isArray(raw.tests) ? raw.tests : [];
  const rawRouteByName = new Map<unknown, RawRoute>();
  for (const r of rawRoutes) if (isObject(r) && !rawRouteByName.has(r.name)) rawRouteByName.set(r.name, r);
  rawTests.forEach((t, i) => {
    const at: PathSegment[] = ['tests', i];
    if (!isObject(t) || bad(at)) return;
    const line = yaml.position(yaml.offsetOf(at, false)).line;
    let ok = true;
    if (!isSource.has(t.source)) {
      error([...at, 'source'], `test "${t.name}": unknown source "${t.source}"${hint(t.source, sourceNames)}`);
      ok = false;
    }
    let payload: TestCase['payload'];
    if (typeof t.payload === 'string') {
      const file = resolve(dir, t.payload);
      // A warning, not an error: the server does not need test fixtures to run (the case itself fails in `test`).
      if (!existsSync(file) || !statSync(file).isFile()) {
        warn([...at, 'payload'], `test "${t.name}": payload file "${t.payload}" not found (looked for ${file})`, false);
      }
      payload = { file };
    } else payload = { inline: t.payload };
    const expect: Expectation[] = [];
    t.expect.forEach((e, j) => {
      const eat: PathSegment[] = [...at, 'expect', j];
      const route = rawRouteByName.get(e.route);
      if (!route) {
        error([...eat, 'route'], `test "${t.name}": unknown route "${e.route}"${hint(e.route, routeNames.keys())}`);
        ok = false;
      } else if (route.source !== t.source) {
        error([...eat, 'route'], `test "${t.name}": route "${e.route}" takes events from "${route.source}", not "${t.source}"`);
        ok = false;
      }
      const { headers, ...rest } = e;
      expect.push({
        ...rest,
        ...(headers ? { headers: stringMap(headers) } : {}),
        line: yaml.position(yaml.offsetOf(eat, false)).line,
      });
    });
    if (ok) {
      tests.push({
        name: t.name,
        source: t.source,
        headers: lowerKeys(stringMap(t.headers)),
        query: stringMap(t.query),
        ...(t.contentType ? { contentType: t.contentType } : {}),
        payload,
        expect,
        line,
      });
    }
  });

  const allowList = isObject(raw.egress) && Array.isArray(raw.egress.allow) ? raw.egress.allow.length : 0;
  if (allowList === 0) {
    for (const at of templatedHosts) warn(at, `${label(at)}: its host comes from a template, and egress.allow is empty: every call would be refused`, false);
  }

  // A claim must outlive the calls made under it, or a slow target would see a second worker step in.
  const longest = Math.max(defaults.timeoutMs, ...[...targets.values()].map((t) => t.timeoutMs), ...routes.map((r) => r.target.timeoutMs));
  // The worker makes a call only if the lease covers its timeout plus a margin; less would leave deliveries waiting forever.
  if (!leaseFits(server.leaseMs, longest)) {
    error(
      rawServer.lease ? ['server', 'lease'] : ['server'],
      `server.lease (${server.leaseMs} ms) must be longer than the longest target timeout (${longest} ms) plus the worker's margin (${leaseMargin(server.leaseMs) + 100} ms)`,
      !rawServer.lease,
    );
  }

  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0 || input.badPaths.length > 0) return { issues };
  const routesBySource = new Map<string, Route[]>();
  for (const r of routes) {
    const list = routesBySource.get(r.source);
    if (list) list.push(r);
    else routesBySource.set(r.source, [r]);
  }
  const routesFor = indexRoutes(routesBySource);
  const config: Config = {
    file: yaml.file,
    hash: createHash('sha256').update(yaml.text).digest('hex'),
    server,
    store,
    retentionMs: typeof raw.retention === 'string' && !bad(['retention']) ? (parseDuration(raw.retention) ?? 604_800_000) : 604_800_000,
    admin: { ...(adminToken ? { token: adminToken } : {}), ...(isObject(raw.admin) && Array.isArray(raw.admin.hosts) && !bad(['admin', 'hosts']) ? { hosts: raw.admin.hosts } : {}) },
    defaults,
    egress: { origins: egressOrigins, allow: egressAllow, hosts: egressHosts, patterns: egressPatterns },
    sources,
    targets,
    routes,
    routesBySource,
    routesFor,
    tests,
    // Longest first, so a secret that contains another is masked whole.
    secrets: [...secrets].filter((s) => typeof s === 'string' && s.length > 0).sort((a, b) => b.length - a.length),
    warnings: issues.filter((i) => i.severity === 'warning'),
    document: input.data,
  };
  return { config: deepFreeze(config), issues };
}

/**
 * Topic index: routes whose topics are all exact names are found by a map
 * lookup; only routes with patterns (or no topics) are tested one by one.
 */
function indexRoutes(bySource: ReadonlyMap<string, readonly Route[]>): (source: string, topic: string) => readonly Route[] {
  const index = new Map<string, { exact: Map<string, Route[]>; scan: Route[]; order: Map<Route, number> }>();
  for (const [source, routes] of bySource) {
    const exact = new Map<string, Route[]>();
    const scan: Route[] = [];
    const order = new Map<Route, number>();
    routes.forEach((r, i) => {
      order.set(r, i);
      if (r.topics.length > 0 && r.topics.every((t) => !/[*?]/.test(t))) {
        for (const t of new Set(r.topics)) {
          const list = exact.get(t);
          if (list) list.push(r);
          else exact.set(t, [r]);
        }
      } else scan.push(r);
    });
    index.set(source, { exact, scan, order });
  }
  const none: readonly Route[] = Object.freeze([]);
  return (source, topic) => {
    const entry = index.get(source);
    if (!entry) return none;
    const hits = entry.exact.get(topic) ?? none;
    const scanned = entry.scan.filter((r) => r.matchesTopic(topic));
    if (scanned.length === 0) return hits;
    if (hits.length === 0) return scanned;
    return [...hits, ...scanned].sort((a, b) => entry.order.get(a)! - entry.order.get(b)!);
  };
}

/** The host of a URL template when it is written literally (`https://api.example.com/{{ x }}`). */
function retryPolicy(raw: RawRetry | undefined, base: RetryPolicy): RetryPolicy {
  return {
    attempts: raw?.attempts ?? base.attempts,
    initialDelayMs: raw?.initialDelay ? (parseDuration(raw.initialDelay) ?? base.initialDelayMs) : base.initialDelayMs,
    maxDelayMs: raw?.maxDelay ? (parseDuration(raw.maxDelay) ?? base.maxDelayMs) : base.maxDelayMs,
  };
}

function label(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

// The raw document was checked against the schema before compile reads it: `any` lets the reads stay short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function isObject(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringMap(v: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v ?? {})) out[k] = String(val);
  return out;
}

function lowerKeys(v: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(v).map(([k, val]) => [k.toLowerCase(), val]));
}

function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return value; // typed arrays cannot be frozen
  if (value instanceof Map || value instanceof Set) {
    for (const v of (value as Map<unknown, unknown> | Set<unknown>).values()) deepFreeze(v, seen);
    return value;
  }
  for (const v of Object.values(value)) deepFreeze(v, seen);
  return Object.freeze(value);
}
