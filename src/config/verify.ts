// A source's `verify:` block, `handshake:` rules and `split:` compiled against
// its scheme's declaration: the preset's settings with the user's keys over
// them, every problem positioned at its key with a did-you-mean.
import { plainExpr, type Expr } from '../lib/jsonata.js';
import { hmac as mac, safeEqualText } from '../verify/crypto.js';
import { compileSigned, hasTimestamp, parsePublicKey, secretKey, SIGNED_PARTS, SignatureIds, type EngineSettings } from '../verify/engine.js';
import { CREDENTIAL_KEYS, type ENGINE_KEYS } from '../verify/keys.js';
import { schemes } from '../verify/registry.js';
import type { AsymmetricAlgorithm, HeaderFormat, HmacAlgorithm, HmacDefaults, SecretEncoding, SignatureEncoding, TimestampFormat } from '../verify/spec.js';
import type { VerifySettings } from '../verify/types.js';
import { hint } from './didyoumean.js';
import type { HandshakeRule } from './types.js';
import { parseDuration } from './units.js';
import type { PathSegment } from './yamldoc.js';

export interface VerifyContext {
  error(path: readonly PathSegment[], message: string, key?: boolean): void;
  warn(path: readonly PathSegment[], message: string, key?: boolean): void;
  credential(path: readonly PathSegment[], value: unknown): void;
  expr(path: readonly PathSegment[], text: string): Expr | undefined;
  label(path: readonly PathSegment[]): string;
}

const HMAC_ALGORITHMS = new Set(['sha1', 'sha256', 'sha512']);
const ASYMMETRIC = new Set(['ed25519', 'ecdsa-p256-sha256', 'rsa-sha256']);

/** `0`, `"0"` or a duration; undefined when it is none of them. */
export function toleranceMs(v: unknown): number | undefined {
  if (v === 0 || v === '0') return 0;
  return typeof v === 'string' ? parseDuration(v) : undefined;
}

