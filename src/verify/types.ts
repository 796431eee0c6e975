// One verification scheme = one file in src/verify/ exporting a `Scheme`, plus
// one line in registry.ts. A scheme knows which `verify:` keys it needs, how to
// check a request is genuine, any handshake its provider requires, and how its
// provider names events (topic) and deliveries (id).
import type { EngineSettings, SignatureIds } from './engine.js';
import type { PresetSpec } from './spec.js';

/** A source's compiled `verify:` block: what its scheme checks requests with. */
export interface VerifySettings {
  readonly scheme: Scheme;
  /** Every accepted secret (rotation: any one may match). */
  readonly secrets: readonly string[];
  /** The HMAC keys the secrets stand for (decoded by secretEncoding), in the same order. */
  readonly keys: readonly Buffer[];
  /** The hmac or signature engine's settings: the preset's with the user's keys over them. */
  readonly engine?: EngineSettings;
  /** The token engine's header (lower-cased) and prefix. */
  readonly token?: { readonly header: string; readonly prefix: string };
  /** The header that carries the signature or token, whatever its name: masked wherever headers are shown. */
  readonly header?: string;
  readonly toleranceMs: number;
  readonly url?: string;
  readonly verifyToken?: string;
  readonly publicKey?: string;
  readonly username?: string;
  readonly password?: string;
  /** bindSignatureToId schemes (Mailgun): which id each recent signature came with. */
  readonly signatureIds?: SignatureIds;
  /** Values of the scheme's own keys (`allowSha1`). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** What a scheme sees of an incoming request. Header names are lower-cased. */
export interface EventView {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly payload: unknown;
}

/** What a scheme checks: the request exactly as it arrived. */
export interface SignedRequest {
  readonly method: string;
  /** The URL the sender called, as the sender saw it (the public URL behind a proxy). */
  readonly url: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly rawBody: Buffer;
  /** Milliseconds since the epoch: the clock to check timestamps against. */
  readonly now: number;
  /** The parsed body, for schemes that read the signature or signed fields from it (parsed once, on first use). */
  readonly payload?: () => unknown;
}

export interface SignContext {
  /** The full URL the request goes to. */
  readonly url: string;
  readonly now: number;
  /** A fresh delivery id, for schemes that carry one. */
  readonly id: string;
  readonly contentType: string;
  /** Headers the caller adds (a signed text may name them). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Short, fixed reasons: they are shown to senders and in the inspector, so they never hold data. */
export type RejectReason =
  | 'missing signature'
  | 'malformed signature'
  | 'signature mismatch'
  | 'missing timestamp'
  | 'timestamp outside tolerance'
  | 'missing token'
  | 'token mismatch'
  | 'missing credentials'
  | 'credentials mismatch'
  | 'body hash mismatch';

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: RejectReason; readonly headers?: Record<string, string> };

export const OK: Verdict = Object.freeze({ ok: true });
export const reject = (reason: RejectReason, headers?: Record<string, string>): Verdict => ({ ok: false, reason, ...(headers ? { headers } : {}) });

/** An answer a scheme gives instead of the usual `{"id": …}`. */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A scheme as the server runs it: its declaration (spec.ts), resolved by the registry. */
export interface Scheme {
  readonly name: string;
  /** One line for docs and `validate` output. */
  readonly summary: string;
  readonly spec: PresetSpec;
  readonly engine: 'hmac' | 'signature' | 'token' | 'basic' | 'none' | 'custom';
  /** The `verify:` keys a user may set (besides `scheme`). */
  readonly keys: readonly string[];
  readonly required: readonly string[];
  /** The provider's event name, e.g. `issue_comment.created`. */
  topic?(event: EventView): string | undefined | Promise<string | undefined>;
  /** The provider's delivery id, used to absorb resends. */
  id?(event: EventView): string | undefined | Promise<string | undefined>;
  /** A config warning for this scheme, if any (e.g. `none`). */
  readonly warning?: string;
  /** Is the request genuine? Runs on the raw bytes (the parsed body on demand). */
  verify(req: SignedRequest, settings: VerifySettings): Verdict;
  /** The answer to an accepted webhook when the source sets no `respond` (Twilio wants TwiML). */
  accepted?(): Reply;
  /**
   * Signs a body as the provider would, for `switchboard send` (local testing):
   * the headers to add. Absent when signing needs something the config does not
   * hold (a private key).
   */
  sign?(body: Buffer, settings: VerifySettings, ctx: SignContext): Record<string, string>;
}

/** Reads `a.b.c` from a parsed payload; undefined when any step is missing. */
export function field(payload: unknown, path: string): unknown {
  let cur: unknown = payload;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A payload field as a non-empty string, or undefined. */
export function text(payload: unknown, path: string): string | undefined {
  const v = field(payload, path);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

export function joinTopic(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  return present.length ? present.join('.') : undefined;
}
