// What an incoming webhook is about: its topic and the sender's delivery id,
// from the source's own expressions or its scheme's preset rules. Shared by
// the server and by `try`/`test`, so a dry run sees exactly what the server would.
import type { HandshakeRule, Source } from '../config/types.js';
import type { Logger } from '../observe/log.js';
import type { Reply } from '../verify/types.js';
import { errorMessage } from '../lib/errors.js';

export interface IncomingRequest {
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly payload: unknown;
}

export interface EventIdentity {
  topic: string;
  /** The sender's delivery id, when it has one (used to absorb resends). */
  deliveryId?: string;
  /** Why a configured topic/id expression failed, if it did. */
  problems: string[];
}

export async function identify(source: Source, req: IncomingRequest): Promise<EventIdentity> {
  const problems: string[] = [];
  const view = { headers: req.headers, query: req.query, payload: req.payload };
  const bindings = { headers: req.headers, query: req.query, source: source.name };
  let topic: string | undefined;
  if (source.topic) {
    try {
      topic = scalarText(await source.topic.evaluate(req.payload, bindings));
    } catch (err) {
      problems.push(`topic expression failed: ${errorMessage(err)}`);
    }
  } else topic = await source.verify.scheme.topic?.(view);
  let deliveryId: string | undefined;
  if (source.id) {
    try {
      deliveryId = scalarText(await source.id.evaluate(req.payload, bindings));
    } catch (err) {
      problems.push(`id expression failed: ${errorMessage(err)}`);
    }
  } else deliveryId = await source.verify.scheme.id?.(view);
  return { topic: topic ?? '', ...(deliveryId ? { deliveryId } : {}), problems };
}

function scalarText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Truthy as a rule's `when` means it: true, or any value but false, 0, '' and nothing. */
function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '' && !(Array.isArray(v) && v.length === 0);
}

/**
 * The answer to a provider's probe (Slack's url_verification, Zoom's URL
 * validation, Meta's hub.challenge), from the first rule whose `when` holds;
 * `unsigned` picks the rules checked before the signature. A rule that fails to
 * evaluate is logged and skipped.
 */
export async function handshakeReply(
  source: Source,
  rules: readonly HandshakeRule[],
  req: { method: string; headers: Readonly<Record<string, string>>; query: Readonly<Record<string, string>>; payload: unknown },
  /** verified: a POST whose signature checked out; unsigned: a POST before its check (the unsigned rules only); unverified: GET/HEAD. */
  stage: 'verified' | 'unsigned' | 'unverified',
  log?: Logger,
  redact?: { text(t: string): string },
): Promise<(Reply & { readonly record?: string }) | undefined> {
  // $hmac signs with the source's secret: only for a request whose own signature verified, or it is a signing oracle.
  const functions = stage === 'verified' ? source.handshakeBindings : { ...source.handshakeBindings, hmac: refuseHmac };
  const bindings = { method: req.method, headers: req.headers, query: req.query, source: source.name, ...functions };
  for (const rule of rules) {
    if (rule.unsigned !== (stage === 'unsigned')) continue;
    try {
      if (!truthy(await rule.when.evaluate(req.payload, bindings))) continue;
      const value = rule.body && rule.status !== 204 && rule.status !== 304 ? await rule.body.evaluate(req.payload, bindings) : undefined;
      const isText = value === undefined || value === null || typeof value === 'string';
      const body = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
      const hasType = Object.keys(rule.headers).some((h) => h.toLowerCase() === 'content-type');
      const headers: Record<string, string> = { ...rule.headers, 'X-Content-Type-Options': 'nosniff' };
      if (!hasType && body !== '') headers['Content-Type'] = isText ? 'text/plain; charset=utf-8' : 'application/json';
      return { status: rule.status, headers, body, ...(rule.record !== undefined ? { record: rule.record } : {}) };
    } catch (err) {
      const message = errorMessage(err).slice(0, 200);
      log?.warn({ source: source.name, rule: rule.when.text.slice(0, 80), err: redact ? redact.text(message) : message }, 'handshake rule failed');
    }
  }
  return undefined;
}

function refuseHmac(): never {
  throw new Error("$hmac is only available once the request's signature has verified (a POST): an unverified request must not get anything signed");
}
