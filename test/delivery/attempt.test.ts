// What is kept of each call (src/delivery/attempt.ts): masked first, then cut
// to a bounded excerpt — so a secret across the cut never keeps its start — and
// cut where the text stays well-formed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordAttempt, recordFailure, recordRequest, responseExcerpt } from '../../src/delivery/attempt.js';
import type { OutgoingRequest } from '../../src/delivery/plan.js';
import { RESPONSE_EXCERPT_BYTES } from '../../src/delivery/sender.js';
import { createRedactor } from '../../src/observe/redact.js';

const SECRET = 'attempt-secret-not-real-0123456789';
const redact = createRedactor([SECRET]);
const KEPT = 64 * 1024;

function req(body: OutgoingRequest['body'], extra: Partial<OutgoingRequest> = {}): OutgoingRequest {
  return { method: 'POST', url: 'https://receiver.example/hook', headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body } : {}), value: null, ...extra };
}

/** No lone surrogate: the text can be written as UTF-8 or JSON (PostgreSQL's jsonb refuses `\ud83d` alone). */
const wellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('recordRequest', () => {
  it('masks the secret in the URL, the headers and the body', () => {
    const r = recordRequest(req(`{"token":"${SECRET}"}`, { url: `https://receiver.example/hook?key=${SECRET}`, headers: { authorization: `Bearer ${SECRET}`, 'x-plain': 'kept' } }), redact);
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(r.url).toBe('https://receiver.example/hook?key=***');
    expect(r.headers['x-plain']).toBe('kept');
    expect(r.body).toBe('{"token":"***"}');
    expect(r.method).toBe('POST');
  });

  it('keeps a body of bytes as its text, and has no body for a request without one', () => {
    expect(recordRequest(req(new TextEncoder().encode('héllo')), redact).body).toBe('héllo');
    expect('body' in recordRequest(req(undefined, { method: 'GET' }), redact)).toBe(false);
    expect(recordRequest(req(''), redact).body).toBe('');
  });

  it('keeps 64 KiB of a long body and says how long it was', () => {
    const body = 'x'.repeat(KEPT + 10);
    const kept = recordRequest(req(body), redact).body!;
    expect(kept.startsWith('x'.repeat(KEPT))).toBe(true);
    expect(kept.slice(KEPT)).toBe(`… (${KEPT + 10} characters in all)`);
    expect(recordRequest(req('x'.repeat(KEPT)), redact).body).toBe('x'.repeat(KEPT));
  });

  it('a secret across the 64 KiB mark is masked whole, not cut into a prefix', () => {
    const body = `${'x'.repeat(KEPT - 10)}${SECRET}${'y'.repeat(100)}`;
    const kept = recordRequest(req(body), redact).body!;
    expect(kept).not.toContain(SECRET.slice(0, 10));
    expect(kept.startsWith(`${'x'.repeat(KEPT - 10)}***`)).toBe(true);
  });

  // Regression (found by the unit tests, fixed): the cut was by UTF-16 unit, so an
  // emoji across the 64 Ki mark leaves half of it — a lone surrogate. PostgreSQL's jsonb refuses the
  // attempt row ("Unicode low surrogate must follow a high surrogate"), store.finish fails, and the
  // delivery, sent and answered, stays pending and is sent again after its lease, every time.
  it('cuts a long body where the text stays well-formed (no half emoji)', () => {
    for (const pad of [KEPT - 1, KEPT - 2, KEPT]) {
      const kept = recordRequest(req(`${'a'.repeat(pad)}😀😀${'b'.repeat(100)}`), redact).body!;
      expect(wellFormed(kept), `pad ${pad}`).toBe(true);
      expect(() => JSON.parse(JSON.stringify(kept))).not.toThrow();
    }
  });
});

describe('responseExcerpt', () => {
  it('keeps a short answer whole, masked', () => {
    expect(responseExcerpt(`ok ${SECRET}`, redact)).toBe('ok ***');
  });

  it('cuts at RESPONSE_EXCERPT_BYTES bytes, never through a character, whatever the text', () => {
    const text = fc.array(fc.constantFrom('a', 'é', '€', '😀', '\n'), { minLength: 1000, maxLength: 2500 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, (body) => {
        const out = responseExcerpt(body, redact);
        const bytes = Buffer.byteLength(out, 'utf8');
        expect(bytes).toBeLessThanOrEqual(RESPONSE_EXCERPT_BYTES);
        expect(out).not.toContain('\ufffd');
        expect(wellFormed(out)).toBe(true);
        expect(body.startsWith(out)).toBe(true);
        // Nothing more is dropped than the one character that would not fit.
        if (Buffer.byteLength(body, 'utf8') > RESPONSE_EXCERPT_BYTES) expect(bytes).toBeGreaterThan(RESPONSE_EXCERPT_BYTES - 4);
      }),
      { numRuns: 200 },
    );
  });

  it('a secret across the 4 KiB mark is masked whole before the cut', () => {
    const body = `${'x'.repeat(RESPONSE_EXCERPT_BYTES - 10)}${SECRET}tail`;
    const out = responseExcerpt(body, redact);
    expect(out).toBe(`${'x'.repeat(RESPONSE_EXCERPT_BYTES - 10)}***tail`);
    expect(out).not.toContain(SECRET.slice(0, 5));
  });
});

describe('recordAttempt', () => {
  it('keeps the answer, masked, and leaves out what there was not', () => {
    const r = recordAttempt(
      req('{}'),
      1_700_000_000_000,
      { status: 502, headers: { 'set-cookie': 's=1', 'x-echo': SECRET }, body: `bad gateway ${SECRET}`, error: `target answered 502: ${SECRET}`, durationMs: 12.5 },
      redact,
    );
    expect(r).toEqual({
      startedAt: 1_700_000_000_000,
      durationMs: 12.5,
      request: { method: 'POST', url: 'https://receiver.example/hook', headers: { 'content-type': 'application/json' }, body: '{}' },
      responseStatus: 502,
      responseHeaders: { 'set-cookie': '***', 'x-echo': '***' },
      responseBody: 'bad gateway ***',
      error: 'target answered 502: ***',
    });
  });

  it('a call that got no answer keeps only its error', () => {
    const r = recordAttempt(req('{}'), 1, { error: 'connection refused', durationMs: 3 }, redact);
    expect(Object.keys(r).sort()).toEqual(['durationMs', 'error', 'request', 'startedAt']);
  });

  it('an empty answer body is kept as empty, not dropped', () => {
    expect(recordAttempt(req('{}'), 1, { status: 204, headers: {}, body: '', durationMs: 1 }, redact).responseBody).toBe('');
  });
});

describe('recordFailure', () => {
  it('records a try that made no call, masked, with no time spent', () => {
    const before = Date.now();
    const r = recordFailure('POST', `https://receiver.example/?k=${SECRET}`, `template failed near ${SECRET}`, redact);
    expect(r.startedAt).toBeGreaterThanOrEqual(before);
    expect(r.durationMs).toBe(0);
    expect(r.request).toEqual({ method: 'POST', url: 'https://receiver.example/?k=***', headers: {} });
    expect(r.error).toBe('template failed near ***');
  });
});
