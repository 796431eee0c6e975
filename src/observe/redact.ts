// Secrets never leave the process in output: not in logs, errors, the
// inspector, the admin API (parsed payloads included), `try` output or
// metrics. Everything shown goes through here.
//
// Masking must hide the secret without garbling unrelated text. A secret of 8
// characters or more is masked wherever it occurs; a shorter one (an admin
// token `t`, Twilio's test secret `12345`) only where it stands as a whole
// token, bounded by non-alphanumeric characters or the ends of the value —
// otherwise every `t` in `application/json` would go. A password in a URL's
// userinfo (`postgres://user:pw@host`) is masked always, known or not.

export const MASK = '***';

/** Shorter secrets are masked only as whole tokens, and `validate` calls them weak. */
export const WEAK_SECRET_LENGTH = 8;

/** Header names whose values are credentials, shown masked everywhere. */
export const SENSITIVE_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-access-token)$|secret|token|signature|password|hmac|credential|api[-_]?key/i;

/** Beyond this depth a shown value is cut off rather than walked (a hostile payload can nest 100,000 levels). */
const MAX_DEPTH = 256;
const TOO_DEEP = '[nested too deeply to show]';

export interface HeaderOptions {
  /** More header names (any case) whose values are credentials: a source's `verify.header`, say. */
  readonly sensitive?: readonly (string | undefined)[];
}

export interface Redactor {
  text(value: string): string;
  headers(headers: Readonly<Record<string, string>>, options?: HeaderOptions): Record<string, string>;
  /** A JSON-like value with every string, object key and number masked: a parsed payload, an API answer. */
  value<T>(value: T): T;
}

export interface RedactorOptions {
  /** What a secret is replaced by (default `***`, or a URL secret's origin + `/***`). */
  replace?: (secret: string) => string;
}

const cache = new WeakMap<readonly string[], Redactor>();

/**
 * A redactor for these secrets. Called on every rejected request and every
 * admin answer, so the work (one regular expression for all secrets) is done
 * once per frozen list — a compiled Config's `secrets` is one.
 */
export function createRedactor(secrets: readonly string[], options: RedactorOptions = {}): Redactor {
  const cacheable = !options.replace && Object.isFrozen(secrets);
  if (cacheable) {
    const hit = cache.get(secrets);
    if (hit) return hit;
  }
  const redactor = build(secrets, options.replace ?? maskFor);
  if (cacheable) cache.set(secrets, redactor);
  return redactor;
}

function build(secrets: readonly string[], replace: (secret: string) => string): Redactor {
  // One group per secret, longest first: the group that matched says which
  // secret it was (and so its replacement). Each group matches the secret in
  // every form it can take in text we show (see secretPattern).
  const list = [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  const masks = list.map((s) => replace(s));
  const alternatives = list.map((s) => {
    const p = secretPattern(s);
    return s.length >= WEAK_SECRET_LENGTH ? `(${p})` : `${WEAK_BEFORE}(${p})(?![\\p{L}\\p{N}])`;
  });
  const pattern = alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'gu') : undefined;
  // Text without `%`, `\\` or `+` can hold a secret only as itself: the plain
  // secrets, searched for as literals, are many times faster to look for.
  const plain = list.map((s) => (s.length >= WEAK_SECRET_LENGTH ? `(${escape(s)})` : `(?<![\\p{L}\\p{N}])(${escape(s)})(?![\\p{L}\\p{N}])`));
  const plainPattern = plain.length > 0 ? new RegExp(plain.join('|'), 'gu') : undefined;
  const pick = (...args: unknown[]): string => {
    for (let i = 0; i < masks.length; i++) if (args[i + 1] !== undefined) return masks[i]!;
    return MASK;
  };

  const text = (value: string): string => {
    let out = value;
    if (pattern && plainPattern) out = out.replace(ENCODED.test(out) ? pattern : plainPattern, pick);
    if (out.includes('://')) out = maskUrlPasswords(out);
    return out;
  };

  const value = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return text(v);
    if (typeof v === 'number' || typeof v === 'bigint') {
      // An all-digit secret sent as a JSON number is still the secret.
      const s = String(v);
      const masked = text(s);
      return masked === s ? v : masked;
    }
    if (v === null || typeof v !== 'object') return v;
    if (depth >= MAX_DEPTH) return TOO_DEEP;
    if (Array.isArray(v)) return v.map((x) => value(x, depth + 1));
    const out: Record<string, unknown> = {};
    // defineProperty, not assignment: a payload's own "__proto__" key must stay a key.
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, text(k), { value: value(x, depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  };

  return {
    text,
    headers(headers, options = {}) {
      const extra = new Set((options.sensitive ?? []).filter((h): h is string => !!h).map((h) => h.toLowerCase()));
      const out: Record<string, string> = {};
      for (const [name, v] of Object.entries(headers)) {
        if (SENSITIVE_HEADER.test(name) || extra.has(name.toLowerCase())) out[name] = maskHeaderValue(v);
        else out[name] = text(v);
      }
      return out;
    },
    value: <T>(v: T) => value(v, 0) as T,
  };
}

/** A credential header keeps its auth scheme (`Bearer ***`) so a reader can tell which kind was sent. */
export function maskHeaderValue(value: string): string {
  const scheme = /^(Bearer|Basic|Token|Digest)\s/i.exec(value)?.[1];
  return scheme ? `${scheme} ${MASK}` : MASK;
}

/** `scheme://user:password@host` → `scheme://user:***@host`, wherever it appears in text. */
export function maskUrlPasswords(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'<>]*:)([^\s/?#"'<>]+)@/gi, `$1${MASK}@`);
}