export function compileVerify(at: PathSegment[], v: Record<string, unknown>, ctx: VerifyContext): VerifySettings | undefined {
  const { error, label } = ctx;
  const scheme = schemes.get(v.scheme as string);
  if (!scheme) {
    error([...at, 'scheme'], `${label(at)}: unknown verification scheme "${String(v.scheme)}"${hint(String(v.scheme), schemes.keys())}`);
    return undefined;
  }
  const spec = scheme.spec;
  let ok = true;
  for (const key of scheme.required) {
    if (v[key] === undefined) {
      error(at, `${label(at)}: scheme "${scheme.name}" needs "${key}"`, true);
      ok = false;
    }
  }
  const extra = spec.extraKeys ?? {};
  const allowed = new Set<string>(['scheme', ...scheme.keys, ...Object.keys(extra)]);
  for (const key of Object.keys(v)) {
    if (allowed.has(key)) continue;
    const others = [...allowed].filter((k) => k !== 'scheme');
    error([...at, key], `${label([...at, key])}: scheme "${scheme.name}" has no setting "${key}"${hint(key, others) || (others.length ? ` (its settings: ${others.join(', ')})` : '')}`, true);
    ok = false;
  }
  if (scheme.warning) ctx.warn([...at, 'scheme'], `${label(at.slice(0, -1))}: ${scheme.warning}`);

  const secrets = v.secret === undefined ? [] : Array.isArray(v.secret) ? (v.secret as unknown[]) : [v.secret];
  const secretPath = (i: number): PathSegment[] => (Array.isArray(v.secret) ? [...at, 'secret', i] : [...at, 'secret']);
  secrets.forEach((secret, i) => ctx.credential(secretPath(i), secret));
  for (const key of CREDENTIAL_KEYS) if (key !== 'secret') ctx.credential([...at, key], v[key]);

  const str = (key: string): string | undefined => (typeof v[key] === 'string' ? (v[key] as string) : undefined);
  const defaults = (spec.hmac ?? spec.signature ?? {}) as HmacDefaults & { algorithm?: string };
  const pick = <T>(key: (typeof ENGINE_KEYS)[number]): T | undefined => (v[key] !== undefined ? (v[key] as T) : (defaults[key as keyof HmacDefaults] as T | undefined));

  const tolRaw = v.tolerance ?? defaults.tolerance ?? '5m';
  const tol = toleranceMs(tolRaw);
  if (tol === undefined) {
    const why =
      typeof tolRaw === 'number' ? `a bare number has no unit: write ${tolRaw}s for seconds (or 0 to not check age)` : `"${String(tolRaw)}" is not a duration like 30s or 5m (or 0 to not check age)`;
    error([...at, 'tolerance'], `${label([...at, 'tolerance'])}: ${why}`);
    ok = false;
  }

  const secretEncoding = pick<SecretEncoding>('secretEncoding') ?? 'utf8';
  const keys: Buffer[] = [];
  secrets.forEach((secret, i) => {
    if (typeof secret !== 'string') return; // a schema error already
    const problem = spec.checkSecret?.(secret, { secretEncoding });
    if (problem) {
      error(secretPath(i), `${label(secretPath(i))}: ${problem}`);
      ok = false;
      return;
    }
    const key = secretKey(secret, secretEncoding);
    if (!key) {
      error(secretPath(i), `${label(secretPath(i))}: not valid ${secretEncoding === 'whsec' ? 'whsec_ (base64)' : secretEncoding} text, as secretEncoding says it is`);
      ok = false;
      return;
    }
    keys.push(key);
  });

  let engine: EngineSettings | undefined;
  if (scheme.engine === 'hmac' || scheme.engine === 'signature') {
    engine = compileEngine(at, v, scheme.engine, pick, tol ?? 0, ctx);
    if (!engine) ok = false;
  }
  const token =
    scheme.engine === 'token'
      ? (() => {
          const header = (str('header') ?? spec.token?.header ?? 'authorization').toLowerCase();
          return { header, prefix: str('prefix') ?? spec.token?.prefix ?? (header === 'authorization' ? 'Bearer ' : '') };
        })()
      : undefined;

  if (ok && secrets.length === 0 && (scheme.engine === 'hmac' || scheme.engine === 'token') && !scheme.required.includes('secret')) {
    ctx.warn(
      at,
      `${label(at)}: no secret yet: every signed request is refused until one is set${spec.handshake?.some((r) => r.record) ? ` (${scheme.name} sends it in its first request: see the inspector, topic ${spec.handshake.find((r) => r.record)!.record})` : ''}`,
      true,
    );
  }
  const options: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(extra)) options[key] = v[key] ?? schema.default;
  if (!ok) return undefined;
  const header = engine?.header ?? token?.header ?? spec.signatureHeader?.toLowerCase();
  return {
    scheme,
    secrets: secrets as string[],
    keys,
    ...(engine ? { engine } : {}),
    ...(token ? { token } : {}),
    ...(header ? { header } : {}),
    toleranceMs: tol ?? 300_000,
    ...(str('url') ? { url: str('url') } : {}),
    ...(str('verifyToken') ? { verifyToken: str('verifyToken') } : {}),
    ...(str('publicKey') ? { publicKey: str('publicKey') } : {}),
    ...(str('username') ? { username: str('username') } : {}),
    ...(str('password') ? { password: str('password') } : {}),
    ...(spec.bindSignatureToId ? { signatureIds: new SignatureIds(Math.max(tol ?? 300_000, 60_000) * 2) } : {}),
    options,
  };
}

