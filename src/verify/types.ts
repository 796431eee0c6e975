// One verification scheme = one file in src/verify/ exporting a `Scheme`, plus
// one line in registry.ts. A scheme knows which `verify:` keys it needs and
// how its provider names events (topic) and deliveries (id).

/** What a scheme sees of an incoming request. Header names are lower-cased. */
export interface EventView {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly payload: unknown;
}

/** The `verify:` keys a scheme may use (besides `scheme`). */
export type VerifyKey =
  | 'secret'
  | 'header'
  | 'algorithm'
  | 'encoding'
  | 'prefix'
  | 'timestampHeader'
  | 'signed'
  | 'tolerance'
  | 'url'
  | 'verifyToken'
  | 'publicKey'
  | 'username'
  | 'password';

export interface Scheme {
  readonly name: string;
  /** One line for docs and `validate` output. */
  readonly summary: string;
  readonly required: readonly VerifyKey[];
  readonly optional: readonly VerifyKey[];
  /** The provider's event name, e.g. `issue_comment.created`. */
  topic?(event: EventView): string | undefined;
  /** The provider's delivery id, used to absorb resends. */
  id?(event: EventView): string | undefined;
  /** A config warning for this scheme, if any (e.g. `none`). */
  readonly warning?: string;
  /** Why a secret cannot work with this scheme (checked at load), or undefined. */
  checkSecret?(secret: string): string | undefined;
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
