// The generic engines every HMAC-shaped and public-key preset runs on: where
// the signature is (a header, a structured header, a body field), what was
// signed (a template of parts), how old it may be. Settings are compiled once
// at load; verifying is a few lookups, one HMAC per secret and constant-time
// comparisons.
import { createPublicKey, sign as signAsymmetric, verify as verifyAsymmetric, type KeyObject } from 'node:crypto';
import { field } from './types.js';
import { decode as decodeStrict, hmac, safeEqual, safeEqualText } from './crypto.js';
import type { AsymmetricAlgorithm, HeaderFormat, HmacAlgorithm, SecretEncoding, SignatureEncoding, TimestampFormat } from './spec.js';
import { OK, reject, type SignContext, type SignedRequest, type Verdict, type VerifySettings } from './types.js';

export type SignedPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'body' | 'timestamp' | 'method' | 'url' | 'path' | 'form' }
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'field'; readonly path: string };

export const SIGNED_PARTS = ['body', 'timestamp', 'method', 'url', 'path', 'header:Name', 'field:path', 'form:sorted'] as const;

/** Parses a `signed` template; a string is the problem (an unknown part). */
export function compileSigned(template: string): SignedPart[] | { error: string; part: string; offset: number } {
  const parts: SignedPart[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    if (m.index > last) parts.push({ kind: 'text', text: template.slice(last, m.index) });
    const name = m[1]!;
    if (name === 'body' || name === 'timestamp' || name === 'method' || name === 'url' || name === 'path') parts.push({ kind: name });
    else if (name === 'form:sorted') parts.push({ kind: 'form' });
    else if (name.startsWith('header:') && name.length > 'header:'.length) parts.push({ kind: 'header', name: name.slice('header:'.length).trim().toLowerCase() });
    else if (name.startsWith('field:') && name.length > 'field:'.length) parts.push({ kind: 'field', path: name.slice('field:'.length).trim() });
    else return { error: `unknown part {${name}}`, part: name, offset: m.index };
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ kind: 'text', text: template.slice(last) });
  return parts;
}

/** The engine settings of one source: the preset's defaults with the user's keys over them. */
export interface EngineSettings {
  /** Lower-cased. */
  readonly header?: string;
  readonly signatureFrom?: string;
  readonly prefix: string;
  readonly algorithm: HmacAlgorithm | AsymmetricAlgorithm;
  readonly encoding: SignatureEncoding;
  readonly format?: HeaderFormat;
  /** Lower-cased. */
  readonly timestampHeader?: string;
  readonly timestampFrom?: string;
  readonly timestampFormat: TimestampFormat;
  /** 0: age is not checked. */
  readonly toleranceMs: number;
  readonly signed: readonly SignedPart[];
  /** The template as written, for `schemes` and errors. */
  readonly signedText: string;
  /** The public key (signature engine). */
  readonly publicKey?: KeyObject;
}

/** The HMAC key a secret stands for. */
export function secretKey(secret: string, encoding: SecretEncoding): Buffer | undefined {
  if (encoding === 'utf8') return Buffer.from(secret, 'utf8');
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(secret) ? Buffer.from(secret, 'hex') : undefined;
  const b64 = encoding === 'whsec' && secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) return undefined;
  const key = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length > 0 ? key : undefined;
}

/** A public key as PEM, or its DER (SPKI) / raw Ed25519 bytes in hex or base64. */
export function parsePublicKey(text: string, algorithm: AsymmetricAlgorithm): KeyObject | string {
  const t = text.trim();
  try {
    if (t.startsWith('-----BEGIN')) return createPublicKey(t);
    const bytes = /^(?:[0-9a-fA-F]{2})+$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) ? Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : undefined;
    if (!bytes || bytes.length === 0) return 'not PEM, hex or base64';
    if (algorithm === 'ed25519' && bytes.length === 32) {
      return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), bytes]), format: 'der', type: 'spki' });
    }
    const key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    const want = algorithm === 'ed25519' ? 'ed25519' : algorithm === 'rsa-sha256' ? 'rsa' : 'ec';
    if (key.asymmetricKeyType !== want) return `it is an ${key.asymmetricKeyType ?? 'unknown'} key, not ${want}`;
    return key;
  } catch {
    return algorithm === 'ed25519' ? 'not a valid Ed25519 public key (32 bytes, hex or base64, or PEM)' : 'not a valid public key (PEM, or DER in base64)';
  }
}

const ISO_RE = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})$/;

