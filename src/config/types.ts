// The compiled config: an immutable value built once per load and passed to
// everything that needs it. A reload builds a new one and swaps it whole.
import type { Redactor } from '../observe/redact.js';
import type { VerifySettings } from '../verify/types.js';
import type { Egress } from './egress.js';
import type { Expr, Template } from './expr.js';
import type { TopicMatcher } from './glob.js';
import type { ConfigIssue } from './issues.js';
import type { Rate } from './units.js';

/** A provider probe answered instead of stored: the preset's rules, then the source's own. */
export interface HandshakeRule {
  readonly when: Expr;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Expr;
  /** Checked before the signature (a probe the provider does not sign). */
  readonly unsigned: boolean;
  /** Stored as an event under this topic, without deliveries (see HandshakeRuleSpec.record). */
  readonly record?: string;
}

export interface Source {
  readonly name: string;
  /** Path under basePath, e.g. `/github`. */
  readonly path: string;
  readonly verify: VerifySettings;
  /** Overrides the scheme's topic rule. */
  readonly topic?: Expr;
  /** Overrides the scheme's delivery-id rule. */
  readonly id?: Expr;
  readonly rateLimit?: Rate;
  readonly respond?: { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body?: Expr };
  readonly handshake: readonly HandshakeRule[];
  /** Bound in handshake expressions: $hmac and $tokenEquals keyed with this source's secrets. */
  readonly handshakeBindings: Readonly<Record<string, unknown>>;
  /** One event per element of this expression's array (a batched body). */
  readonly split?: Expr;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface Target {
  readonly name: string;
  /** `http`, or a kind from src/delivery/kinds/registry.ts (amqp, nats, mqtt, redis, smtp, exec). */
  readonly kind: string;
  /** http: where to call; other kinds: the broker's URL (static), or a stand-in naming the command (exec). */
  readonly url: Template;
  readonly method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET';
  /** Other kinds: their compiled settings (one object per load: a reload that changes them reconnects). */
  readonly kindSettings?: unknown;
  /** Other kinds: their templated keys, rendered per delivery (exec's argv items as `argv.<n>`). */
  readonly kindTemplates: readonly (readonly [string, Template])[];
  /** http: a chat service's body for a string transform result. */
  readonly preset?: 'slack' | 'discord' | 'teams' | 'telegram';
  /** http with preset telegram: the chat to post to. */
  readonly chatId?: string;
  readonly headers: readonly (readonly [string, Template])[];
  readonly timeoutMs: number;
  readonly rateLimit?: Rate;
  readonly concurrency: number;
  readonly retry: RetryPolicy;
  readonly followRedirects: boolean;
  /** Standard Webhooks signing keys (decoded); calls are signed when present. */
  readonly sign?: { readonly key: Buffer };
}

export interface Route {
  readonly name: string;
  readonly source: string;
  readonly topics: readonly string[];
  readonly matchesTopic: TopicMatcher;
  readonly filter?: Expr;
  readonly transform?: Expr;
  readonly each: boolean;
  readonly target: Target;
}

export interface Expectation {
  readonly route: string;
  readonly skipped?: boolean;
  readonly body?: unknown;
  readonly bodies?: readonly unknown[];
  readonly url?: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly error?: string;
  /** Where the expectation is written, for failure messages. */
  readonly line: number;
}

export interface TestCase {
  readonly name: string;
  readonly source: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType?: string;
  /** An absolute file path, or the payload written inline. */
  readonly payload: { readonly file: string } | { readonly inline: unknown };
  readonly expect: readonly Expectation[];
  readonly line: number;
}

export interface Config {
  readonly file: string;
  /** sha256 of the file's bytes: the live "version". */
  readonly hash: string;
  /** The file's text, as compiled (delivery threads compile the same text again: a Config cannot cross threads). */
  readonly text: string;
  readonly server: {
    readonly port: number;
    readonly basePath: string;
    readonly maxBodySize: number;
    readonly publicUrl?: string;
    /** How long a claim on a delivery holds. */
    readonly leaseMs: number;
    /** Most calls one delivery may make (`each` items). */
    readonly maxFanout: number;
    /** Most events one batched request may become (`split:`); past it, 413. */
    readonly maxSplit: number;
    /** Threads: 1 is one event loop; N > 1 is the main thread (ingest, admin) and N - 1 delivery threads. */
    readonly workers: number;
  };
  readonly store: string;
  /** Settled events older than this are pruned. */
  readonly retentionMs: number;
  /** `hosts`: more Host names (optionally `name:port`) /admin answers for once a token is set. */
  readonly admin: { readonly token?: string; readonly hosts?: readonly string[] };
  readonly defaults: { readonly timeoutMs: number; readonly retry: RetryPolicy };
  /** Where outgoing calls may go: the origins written in target URLs, and egress.allow (SPEC guarantee 8). */
  readonly egress: Egress;
  readonly sources: ReadonlyMap<string, Source>;
  /** Sources by the full path requests name (basePath + path, no trailing slash; `/` for the root). */
  readonly sourcesByPath: ReadonlyMap<string, Source>;
  readonly targets: ReadonlyMap<string, Target>;
  readonly routes: readonly Route[];
  readonly routesByName: ReadonlyMap<string, Route>;
  /** Routes by source name, in file order. */
  readonly routesBySource: ReadonlyMap<string, readonly Route[]>;
  /** The routes of `source` whose topics match `topic`, in file order (indexed: constant time in the number of exact topics). */
  routesFor(source: string, topic: string): readonly Route[];
  readonly tests: readonly TestCase[];
  /** Values that must never be shown: interpolated values and every secret field. */
  readonly secrets: readonly string[];
  /** Masks those secrets (built once per config). */
  readonly redact: Redactor;
  readonly warnings: readonly ConfigIssue[];
  /** The file's data after ${env} interpolation: what GET /admin/config shows, secrets masked. */
  readonly document: unknown;
  /** The environment variables and secret files the file refers to (`${NAME}`, `${file:/path}`). */
  readonly references: { readonly env: readonly string[]; readonly files: readonly string[] };
}
