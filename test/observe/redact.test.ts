import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/observe/redact.js';

describe('redaction', () => {
  const r = createRedactor(['fake-secret-123', 'https://hooks.slack.com/services/TFAKE/BFAKE/fake', 'fake-secret-123-longer']);

  it('masks secret values anywhere in text, longest first', () => {
    expect(r.text('a fake-secret-123-longer b fake-secret-123')).toBe('a *** b ***');
  });

  it('keeps the origin of a secret URL', () => {
    expect(r.text('POST https://hooks.slack.com/services/TFAKE/BFAKE/fake')).toBe('POST https://hooks.slack.com/***');
  });

  it('masks credential headers by name, keeping the auth scheme', () => {
    expect(r.headers({ Authorization: 'Bearer abc', 'X-Hub-Signature-256': 'sha256=00', 'X-Api-Key': 'k', Accept: 'json' })).toEqual({
      Authorization: 'Bearer ***',
      'X-Hub-Signature-256': '***',
      'X-Api-Key': '***',
      Accept: 'json',
    });
  });
});

describe('redaction of secrets of every shape (SPEC §1.6)', () => {
  it('masks a short secret only as a whole token, never inside other words', () => {
    const r = createRedactor(['t', '12345']);
    expect(r.text('Content-Type: application/json; token t')).toBe('Content-Type: application/json; token ***');
    expect(r.text('t')).toBe('***');
    expect(r.text('pin=12345&ts=1712345678&x=123456')).toBe('pin=***&ts=1712345678&x=123456');
    expect(r.text('{"code":"12345"}')).toBe('{"code":"***"}');
  });

  it('masks an all-digit secret of 8 or more anywhere, also as a JSON number', () => {
    const r = createRedactor(['12345678']);
    expect(r.text('id 9912345678')).toBe('id 99***');
    expect(r.value({ pin: 12345678, n: 7, list: ['a12345678'] })).toEqual({ pin: '***', n: 7, list: ['a***'] });
  });

  it('masks the secret in parsed payloads: strings, keys and nested values', () => {
    const r = createRedactor(['fake-payload-secret']);
    const payload = { a: { b: ['x fake-payload-secret y'] }, 'fake-payload-secret': true, keep: 'application/json' };
    expect(r.value(payload)).toEqual({ a: { b: ['x *** y'] }, '***': true, keep: 'application/json' });
  });

  it('keeps a payload key named __proto__ a plain key', () => {
    const r = createRedactor(['fake-payload-secret']);
    const out = r.value(JSON.parse('{"__proto__": {"polluted": "fake-payload-secret"}}') as unknown) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"***"}}');
  });

  it('masks percent-encoded and JSON-escaped forms of a secret', () => {
    const r = createRedactor(['fake secret/with "quotes"']);
    expect(r.text('a=fake%20secret%2Fwith%20%22quotes%22')).toBe('a=***');
    expect(r.text('a=fake+secret%2Fwith+%22quotes%22')).toBe('a=***');
    expect(r.text('{"a":"fake secret/with \\"quotes\\""}')).toBe('{"a":"***"}');
  });

  it('masks any password in a URL, known or not', () => {
    const r = createRedactor([]);
    expect(r.text('store postgres://sb:literal-pw@db:5432/app, ok')).toBe('store postgres://sb:***@db:5432/app, ok');
    expect(r.text('amqp://user:p@ss@broker/vhost')).toBe('amqp://user:***@broker/vhost');
    expect(r.text('http://host:8080/path?q=a@b')).toBe('http://host:8080/path?q=a@b');
  });

  it('masks a header named by the caller (a token scheme reading X-Hook-Key)', () => {
    const r = createRedactor([]);
    expect(r.headers({ 'X-Hook-Key': 'k', Accept: 'x' }, { sensitive: ['x-hook-key'] })).toEqual({ 'X-Hook-Key': '***', Accept: 'x' });
  });

  it('cuts off values nested too deeply to walk instead of overflowing the stack', () => {
    let deep: unknown = 'fake-payload-secret';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(JSON.stringify(createRedactor(['fake-payload-secret']).value(deep))).not.toContain('fake-payload-secret');
  });
});
