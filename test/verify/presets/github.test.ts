// The github preset's own code (src/verify/presets/github.ts): which of the two
// signature headers decides, the topic function, and its signer. The
// published examples are in test/verify/vectors/github*.json; these are the
// cases around them.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idOf, settingsFor, signHeaders, topicOf, verdict } from '../../helpers/verify.js';

const SECRET = 'github-secret-not-real';
const OLD_SECRET = 'github-old-secret-not-real';
const sha256 = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const sha1 = (body: string, secret = SECRET) => `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;

const plain = settingsFor({ scheme: 'github', secret: SECRET });
const legacy = settingsFor({ scheme: 'github', secret: SECRET, allowSha1: true });
const body = '{"action":"opened"}';

describe('github verify', () => {
  it('X-Hub-Signature-256 decides whenever it is there, with or without allowSha1', () => {
    for (const s of [plain, legacy]) {
      expect(verdict(s, { headers: { 'x-hub-signature-256': sha256(body) }, body })).toEqual({ ok: true });
      expect(verdict(s, { headers: { 'x-hub-signature-256': sha256(body, 'other'), 'x-hub-signature': sha1(body) }, body })).toMatchObject({ ok: false, reason: 'signature mismatch' });
      expect(verdict(s, { headers: { 'x-hub-signature-256': sha256(body), 'x-hub-signature': 'sha1=garbage' }, body })).toEqual({ ok: true });
    }
  });

  it('SHA-1 alone is a missing signature unless allowSha1, and is then checked for real', () => {
    expect(verdict(plain, { headers: { 'x-hub-signature': sha1(body) }, body })).toMatchObject({ ok: false, reason: 'missing signature' });
    expect(verdict(legacy, { headers: { 'x-hub-signature': sha1(body) }, body })).toEqual({ ok: true });
    expect(verdict(legacy, { headers: { 'x-hub-signature': sha1(`${body} `) }, body })).toMatchObject({ ok: false, reason: 'signature mismatch' });
    // A SHA-256 value in the SHA-1 header is the wrong algorithm, not a pass.
    expect(verdict(legacy, { headers: { 'x-hub-signature': sha256(body).replace('sha256=', 'sha1=') }, body }).ok).toBe(false);
  });

  it('an empty X-Hub-Signature-256 does not hand the decision to the SHA-1 header', () => {
    // An empty header counts as absent: the SHA-1 one is then checked, and must be right.
    expect(verdict(legacy, { headers: { 'x-hub-signature-256': '', 'x-hub-signature': sha1(body, 'other') }, body }).ok).toBe(false);
    expect(verdict(plain, { headers: { 'x-hub-signature-256': '', 'x-hub-signature': sha1(body) }, body }).ok).toBe(false);
  });

  it('accepts any one secret of a rotated list', () => {
    const rotated = settingsFor({ scheme: 'github', secret: [OLD_SECRET, SECRET] });
    expect(verdict(rotated, { headers: { 'x-hub-signature-256': sha256(body, OLD_SECRET) }, body })).toEqual({ ok: true });
    expect(verdict(rotated, { headers: { 'x-hub-signature-256': sha256(body, SECRET) }, body })).toEqual({ ok: true });
    expect(verdict(rotated, { headers: { 'x-hub-signature-256': sha256(body, 'third') }, body }).ok).toBe(false);
  });

  it.each([
    ['sha256=', 'malformed signature'],
    ['sha256=zz', 'malformed signature'],
    [sha256(body).slice(0, -2), 'signature mismatch'],
    [`${sha256(body)}00`, 'signature mismatch'],
  ])('refuses X-Hub-Signature-256 %j', (header, reason) => {
    expect(verdict(plain, { headers: { 'x-hub-signature-256': header }, body })).toMatchObject({ ok: false, reason });
  });

  it('reads the sha256= prefix in any case (the HMAC still decides)', () => {
    expect(verdict(plain, { headers: { 'x-hub-signature-256': `SHA256=${sha256(body).slice(7)}` }, body })).toEqual({ ok: true });
    expect(verdict(plain, { headers: { 'x-hub-signature-256': `SHA256=${sha256(body).slice(7).toUpperCase()}` }, body })).toEqual({ ok: true });
  });

  it('a huge signature header is refused, not worked on', () => {
    const started = performance.now();
    expect(verdict(plain, { headers: { 'x-hub-signature-256': `sha256=${'a'.repeat(1_000_000)}` }, body }).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('whatever the body, its own signature passes and a changed byte fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(199), (bytes, at) => {
        const raw = Buffer.from(bytes);
        const sig = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
        expect(verdict(plain, { headers: { 'x-hub-signature-256': sig }, body: raw })).toEqual({ ok: true });
        if (raw.length === 0) return;
        const changed = Buffer.from(raw);
        const i = at % raw.length;
        changed[i] = changed[i]! ^ 1;
        expect(verdict(plain, { headers: { 'x-hub-signature-256': sig }, body: changed }).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('github topic and id', () => {
  it.each([
    [{ 'x-github-event': 'issues' }, { action: 'opened' }, 'issues.opened'],
    [{ 'x-github-event': 'push' }, { ref: 'refs/heads/main' }, 'push'],
    [{ 'x-github-event': 'push' }, { action: '' }, 'push'],
    [{ 'x-github-event': 'check_run' }, { action: 7 }, 'check_run.7'],
    [{ 'x-github-event': 'issues' }, { action: { nested: true } }, 'issues'],
    [{ 'x-github-event': 'issues' }, undefined, 'issues'],
    [{ 'x-github-event': 'issues' }, ['opened'], 'issues'],
    [{}, { action: 'opened' }, 'opened'],
    [{}, {}, undefined],
    [{ 'x-github-event': '' }, null, undefined],
  ])('headers %j, payload %j → %s', async (headers, payload, topic) => {
    expect(await topicOf(plain, { headers, payload })).toBe(topic);
  });

  it('the delivery id is X-GitHub-Delivery, and nothing when it is absent or empty', async () => {
    expect(await idOf(plain, { headers: { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' } })).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(await idOf(plain, { headers: {} })).toBeUndefined();
    expect(await idOf(plain, { headers: { 'x-github-delivery': '' } })).toBeUndefined();
  });
});

describe('github sign', () => {
  it('signs what its own verify accepts, the SHA-1 header only when allowSha1, and names the delivery', () => {
    const h = signHeaders(plain, body, { id: 'delivery-42' });
    expect(h['x-github-delivery']).toBe('delivery-42');
    expect(h['x-hub-signature']).toBeUndefined();
    expect(verdict(plain, { headers: h, body })).toEqual({ ok: true });

    const both = signHeaders(legacy, body);
    expect(both['x-hub-signature']).toBe(sha1(body));
    const { 'x-hub-signature-256': _dropped, ...sha1Only } = both;
    expect(verdict(legacy, { headers: sha1Only, body })).toEqual({ ok: true });
  });

  it('signs with the first secret of a rotated list', () => {
    const rotated = settingsFor({ scheme: 'github', secret: [SECRET, OLD_SECRET] });
    expect(signHeaders(rotated, body)['x-hub-signature-256']).toBe(sha256(body, SECRET));
  });
});
