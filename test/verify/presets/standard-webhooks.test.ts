// The standard-webhooks preset's own code (src/verify/presets/standard-webhooks.ts):
// reading svix-* headers as webhook-* (adapt), the id taken from the header
// family that was signed, and the check of a whsec_ secret at load. The
// published vectors are in test/verify/vectors/standard-webhooks.json.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idOf, settingsFor, signHeaders, verdict, verifyErrors } from '../../helpers/verify.js';

// The example in the Standard Webhooks spec.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const KEY = Buffer.from(SECRET.slice(6), 'base64');
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const SIG = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const NOW = TS * 1000;

const s = settingsFor({ scheme: 'standard-webhooks', secret: SECRET });
const sign = (id: string, ts: number | string, body: string, key = KEY) => `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
const std = (over: Record<string, string> = {}) => ({ 'webhook-id': ID, 'webhook-timestamp': String(TS), 'webhook-signature': SIG, ...over });
const svixHeaders = (over: Record<string, string> = {}) => ({ 'svix-id': ID, 'svix-timestamp': String(TS), 'svix-signature': SIG, ...over });

describe('standard-webhooks verify', () => {
  it('accepts the spec example, and a signature list where any v1 item is right', () => {
    expect(verdict(s, { headers: std(), body: BODY, now: NOW })).toEqual({ ok: true });
    expect(verdict(s, { headers: std({ 'webhook-signature': `v1,${'A'.repeat(43)}= ${SIG} v1a,xyz` }), body: BODY, now: NOW })).toEqual({ ok: true });
  });

  it('signs id.timestamp.body: each part changed fails', () => {
    expect(verdict(s, { headers: std({ 'webhook-id': `${ID}x` }), body: BODY, now: NOW }).ok).toBe(false);
    expect(verdict(s, { headers: std({ 'webhook-timestamp': String(TS + 1) }), body: BODY, now: NOW }).ok).toBe(false);
    expect(verdict(s, { headers: std(), body: `${BODY} `, now: NOW }).ok).toBe(false);
  });

  it('the id and timestamp cannot trade a dot with each other', () => {
    // "a.b" + "." + ts vs "a" + "." + "b.ts": the same signed text from other headers must not pass as new.
    const sig = sign('a', TS, BODY);
    expect(verdict(s, { headers: std({ 'webhook-id': 'a', 'webhook-signature': sig }), body: BODY, now: NOW })).toEqual({ ok: true });
    expect(verdict(s, { headers: std({ 'webhook-id': `a.${TS}`, 'webhook-timestamp': BODY, 'webhook-signature': sig }), body: '', now: NOW }).ok).toBe(false);
  });

  it('five minutes either way, and not a second more', () => {
    expect(verdict(s, { headers: std(), body: BODY, now: NOW + 300_000 })).toEqual({ ok: true });
    expect(verdict(s, { headers: std(), body: BODY, now: NOW - 300_000 })).toEqual({ ok: true });
    expect(verdict(s, { headers: std(), body: BODY, now: NOW + 301_000 })).toMatchObject({ reason: 'timestamp outside tolerance' });
    expect(verdict(s, { headers: std(), body: BODY, now: NOW - 301_000 })).toMatchObject({ reason: 'timestamp outside tolerance' });
  });

  it.each(['', 'soon', '1614265330.5', '-1', '1e9', '0x603ae4f2'])('a timestamp of %j is refused, even when it is what was signed', (ts) => {
    const v = verdict(s, { headers: std({ 'webhook-timestamp': ts, 'webhook-signature': sign(ID, ts, BODY) }), body: BODY, now: NOW });
    expect(v.ok).toBe(false);
  });

  it.each([
    [{ 'webhook-signature': undefined }, 'missing signature'],
    [{ 'webhook-signature': 'v2,abc' }, 'malformed signature'],
    [{ 'webhook-signature': 'v1a,abc' }, 'malformed signature'],
    [{ 'webhook-timestamp': undefined }, 'missing timestamp'],
  ])('%j → %s', (over, reason) => {
    const headers = Object.fromEntries(Object.entries({ ...std(), ...over }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    expect(verdict(s, { headers, body: BODY, now: NOW })).toMatchObject({ ok: false, reason });
  });

  it('any body it signs itself, its own verify accepts', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 1e9, max: 4e9 }), (body, secs) => {
        const headers = signHeaders(s, body, { now: secs * 1000, id: 'msg_x' });
        expect(headers['webhook-id']).toBe('msg_x');
        expect(verdict(s, { headers, body, now: secs * 1000 })).toEqual({ ok: true });
      }),
      { numRuns: 200 },
    );
  });
});

describe('svix-* headers (adapt)', () => {
  it('a request with only svix-* headers is checked as if they were webhook-*', () => {
    expect(verdict(s, { headers: svixHeaders(), body: BODY, now: NOW })).toEqual({ ok: true });
    expect(verdict(s, { headers: svixHeaders({ 'svix-id': 'msg_other' }), body: BODY, now: NOW }).ok).toBe(false);
  });

  it('an unsigned webhook-id beside svix-* headers changes neither the check nor the id', async () => {
    const headers = { ...svixHeaders(), 'webhook-id': 'msg_replayed_as_new' };
    expect(verdict(s, { headers, body: BODY, now: NOW })).toEqual({ ok: true });
    expect(await idOf(s, { headers })).toBe(ID);
  });

  it('with webhook-signature present, the webhook-* family decides, svix-* is ignored', async () => {
    const headers = { ...std({ 'webhook-signature': 'v1,AAAA' }), ...svixHeaders() };
    expect(verdict(s, { headers, body: BODY, now: NOW }).ok).toBe(false);
    expect(await idOf(s, { headers: { ...std(), 'svix-id': 'msg_svix' } })).toBe(ID);
  });

  it('svix-* with svix-id missing is not a pass', () => {
    const { 'svix-id': _id, ...headers } = svixHeaders();
    expect(verdict(s, { headers, body: BODY, now: NOW }).ok).toBe(false);
  });

  it('no id when neither header family has one', async () => {
    expect(await idOf(s, { headers: {} })).toBeUndefined();
    expect(await idOf(s, { headers: { 'svix-id': '' } })).toBeUndefined();
    expect(await idOf(s, { headers: { 'webhook-signature': SIG, 'webhook-id': '' } })).toBeUndefined();
  });
});

describe('standard-webhooks secrets (checkSecret)', () => {
  it.each([SECRET, SECRET.slice(6), 'whsec_ZmFrZS1zZWNyZXQtZm9yLWRvY3M='])('%j loads', (secret) => {
    expect(verifyErrors({ scheme: 'standard-webhooks', secret })).toEqual([]);
  });

  it.each(['whsec_short', 'whsec_not base64 at all!!', 'whsec_', 'plain-text-secret-but-long-enough!', 'whsec_ZmFrZS1zZWNyZXQtZm9yLWRvY3M==='])(
    '%j is refused at load, saying what is expected',
    (secret) => {
      const errors = verifyErrors({ scheme: 'standard-webhooks', secret });
      expect(errors.join('\n')).toMatch(/a Standard Webhooks secret is base64/);
      // The message never repeats the secret.
      expect(errors.join('\n')).not.toContain(secret.slice(6) || '\u0000');
    },
  );

  it("the encoding is the spec's: secretEncoding cannot be set to dodge the check", () => {
    expect(verifyErrors({ scheme: 'standard-webhooks', secret: 'plain-text-secret-but-long-enough!', secretEncoding: 'utf8' }).join('\n')).toMatch(/has no setting "secretEncoding"/);
  });
});