/** A timestamp in the sender's format as milliseconds since the epoch, or undefined when it is not one. */
export function parseTimestamp(text: string, format: TimestampFormat): number | undefined {
  const t = text.trim();
  if (format === 'iso8601') {
    const m = ISO_RE.exec(t);
    if (!m) return undefined;
    // Date.parse takes at most milliseconds: the rest of the fraction is cut.
    const ms = Date.parse(`${m[1]!.replace(' ', 'T')}${m[2] ? `.${m[2].slice(0, 3).padEnd(3, '0')}` : ''}${m[3]!.length === 5 ? `${m[3]!.slice(0, 3)}:${m[3]!.slice(3)}` : m[3]}`);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (!/^\d{1,16}$/.test(t)) return undefined;
  const n = Number(t);
  if (format === 'ms') return n;
  // Seconds; a value only milliseconds can be is taken as such, as senders vary.
  return n > 1e12 ? n : n * 1000;
}

export function formatTimestamp(now: number, format: TimestampFormat): string {
  if (format === 'ms') return String(now);
  if (format === 'iso8601') return new Date(now).toISOString();
  return String(Math.floor(now / 1000));
}

/** The items of a structured header: signatures under `format.signature`, the timestamp under `format.timestamp`. */
export function parseFormat(value: string, format: HeaderFormat): { signatures: string[]; timestamp?: string } {
  const signatures: string[] = [];
  let timestamp: string | undefined;
  // A header is at most a few KB (Node's limit); the number of signatures tried is bounded all the same.
  for (const item of value.split(format.pairs)) {
    const at = item.indexOf(format.kv);
    if (at === -1) continue;
    const key = item.slice(0, at).trim();
    const v = item.slice(at + format.kv.length).trim();
    if (key === format.signature && signatures.length < 16) signatures.push(v);
    else if (format.timestamp !== undefined && key === format.timestamp && timestamp === undefined) timestamp = v;
  }
  return { signatures, ...(timestamp !== undefined ? { timestamp } : {}) };
}

function decodeSignature(text: string, encoding: SignatureEncoding): Buffer | undefined {
  return decodeStrict(text, encoding === 'hex' ? 'hex' : 'base64');
}

function valueText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * Form parameters as Twilio (and Mandrill) sign them: sorted by name; a name
 * given several times has its distinct values sorted, each once; every name
 * followed by its value.
 */
export function sortedForm(body: Buffer): string {
  const byName = new Map<string, Set<string>>();
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
    let values = byName.get(k);
    if (!values) byName.set(k, (values = new Set()));
    values.add(v);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  let out = '';
  for (const name of [...byName.keys()].sort(cmp)) for (const v of [...byName.get(name)!].sort(cmp)) out += name + v;
  return out;
}

/** The bytes that were signed. */
export function signedBytes(parts: readonly SignedPart[], req: SignedRequest, timestamp: string | undefined, url: string): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  for (const p of parts) {
    switch (p.kind) {
      case 'text':
        out.push(p.text);
        break;
      case 'body':
        out.push(req.rawBody);
        break;
      case 'timestamp':
        out.push(timestamp ?? '');
        break;
      case 'method':
        out.push(req.method);
        break;
      case 'url':
        out.push(url);
        break;
      case 'path': {
        const u = URL.canParse(url) ? new URL(url) : undefined;
        out.push(u ? u.pathname + u.search : '');
        break;
      }
      case 'form':
        out.push(sortedForm(req.rawBody));
        break;
      case 'header':
        out.push(req.headers[p.name] ?? '');
        break;
      case 'field':
        out.push(valueText(field(req.payload?.(), p.path)));
        break;
    }
  }
  return out;
}

/** The URL the sender signed: `verify.url` when set (the address configured at the provider), with the request's query. */
function signedUrl(req: SignedRequest, s: VerifySettings): string {
  if (!s.url) return req.url;
  const search = URL.canParse(req.url) ? new URL(req.url).search : '';
  return s.url.includes('?') || !search ? s.url : s.url + search;
}

interface Located {
  readonly signatures: string[];
  readonly timestamp?: string;
}

function locate(req: SignedRequest, e: EngineSettings): Located | Verdict {
  let signatures: string[];
  let timestamp: string | undefined;
  if (e.signatureFrom !== undefined) {
    const v = field(req.payload?.(), e.signatureFrom);
    if (v === undefined || v === null || v === '') return reject('missing signature');
    if (typeof v !== 'string') return reject('malformed signature');
    signatures = [v];
  } else {
    const value = req.headers[e.header ?? ''];
    if (value === undefined || value === '') return reject('missing signature');
    if (e.format) {
      const parsed = parseFormat(value, e.format);
      signatures = parsed.signatures;
      timestamp = parsed.timestamp;
      if (signatures.length === 0) return reject('malformed signature');
    } else {
      if (e.prefix && !value.toLowerCase().startsWith(e.prefix.toLowerCase())) return reject('malformed signature');
      signatures = [value.slice(e.prefix.length)];
    }
  }
  if (e.format?.timestamp === undefined || timestamp === undefined) {
    if (e.timestampHeader !== undefined) timestamp = req.headers[e.timestampHeader];
    else if (e.timestampFrom !== undefined) {
      const v = field(req.payload?.(), e.timestampFrom);
      timestamp = typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
    }
  }
  return { signatures, ...(timestamp !== undefined ? { timestamp } : {}) };
}

