// Outgoing signatures (src/delivery/sign.ts): a target's `sign` must be what a
// Standard Webhooks receiver accepts. Checked against the spec's published
// example, and round-tripped through our own `standard-webhooks` verifier (the
// receiving side, written from the same spec) for any body.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VerifySettings } from '../../src/verify/types.js';
import type { OutgoingRequest } from '../../src/delivery/plan.js';
import { signRequest } from '../../src/delivery/sign.js';
import { load } from '../helpers/config.js';

// The example in the Standard Webhooks spec (standard-webhooks.md, "Signature scheme").
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_KEY = Buffer.from(SPEC_SECRET.slice('whsec_'.length), 'base64');

function request(body: OutgoingRequest['body'], headers: Record<string, string> = { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek' }): OutgoingRequest {
  return { method: 'POST', url: 'https://receiver.example/hook', headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body } : {}), value: null };
}

/** The receiving side: a source verified with scheme standard-webhooks and the same secret. */
function receiver(secret: string): VerifySettings {
  const { config, errors } = load(`version: 1
sources:
  in: { verify: { scheme: standard-webhooks, secret: ${JSON.stringify(secret)} } }
routes: []
`);
  expect(errors).toEqual([]);
  return config!.sources.get('in')!.verify;
}

function accepts(settings: VerifySettings, req: OutgoingRequest, now: number) {
  const rawBody = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
  return settings.scheme.verify({ method: req.method, url: req.url, headers: req.headers, query: {}, rawBody, now }, settings);
}

describe('signRequest', () => {
  it("matches the spec's published example", () => {
    const signed = signRequest(request('{"test": 2432232314}'), SPEC_KEY, 1614265330_000);
    expect(signed.headers['webhook-timestamp']).toBe('1614265330');
    expect(signed.headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('the same bytes as a Uint8Array sign the same', () => {
    const text = '{"test": 2432232314}';
    const a = signRequest(request(text), SPEC_KEY, 1614265330_000);
    const b = signRequest(request(new TextEncoder().encode(text)), SPEC_KEY, 1614265330_000);
    expect(b.headers['webhook-signature']).toBe(a.headers['webhook-signature']);
  });

  it('a Standard Webhooks receiver accepts any body it signs, and no other', () => {
    const settings = receiver(SPEC_SECRET);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1e12, max: 4e12 }), (bytes, id, now) => {
        const signed = signRequest(request(bytes, { 'webhook-id': id.replace(/[^\x21-\x7e]/g, 'x') }), SPEC_KEY, now);
        expect(accepts(settings, signed, now)).toEqual({ ok: true });
        // One byte more, or another id: refused.
        expect(accepts(settings, { ...signed, body: Buffer.concat([Buffer.from(bytes), Buffer.from('!')]) }, now).ok).toBe(false);
        expect(accepts(settings, { ...signed, headers: { ...signed.headers, 'webhook-id': `${signed.headers['webhook-id']}x` } }, now).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('a receiver with another secret refuses it', () => {
    const signed = signRequest(request('{}'), SPEC_KEY, Date.now());
    expect(accepts(receiver(`whsec_${Buffer.from('another-key-not-real-0123').toString('base64')}`), signed, Date.now())).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('the timestamp is whole seconds, rounded down, and a receiver 10 minutes later refuses it as stale', () => {
    const signed = signRequest(request('{}'), SPEC_KEY, 1_700_000_000_999);
    expect(signed.headers['webhook-timestamp']).toBe('1700000000');
    expect(accepts(receiver(SPEC_SECRET), signed, 1_700_000_000_999 + 600_000)).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
  });

  it('a request without a body (GET) signs the empty body; without webhook-id, the empty id', () => {
    const get = signRequest({ method: 'GET', url: 'https://r.example/', headers: {}, value: null }, SPEC_KEY, 1614265330_000);
    expect(get.body).toBeUndefined();
    expect(get.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(signRequest(request('', {}), SPEC_KEY, 1614265330_000).headers['webhook-signature']).toBe(get.headers['webhook-signature']);
  });

  it('replaces a signature already there and leaves the request it was given untouched', () => {
    const original = request('{"a":1}', { 'webhook-id': 'msg_1', 'webhook-signature': 'v1,forged', 'webhook-timestamp': '1' });
    const frozen = structuredClone(original);
    const signed = signRequest(original, SPEC_KEY, 1614265330_000);
    expect(original).toEqual(frozen);
    expect(signed.headers['webhook-signature']).not.toContain('forged');
    expect(signed.headers['webhook-timestamp']).toBe('1614265330');
    expect(signed.headers['content-type']).toBe('application/json');
    expect(signed.body).toBe(original.body);
  });
});
