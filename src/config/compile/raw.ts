// The shapes the JSON Schema guarantees of a routes.yaml (where it reported no
// error), and the small helpers every section's compiler reads them with.
import type { RetryPolicy, Target } from '../types.js';
import { parseDuration } from '../units.js';
import type { PathSegment } from '../yamldoc.js';

export interface RawRetry {
  attempts?: number;
  initialDelay?: string;
  maxDelay?: string;
}
export interface RawVerify {
  scheme: string;
  secret?: string | string[];
  [key: string]: unknown;
}
export interface RawSource {
  path?: string;
  verify: RawVerify;
  topic?: string;
  id?: string;
  rateLimit?: string;
  respond?: { status?: number; headers?: Record<string, unknown>; body?: string };
  handshake?: unknown[];
  split?: string;
}
export interface RawTarget {
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
export interface RawRoute {
  name: string;
  source: string;
  topics?: string[];
  filter?: string;
  transform?: string;
  each?: boolean;
  target: string | RawTarget;
}
export interface RawExpectation {
  route: string;
  skipped?: boolean;
  body?: unknown;
  bodies?: unknown[];
  url?: string;
  method?: string;
  headers?: Record<string, unknown>;
  error?: string;
}
export interface RawTest {
  name: string;
  source: string;
  headers?: Record<string, unknown>;
  query?: Record<string, unknown>;
  contentType?: string;
  payload: unknown;
  expect: RawExpectation[];
}
export interface RawConfig {
  server?: { port?: number; basePath?: string; maxBodySize?: string | number; publicUrl?: string; lease?: string; maxFanout?: number; maxSplit?: number; workers?: number };
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

export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 3_600_000 };

export function retryPolicy(raw: RawRetry | undefined, base: RetryPolicy): RetryPolicy {
  return {
    attempts: raw?.attempts ?? base.attempts,
    initialDelayMs: raw?.initialDelay ? (parseDuration(raw.initialDelay) ?? base.initialDelayMs) : base.initialDelayMs,
    maxDelayMs: raw?.maxDelay ? (parseDuration(raw.maxDelay) ?? base.maxDelayMs) : base.maxDelayMs,
  };
}

/** `routes[2].target.url`: a path as messages name it. */
export function label(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

// The raw document was checked against the schema before compile reads it: `any` lets the reads stay short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isObject(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function stringMap(v: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v ?? {})) out[k] = String(val);
  return out;
}

export function lowerKeys(v: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(v).map(([k, val]) => [k.toLowerCase(), val]));
}

export function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
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