/** True when the engine reads a timestamp from somewhere. */
export function hasTimestamp(e: EngineSettings): boolean {
  return e.format?.timestamp !== undefined || e.timestampHeader !== undefined || e.timestampFrom !== undefined;
}

function checkAge(e: EngineSettings, timestamp: string | undefined, now: number): Verdict {
  if (!hasTimestamp(e)) return OK;
  if (timestamp === undefined || timestamp === '') return reject('missing timestamp');
  const at = parseTimestamp(timestamp, e.timestampFormat);
  if (at === undefined) return reject('timestamp outside tolerance');
  if (e.toleranceMs > 0 && Math.abs(now - at) > e.toleranceMs) return reject('timestamp outside tolerance');
  return OK;
}

/** The generic HMAC check. */
export function verifyHmac(req: SignedRequest, s: VerifySettings): Verdict {
  const e = s.engine!;
  const found = locate(req, e);
  if ('ok' in found) return found;
  const given = found.signatures.map((t) => decodeSignature(t, e.encoding)).filter((b): b is Buffer => b !== undefined);
  if (given.length === 0) return reject('malformed signature');
  const fresh = checkAge(e, found.timestamp, req.now);
  if (!fresh.ok) return fresh;
  const message = signedBytes(e.signed, req, found.timestamp, signedUrl(req, s));
  let ok = false;
  for (const key of s.keys) {
    const expected = hmac(e.algorithm as HmacAlgorithm, key, ...message);
    for (const sig of given) if (safeEqual(expected, sig)) ok = true;
  }
  return ok ? OK : reject('signature mismatch');
}