function compileEngine(
  at: PathSegment[],
  v: Record<string, unknown>,
  kind: 'hmac' | 'signature',
  pick: <T>(key: (typeof ENGINE_KEYS)[number]) => T | undefined,
  tolerance: number,
  ctx: VerifyContext,
): EngineSettings | undefined {
  const { error, label } = ctx;
  const where = (key: string): PathSegment[] => (v[key] !== undefined ? [...at, key] : [...at, 'scheme']);
  let ok = true;
  const header = pick<string>('header');
  const signatureFrom = pick<string>('signatureFrom');
  if (header === undefined && signatureFrom === undefined) {
    error(at, `${label(at)}: say where the signature is: "header" (a header name) or "signatureFrom" (a path into the body)`, true);
    ok = false;
  }
  const algorithm = pick<string>('algorithm') ?? (kind === 'hmac' ? 'sha256' : undefined);
  if (kind === 'hmac' && !HMAC_ALGORITHMS.has(algorithm!)) {
    error(where('algorithm'), `${label([...at, 'algorithm'])}: "${algorithm}" is not an HMAC hash: use sha1, sha256 or sha512 (or scheme: signature for public-key algorithms)`);
    ok = false;
  }
  if (kind === 'signature' && (algorithm === undefined || !ASYMMETRIC.has(algorithm))) {
    error(where('algorithm'), `${label([...at, 'algorithm'])}: scheme signature needs a public-key algorithm: ed25519, ecdsa-p256-sha256 or rsa-sha256`);
    ok = false;
  }
  const signedText = pick<string>('signed') ?? '{body}';
  const signed = compileSigned(signedText);
  if (!Array.isArray(signed)) {
    error(
      where('signed'),
      `${label([...at, 'signed'])}: ${signed.error}${
        hint(
          signed.part,
          SIGNED_PARTS.map((p) => p.split(':')[0]!),
        ) || ''
      } (parts: ${SIGNED_PARTS.map((p) => `{${p}}`).join(', ')})`,
    );
    return undefined;
  }
  const rawFormat = pick<Partial<HeaderFormat>>('format');
  const format = rawFormat
    ? { pairs: rawFormat.pairs ?? ',', kv: rawFormat.kv ?? '=', signature: rawFormat.signature!, ...(rawFormat.timestamp ? { timestamp: rawFormat.timestamp } : {}) }
    : undefined;
  const timestampHeader = pick<string>('timestampHeader')?.toLowerCase();
  const timestampFrom = pick<string>('timestampFrom');
  const settings: EngineSettings = {
    ...(header !== undefined ? { header: header.toLowerCase() } : {}),
    ...(signatureFrom !== undefined ? { signatureFrom } : {}),
    prefix: pick<string>('prefix') ?? '',
    algorithm: algorithm as HmacAlgorithm | AsymmetricAlgorithm,
    encoding: pick<SignatureEncoding>('encoding') ?? 'hex',
    ...(format ? { format } : {}),
    ...(timestampHeader ? { timestampHeader } : {}),
    ...(timestampFrom ? { timestampFrom } : {}),
    timestampFormat: pick<TimestampFormat>('timestampFormat') ?? 'seconds',
    toleranceMs: tolerance,
    signed,
    signedText,
  };
  const userSet = (key: string) => v[key] !== undefined;
  if (header !== undefined && signatureFrom !== undefined) {
    error(where(userSet('signatureFrom') ? 'signatureFrom' : 'header'), `${label(at)}: give the signature's place once: "header" or "signatureFrom", not both`);
    ok = false;
  }
  if (timestampHeader !== undefined && timestampFrom !== undefined) {
    error(where(userSet('timestampFrom') ? 'timestampFrom' : 'timestampHeader'), `${label(at)}: give the timestamp's place once: "timestampHeader" or "timestampFrom", not both`);
    ok = false;
  }
  if (format && userSet('prefix')) ctx.warn([...at, 'prefix'], `${label([...at, 'prefix'])}: ignored with "format" (the format's keys say where the signature is)`);
  if (userSet('tolerance') && !hasTimestamp(settings) && tolerance !== 0)
    ctx.warn([...at, 'tolerance'], `${label([...at, 'tolerance'])}: ignored: nothing says where a timestamp is (timestampHeader, timestampFrom or format.timestamp)`);
  const signsBody = signed.some((p) => p.kind === 'body' || p.kind === 'form' || p.kind === 'field');
  if (!signsBody) ctx.warn(where('signed'), `${label([...at, 'signed'])}: nothing of the body is signed ({body}, {form:sorted} or {field:…}): anyone holding one signature can send any body with it`);
  // A timestamp header outside the signed text can be replaced at will: its age check then stops nothing.
  if (timestampHeader !== undefined && !signed.some((p) => p.kind === 'timestamp' || (p.kind === 'header' && p.name === timestampHeader))) {
    ctx.warn(
      where('timestampHeader'),
      `${label([...at, 'timestampHeader'])}: the timestamp is not in the signed text ("signed" has no {timestamp}), so its age check does not stop replays: a resend with a fresh timestamp passes`,
    );
  }
  if (signed.some((p) => p.kind === 'timestamp') && !hasTimestamp(settings)) {
    error(where('signed'), `${label([...at, 'signed'])}: uses {timestamp} but nothing says where the timestamp is (timestampHeader, timestampFrom or format.timestamp)`);
    ok = false;
  }
  if (kind === 'signature' && typeof v.publicKey === 'string') {
    const key = parsePublicKey(v.publicKey, algorithm as AsymmetricAlgorithm);
    if (typeof key === 'string') {
      error([...at, 'publicKey'], `${label([...at, 'publicKey'])}: ${key}`);
      ok = false;
    } else if (ok) return { ...settings, publicKey: key };
  }
  return ok ? settings : undefined;
}

