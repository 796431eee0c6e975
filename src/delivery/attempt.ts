// What is kept of each call for the inspector: the request as sent and the
// answer, with secrets masked and the request body cut to a bounded excerpt.
import type { Redactor } from '../observe/redact.js';
import type { AttemptRecord } from '../store/types.js';
import type { OutgoingRequest } from './plan.js';
import type { SendResult } from './sender.js';

const REQUEST_BODY_KEPT = 64 * 1024;

export function recordRequest(req: OutgoingRequest, redact: Redactor): AttemptRecord['request'] {
  let body: string | undefined;
  if (req.body !== undefined) {
    const text = typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
    body = redact.text(text.length > REQUEST_BODY_KEPT ? `${text.slice(0, REQUEST_BODY_KEPT)}… (${text.length} characters in all)` : text);
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
    ...(result.body !== undefined ? { responseBody: redact.text(result.body) } : {}),
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
