// What is kept of each call for the inspector: the request as sent and the
// answer, with secrets masked and bodies cut to bounded excerpts. Masking comes
// first, then the cut: cut first, a secret across the cut would keep its start.
import type { Redactor } from '../observe/redact.js';
import type { AttemptRecord } from '../store/types.js';
import type { OutgoingRequest } from './plan.js';
import { RESPONSE_EXCERPT_BYTES, type SendResult } from './sender.js';

const REQUEST_BODY_KEPT = 64 * 1024;

export function recordRequest(req: OutgoingRequest, redact: Redactor): AttemptRecord['request'] {
  let body: string | undefined;
  if (req.body !== undefined) {
    const text = typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
    const masked = redact.text(text);
    // Cut between characters: half an emoji (a lone surrogate) is text PostgreSQL's jsonb refuses.
    const cut = REQUEST_BODY_KEPT - (/[\ud800-\udbff]/.test(masked.charAt(REQUEST_BODY_KEPT - 1)) ? 1 : 0);
    body = masked.length > REQUEST_BODY_KEPT ? `${masked.slice(0, cut)}… (${text.length} characters in all)` : masked;
  }
  return { method: req.method, url: redact.text(req.url), headers: redact.headers(req.headers), ...(body !== undefined ? { body } : {}) };
}

export function recordAttempt(req: OutgoingRequest, startedAt: number, result: SendResult, redact: Redactor): AttemptRecord {
  return {
    startedAt,
    durationMs: result.durationMs,
    request: recordRequest(req, redact),
    ...(result.status !== undefined ? { responseStatus: result.status } : {}),
    ...(result.headers ? { responseHeaders: redact.headers(result.headers) } : {}),
    ...(result.body !== undefined ? { responseBody: responseExcerpt(result.body, redact) } : {}),
    ...(result.error ? { error: redact.text(result.error) } : {}),
  };
}

/**
 * A try that failed before any call could be made (planning, serialising, an
 * internal error): recorded as an attempt so that it counts against the retry
 * policy and shows its reason in the inspector.
 */
export function recordFailure(method: string, url: string, error: string, redact: Redactor): AttemptRecord {
  return { startedAt: Date.now(), durationMs: 0, request: { method, url: redact.text(url), headers: {} }, error: redact.text(error) };
}

/** The answer's body as kept: masked (the sender read past the cut for this), then cut to RESPONSE_EXCERPT_BYTES. */
export function responseExcerpt(body: string, redact: Redactor): string {
  const masked = redact.text(body);
  const bytes = Buffer.from(masked, 'utf8');
  if (bytes.length <= RESPONSE_EXCERPT_BYTES) return masked;
  // Cut on a character boundary: no half character turned into U+FFFD.
  let end = RESPONSE_EXCERPT_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