/** The password of a URL's userinfo, decoded, if it has one (a store URL, a target URL). */
export function urlPassword(text: string): string | undefined {
  try {
    const password = new URL(text).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A short secret stands as a whole token when no letter or digit is next to it
 * — except one that ends an escape (`%3D`, `\u003d`, `\n`): `pin%3D12345` is
 * `pin=12345` encoded, and its 12345 is a token.
 */
const WEAK_BEFORE = '(?<!(?<!%[0-9A-Fa-f]|\\\\u[0-9A-Fa-f]{3}|\\\\)[\\p{L}\\p{N}])';

/**
 * A regular expression source matching `secret` however a character of it is
 * written in text we show: as itself; percent-encoded, upper- or lower-case hex
 * (a query string, a form body: `%2F`, `%2f`, a space also as `+`); or
 * JSON-escaped (a JSON body's raw text: `\/`, `\"`, `\n`…, `\u002F` in either
 * case, an astral character as its surrogate pair). Forms may mix within one
 * occurrence, as encoders mix them.
 */
export function secretPattern(secret: string): string {
  let out = '';
  for (const ch of secret) out += charPattern(ch);
  return out;
}

/** What only an encoded form of a character has: a percent-escape, a JSON escape, a form-encoded space. */
const ENCODED = /[%\\+]/;

const JSON_SHORT: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't' };

function charPattern(ch: string): string {
  let units = '';
  for (let i = 0; i < ch.length; i++) units += `\\\\u${anyCaseHex(ch.charCodeAt(i), 4)}`;
  const forms = [units];
  const code = ch.codePointAt(0)!;
  // A lone surrogate has no UTF-8 form of its own (an encoder writes U+FFFD's): only JSON can carry it.
  if (ch.length === 2 || code < 0xd800 || code > 0xdfff) forms.push([...Buffer.from(ch, 'utf8')].map((b) => `%${anyCaseHex(b, 2)}`).join(''));
  const short = JSON_SHORT[ch];
  if (short !== undefined) forms.push(`\\\\${escape(short)}`);
  if (ch === ' ') forms.push('\\+');
  // Longest first, the character itself last: where a form could end early (a raw
  // `%` before `25`), the match takes in the whole escape, leaving none of it behind.
  forms.push(escape(ch));
  return `(?:${forms.join('|')})`;
}

/** `n` as hex of `width` digits, each letter matched in either case. */
function anyCaseHex(n: number, width: number): string {
  return [...n.toString(16).padStart(width, '0')].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A URL secret (a Slack webhook URL, say) keeps its origin visible; the rest is hidden. */
function maskFor(secret: string): string {
  if (/^https?:\/\//i.test(secret)) {
    try {
      return `${new URL(secret).origin}/${MASK}`;
    } catch {
      return MASK;
    }
  }
  return MASK;
}