/** The public-key check: the signature over the signed text, with the sender's public key. */
export function verifyPublicKey(req: SignedRequest, s: VerifySettings): Verdict {
  const e = s.engine!;
  const found = locate(req, e);
  if ('ok' in found) return found;
  const given = found.signatures.map((t) => decodeSignature(t, e.encoding)).filter((b): b is Buffer => b !== undefined);
  if (given.length === 0) return reject('malformed signature');
  if (e.algorithm === 'ed25519' && given.every((g) => g.length !== 64)) return reject('malformed signature');
  const fresh = checkAge(e, found.timestamp, req.now);
  if (!fresh.ok) return fresh;
  const message = Buffer.concat(signedBytes(e.signed, req, found.timestamp, signedUrl(req, s)).map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  const key = e.publicKey!;
  for (const sig of given) {
    try {
      const ok =
        e.algorithm === 'ed25519'
          ? verifyAsymmetric(null, message, key, sig)
          : e.algorithm === 'ecdsa-p256-sha256'
            ? // DER (as SendGrid sends) or the raw 64-byte r||s form.
              verifyAsymmetric('sha256', message, { key, dsaEncoding: sig.length === 64 ? 'ieee-p1363' : 'der' }, sig)
            : verifyAsymmetric('sha256', message, key, sig);
      if (ok) return OK;
    } catch {
      // A signature that is not even well-formed for the key is simply not a match.
    }
  }
  return reject('signature mismatch');
}

/** A header equals the secret. */
export function verifyToken(req: SignedRequest, s: VerifySettings): Verdict {
  const header = s.token!.header;
  const prefix = s.token!.prefix;
  const value = req.headers[header];
  if (!value) return reject('missing token');
  if (!value.toLowerCase().startsWith(prefix.toLowerCase())) return reject('token mismatch');
  const token = value.slice(prefix.length);
  let ok = false;
  for (const secret of s.secrets) if (safeEqualText(token, secret)) ok = true;
  return ok ? OK : reject('token mismatch');
}

const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="switchboard", charset="UTF-8"' };

export function verifyBasic(req: SignedRequest, s: VerifySettings): Verdict {
  const value = req.headers.authorization;
  if (!value || !/^basic\s+/i.test(value)) return reject('missing credentials', BASIC_CHALLENGE);
  const decoded = Buffer.from(value.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  const pass = colon === -1 ? '' : decoded.slice(colon + 1);
  // Both compared, always, so timing does not tell which one was wrong.
  const userOk = safeEqualText(user, s.username ?? '');
  const passOk = safeEqualText(pass, s.password ?? '');
  return userOk && passOk ? OK : reject('credentials mismatch', BASIC_CHALLENGE);
}

/** Why `switchboard send` cannot sign for these settings, or undefined. */
export function cannotSign(s: VerifySettings): string | undefined {
  const e = s.engine;
  if (!e) return undefined;
  if (e.signatureFrom !== undefined || e.timestampFrom !== undefined) return 'the signature travels inside the body, which send does not rewrite';
  if (e.signed.some((p) => p.kind === 'field')) return 'the signed text holds body fields';
  return undefined;
}

/** Signs a request the way the engine checks it (for `switchboard send`). */
export function signHmac(body: Buffer, s: VerifySettings, ctx: SignContext): Record<string, string> {
  const e = s.engine!;
  const timestamp = formatTimestamp(ctx.now, e.timestampFormat);
  const out: Record<string, string> = {};
  const headers: Record<string, string> = { 'content-type': ctx.contentType, ...lower(ctx.headers ?? {}) };
  // Headers the signed text names and the caller did not give: a fresh id (webhook-id, a message id).
  for (const p of e.signed) {
    if (p.kind === 'header' && headers[p.name] === undefined && p.name !== e.timestampHeader) {
      headers[p.name] = ctx.id;
      out[p.name] = ctx.id;
    }
  }
  if (e.timestampHeader && !(e.format?.timestamp !== undefined)) {
    headers[e.timestampHeader] = timestamp;
    out[e.timestampHeader] = timestamp;
  }
  const url = s.url ?? ctx.url;
  const req: SignedRequest = { method: 'POST', url, headers, query: {}, rawBody: body, now: ctx.now };
  const sig = hmac(e.algorithm as HmacAlgorithm, s.keys[0]!, ...signedBytes(e.signed, req, timestamp, url));
  const text = e.encoding === 'base64url' ? sig.toString('base64url') : sig.toString(e.encoding);
  if (e.format) {
    const f = e.format;
    out[e.header!] = [...(f.timestamp !== undefined ? [`${f.timestamp}${f.kv}${timestamp}`] : []), `${f.signature}${f.kv}${text}`].join(f.pairs);
  } else out[e.header!] = `${e.prefix}${text}`;
  return out;
}

function lower(h: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Why a Standard Webhooks (`whsec_…`) secret cannot work, or undefined. */
export function whsecProblem(secret: string): string | undefined {
  const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  return /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && b64.length >= 16 ? undefined : 'a Standard Webhooks secret is base64, usually with a whsec_ prefix (e.g. whsec_ZmFrZS1zZWNyZXQtZm9yLWRvY3M=)';
}

/** Signs with a private key the way the signature engine checks (for `switchboard send --key`). */
export function signWithKey(body: Buffer, s: VerifySettings, ctx: SignContext, key: KeyObject): Record<string, string> {
  const e = s.engine!;
  const timestamp = formatTimestamp(ctx.now, e.timestampFormat);
  const out: Record<string, string> = {};
  const headers: Record<string, string> = { 'content-type': ctx.contentType, ...lower(ctx.headers ?? {}) };
  if (e.timestampHeader) {
    headers[e.timestampHeader] = timestamp;
    out[e.timestampHeader] = timestamp;
  }
  const url = s.url ?? ctx.url;
  const req: SignedRequest = { method: 'POST', url, headers, query: {}, rawBody: body, now: ctx.now };
  const message = Buffer.concat(signedBytes(e.signed, req, timestamp, url).map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  const sig = e.algorithm === 'ed25519' ? signAsymmetric(null, message, key) : signAsymmetric('sha256', message, key);
  const text = e.encoding === 'base64url' ? sig.toString('base64url') : sig.toString(e.encoding);
  out[e.header!] = e.format
    ? [...(e.format.timestamp !== undefined ? [`${e.format.timestamp}${e.format.kv}${timestamp}`] : []), `${e.format.signature}${e.format.kv}${text}`].join(e.format.pairs)
    : `${e.prefix}${text}`;
  return out;
}

/**
 * Remembers which delivery id each signature came with (for schemes whose
 * signature does not cover the event, bindSignatureToId): the same signature
 * with another id is a replay carrying a forged event. Bounded: at most
 * `max` signatures, each for `ttlMs`.
 */
export class SignatureIds {
  private readonly seen = new Map<string, { id: string; at: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  /** False when `signature` was seen with a different id within the window. */
  admit(signature: string, id: string, now: number): boolean {
    for (const [k, v] of this.seen) {
      if (now - v.at <= this.ttlMs && this.seen.size <= this.max) break;
      this.seen.delete(k);
    }
    const had = this.seen.get(signature);
    if (had && now - had.at <= this.ttlMs) return had.id === id;
    this.seen.set(signature, { id, at: now });
    return true;
  }
}

/** The signature text of a request (header or body field), as the engine read it. */
export function signatureText(req: Pick<SignedRequest, 'headers' | 'payload'>, e: EngineSettings): string | undefined {
  if (e.signatureFrom !== undefined) {
    const v = field(req.payload?.(), e.signatureFrom);
    return typeof v === 'string' ? v : undefined;
  }
  return req.headers[e.header ?? ''];
}
