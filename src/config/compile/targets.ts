// targets: http ones (URL, headers, signing, chat presets) and every other kind
// (its keys checked by the kind, its templates compiled), with the origins the
// egress rules allow collected on the way.
import { urlPassword, SENSITIVE_HEADER } from '../../observe/redact.js';
import { kinds } from '../../delivery/kinds/registry.js';
import { whsecProblem } from '../../verify/engine.js';
import { hint } from '../didyoumean.js';
import { literalOrigin, parseAllowEntry, type EgressRule } from '../egress.js';
import { staticTemplate, type Template } from '../expr.js';
import type { Config, Target } from '../types.js';
import { parseRate } from '../units.js';
import type { PathSegment } from '../yamldoc.js';
import type { CompileContext } from './context.js';
import { checkRetry } from './server.js';
import { decodeURIComponentSafe, isObject, label, retryPolicy, type RawConfig, type RawTarget } from './raw.js';

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

/** Where calls may go, gathered while targets compile. */
export interface EgressCollector {
  readonly origins: Set<string>;
  readonly allow: EgressRule[];
  /** Target URLs whose host is a template (a warning when egress.allow is empty). */
  readonly templatedHosts: PathSegment[][];
}

/** egress.allow, parsed; the targets add their own origins as they compile. */
export function compileEgressAllow(ctx: CompileContext, raw: RawConfig): EgressCollector {
  const egress: EgressCollector = { origins: new Set(), allow: [], templatedHosts: [] };
  (isObject(raw.egress) && Array.isArray(raw.egress.allow) ? raw.egress.allow : []).forEach((entry, i) => {
    if (typeof entry !== 'string') return;
    const rule = parseAllowEntry(entry);
    if (typeof rule === 'string') return void ctx.error(['egress', 'allow', i], `egress.allow[${i}]: ${rule}`);
    egress.allow.push(rule);
  });
  return egress;
}

export type TargetCompiler = (at: PathSegment[], name: string, t: RawTarget) => Target | undefined;

/** Compiles one target (named, or inline in a route) with the defaults and the egress collector given. */
export function targetCompiler(ctx: CompileContext, defaults: Config['defaults'], egress: EgressCollector): TargetCompiler {
  const { bad, error, credential, template } = ctx;
  const compileTarget = (at: PathSegment[], name: string, t: RawTarget): Target | undefined => {
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
        ctx.secrets.add(text);
        credential([...at, 'headers', header], text.replace(/^(Bearer|Basic|Token)\s+/i, ''));
      }
      const tpl = template([...at, 'headers', header], text);
      if (tpl) headers.push([header, tpl]);
    }
    const origin = typeof t.url === 'string' ? literalOrigin(t.url) : undefined;
    if (origin) egress.origins.add(origin);
    else if (url) egress.templatedHosts.push([...at, 'url']);
    let sign: Target['sign'];
    const urlPw = typeof t.url === 'string' ? urlPassword(t.url) : undefined;
    if (urlPw) ctx.secrets.add(urlPw);
    if (isObject(t.sign) && typeof t.sign.secret === 'string') {
      ctx.secrets.add(t.sign.secret);
      const problem = whsecProblem(t.sign.secret);
      if (problem) error([...at, 'sign', 'secret'], `${label(at)}.sign.secret: ${problem}`);
      else sign = { key: Buffer.from(t.sign.secret.replace(/^whsec_/, ''), 'base64') };
    }
    if (!url || bad(at)) return undefined;
    const retry = retryPolicy(t.retry, defaults.retry);
    checkRetry(ctx, [...at, 'retry'], retry);
    return {
      name,
      kind: 'http',
      url,
      method: t.method ?? 'POST',
      headers,
      kindTemplates: [],
      timeoutMs: ctx.timeout([...at, 'timeout'], t.timeout, defaults.timeoutMs),
      ...(t.rateLimit ? { rateLimit: parseRate(t.rateLimit) } : {}),
      concurrency: t.concurrency ?? 10,
      retry,
      followRedirects: t.followRedirects ?? false,
      ...(sign ? { sign } : {}),
      ...(t.preset ? { preset: t.preset } : {}),
      ...(t.chatId !== undefined ? { chatId: String(t.chatId) } : {}),
    };
  };

  /** A target of another kind (amqp, nats, mqtt, redis, smtp, exec): its keys checked by the kind, its templates compiled. */
  const compileKindTarget = (at: PathSegment[], name: string, t: RawTarget): Target | undefined => {
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
      if (pw) ctx.secrets.add(pw);
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
    checkRetry(ctx, [...at, 'retry'], retry);
    const shown = typeof rawKeys.url === 'string' ? rawKeys.url : `${kind.name}:${name}`;
    return {
      name,
      kind: kind.name,
      url: staticTemplate(shown),
      method: 'POST',
      headers,
      kindSettings: settings,
      kindTemplates,
      timeoutMs: ctx.timeout([...at, 'timeout'], t.timeout, defaults.timeoutMs),
      ...(t.rateLimit ? { rateLimit: parseRate(t.rateLimit) } : {}),
      concurrency: t.concurrency ?? 10,
      retry,
      followRedirects: false,
    };
  };

  const checkUrl = (at: PathSegment[], text: string) => {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      error(at, `${label(at)}: not an http(s) URL (expected something like https://example.com/path)`);
    }
  };
  return compileTarget;
}

/** The named targets (`targets:`). */
export function compileTargets(ctx: CompileContext, raw: RawConfig, compile: TargetCompiler): Map<string, Target> {
  const targets = new Map<string, Target>();
  for (const name of isObject(raw.targets) ? Object.keys(raw.targets) : []) {
    const at: PathSegment[] = ['targets', name];
    const t = raw.targets![name];
    if (!isObject(t)) continue;
    const compiled = compile(at, name, t as RawTarget);
    if (compiled && !ctx.bad(at)) targets.set(name, compiled);
  }
  return targets;
}
