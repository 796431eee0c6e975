import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDepth, parseBody } from '../../src/lib/body.js';

const buf = (s: string) => Buffer.from(s);

describe('body parsing', () => {
  it('JSON, including +json types', () => {
    expect(parseBody(buf('{"a":1}'), 'application/json; charset=utf-8')).toEqual({ ok: true, kind: 'json', payload: { a: 1 } });
    expect(parseBody(buf('[1]'), 'application/vnd.api+json')).toEqual({ ok: true, kind: 'json', payload: [1] });
  });

  it('invalid JSON is an error', () => {
    const r = parseBody(buf('{"a":'), 'application/json');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^body is not valid JSON/);
  });

  it('form fields become an object; repeated keys a list', () => {
    expect(parseBody(buf('From=%2B1555&Body=hi+there&Tag=a&Tag=b'), 'application/x-www-form-urlencoded')).toEqual({
      ok: true,
      kind: 'form',
      payload: { From: '+1555', Body: 'hi there', Tag: ['a', 'b'] },
    });
  });

  it("GitHub's payload= form is unwrapped", () => {
    const body = `payload=${encodeURIComponent('{"action":"opened","number":1}')}`;
    expect(parseBody(buf(body), 'application/x-www-form-urlencoded')).toEqual({ ok: true, kind: 'form', payload: { action: 'opened', number: 1 } });
  });

  it('a payload= field that is not JSON stays a field', () => {
    expect(parseBody(buf('payload=hello'), 'application/x-www-form-urlencoded')).toEqual({ ok: true, kind: 'form', payload: { payload: 'hello' } });
  });

  it('text and XML are strings', () => {
    expect(parseBody(buf('hello'), 'text/plain')).toEqual({ ok: true, kind: 'text', payload: 'hello' });
    expect(parseBody(buf('<a/>'), 'application/xml')).toEqual({ ok: true, kind: 'text', payload: '<a/>' });
  });

  it('no content type: JSON when it looks like JSON, else text', () => {
    expect(parseBody(buf(' {"a":1}'), undefined)).toEqual({ ok: true, kind: 'json', payload: { a: 1 } });
    expect(parseBody(buf('plain words'), undefined)).toEqual({ ok: true, kind: 'text', payload: 'plain words' });
  });

  it('invalid UTF-8 in a text type is an error', () => {
    const r = parseBody(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'application/json');
    expect(r).toEqual({ ok: false, error: 'body is not valid UTF-8 (content type application/json)' });
  });

  it('deeply nested JSON is refused or parsed, never a crash', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const r = parseBody(buf(deep), 'application/json');
    expect(typeof r.ok).toBe('boolean');
  });

  it('never throws, whatever the bytes and content type', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', '', 'image/png'), (bytes, ct) => {
        const r = parseBody(bytes, ct || undefined);
        return r.ok === true || (r.ok === false && r.error.length > 0);
      }),
    );
  });

  it('any JSON value round-trips', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseBody(buf(JSON.stringify(v)), 'application/json');
        return r.ok && JSON.stringify(r.payload) === JSON.stringify(v);
      }),
    );
  });
});

describe('jsonDepth', () => {
  it('refuses exactly past the limit, brackets inside strings not counted; many shallow brackets are fine', () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(jsonDepth(nested(512))).toBeLessThanOrEqual(512);
    expect(jsonDepth(nested(513))).toBeGreaterThan(512);
    // 2,000 brackets, none deeper than 2: the bracket count alone would say "maybe", the scan says no
    const wide = `[${Array.from({ length: 1000 }, () => '[1]').join(',')}]`;
    expect(jsonDepth(wide)).toBe(2);
    // deep-looking text inside a string is not nesting
    expect(jsonDepth(JSON.stringify({ s: '['.repeat(5000) }))).toBeLessThanOrEqual(1);
    expect(parseBody(Buffer.from(`{"a":${nested(600)}}`), 'application/json')).toMatchObject({ ok: false });
  });
});