/** What handshake expressions may call: $hmac and $tokenEquals, keyed with the source's own secrets. */
export function handshakeBindings(s: VerifySettings): Record<string, unknown> {
  return {
    hmac: (algorithm: unknown, text: unknown, encoding: unknown) => {
      const alg = typeof algorithm === 'string' && HMAC_ALGORITHMS.has(algorithm) ? (algorithm as HmacAlgorithm) : undefined;
      const enc = encoding === undefined ? 'hex' : encoding;
      if (!alg || typeof text !== 'string' || (enc !== 'hex' && enc !== 'base64' && enc !== 'base64url')) return undefined;
      const key = s.keys[0] ?? (s.secrets[0] !== undefined ? Buffer.from(s.secrets[0]) : undefined);
      return key ? mac(alg, key, text).toString(enc) : undefined;
    },
    // Against verifyToken only: a probe's token travels in URLs (and proxy logs), so it must not be the signing secret.
    tokenEquals: (text: unknown) => typeof text === 'string' && s.verifyToken !== undefined && safeEqualText(text, s.verifyToken),
  };
}

interface RawRule {
  when?: unknown;
  respond?: { status?: unknown; headers?: Record<string, unknown>; body?: unknown };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer']);

/** Why a header cannot be sent in an answer: a bad name, a line break or non-Latin-1 text in the value, or a framing header the server sets. */
export function responseHeaderProblem(name: string, value: string): string | undefined {
  if (!TOKEN.test(name)) return `"${name}" is not a valid header name`;
  if (FRAMING.has(name.toLowerCase())) return `${name} is set by the server from the body; it cannot be configured`;

  if (/[\r\n\0]/.test(value)) return 'a header value cannot hold a line break';

  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) return 'a header value must be Latin-1 text (no control characters or characters beyond U+00FF)';
  return undefined;
}

/** The preset's rules, then the source's own (`handshake:`). */
export function compileHandshake(at: PathSegment[], own: unknown, s: VerifySettings | undefined, ctx: VerifyContext): HandshakeRule[] | undefined {
  const rules: HandshakeRule[] = [];
  let ok = true;
  if (Array.isArray(own)) {
    own.forEach((raw: RawRule, i) => {
      const here: PathSegment[] = [...at, i];
      if (typeof raw?.when !== 'string') return; // a schema error already
      const when = ctx.expr([...here, 'when'], raw.when);
      const body = typeof raw.respond?.body === 'string' ? ctx.expr([...here, 'respond', 'body'], raw.respond.body) : undefined;
      if (!when || (typeof raw.respond?.body === 'string' && !body)) {
        ok = false;
        return;
      }
      const headers = Object.fromEntries(Object.entries(raw.respond?.headers ?? {}).map(([k, x]) => [k, String(x)]));
      for (const [name, value] of Object.entries(headers)) {
        const problem = responseHeaderProblem(name, value);
        if (problem) {
          ctx.error([...here, 'respond', 'headers', name], `${ctx.label([...here, 'respond', 'headers', name])}: ${problem}`, true);
          ok = false;
        }
      }
      rules.push({
        when,
        status: typeof raw.respond?.status === 'number' ? raw.respond.status : 200,
        headers,
        ...(body ? { body } : {}),
        unsigned: false,
      });
    });
  }
  for (const r of s?.scheme.spec.handshake ?? []) {
    rules.push({
      when: plainExpr(r.when),
      status: r.respond.status ?? 200,
      headers: r.respond.headers ?? {},
      ...(r.respond.body !== undefined ? { body: plainExpr(r.respond.body) } : {}),
      unsigned: r.unsigned === true,
      ...(r.record !== undefined ? { record: r.record } : {}),
    });
  }
  return ok ? rules : undefined;
}

/** The source's own `split:`, else its preset's. */
export function compileSplit(at: PathSegment[], own: unknown, s: VerifySettings | undefined, ctx: VerifyContext): Expr | undefined | false {
  if (typeof own === 'string') return ctx.expr(at, own) ?? false;
  return s?.scheme.spec.split !== undefined ? plainExpr(s.scheme.spec.split) : undefined;
}
