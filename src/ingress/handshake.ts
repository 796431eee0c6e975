// Handshakes: a provider's probe answered from the source's rules. Only the
// ingress answers probes, so this stays here; what an event is about (topic,
// id, the bindings its expressions see) is in event/.
import type { HandshakeRule, Source } from '../config/types.js';
import type { Logger } from '../observe/log.js';
import type { Reply } from '../verify/types.js';
import { errorMessage } from '../lib/errors.js';

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
