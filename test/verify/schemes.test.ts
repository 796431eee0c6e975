// Every verification scheme against: its provider's published example (where
// one exists), a signature made by following the provider's documented algorithm
// here in the test (never by our own signing code), a body changed by one byte,
// a wrong secret, a missing header, stale and future timestamps, the second
// secret of a rotated list, and the scheme's handshake.
import { createHash, createHmac, generateKeyPairSync, sign as edSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { VerifySettings } from '../../src/config/types.js';
import { schemes } from '../../src/verify/registry.js';
import type { SignedRequest } from '../../src/verify/types.js';
import { load } from '../helpers/config.js';

/** Compiles a `verify:` block through the real config loader. */
function settings(verifyYaml: string): VerifySettings {
  const { config, errors } = load(`version: 1
sources:
  src:
    verify:
${verifyYaml.replace(/^/gm, '      ')}
routes: []
`);
  if (!config) throw new Error(errors.join('\n'));
  return config.sources.get('src')!.verify;
}

const NOW = 1_763_804_487_000; // a fixed clock (ms)
const nowS = Math.floor(NOW / 1000);

function request(headers: Record<string, string>, body: string | Buffer, extra: Partial<SignedRequest> = {}): SignedRequest {
  return {
    method: 'POST',
    url: 'https://hooks.example.com/hooks/src',
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    query: {},
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    now: NOW,
    ...extra,
  };
}

const verify = (s: VerifySettings, req: SignedRequest) => s.scheme.verify(req, s);
const hex = (alg: string, key: string | Buffer, data: string | Buffer) => createHmac(alg, key).update(data).digest('hex');
const b64 = (alg: string, key: string | Buffer, data: string | Buffer) => createHmac(alg, key).update(data).digest('base64');
const flip = (s: string): Buffer => {
  const b = Buffer.from(s);
  b[0] = b[0]! ^ 1;
  return b;
};

describe('github', () => {
  // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
  const s = settings(`scheme: github\nsecret: ["old-rotated-secret-x", "It's a Secret to Everybody"]`);
  const sig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  it('accepts the published example (with the second of two rotated secrets)', () => {
    expect(verify(s, request({ 'X-Hub-Signature-256': sig }, 'Hello, World!'))).toEqual({ ok: true });
  });
  it('rejects a tampered body, a wrong secret, a missing or malformed header', () => {
    expect(verify(s, request({ 'X-Hub-Signature-256': sig }, 'Hello, World?'))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ 'X-Hub-Signature-256': sig }, flip('Hello, World!')))).toEqual({ ok: false, reason: 'signature mismatch' });
    const other = settings('scheme: github\nsecret: not-the-secret');
    expect(verify(other, request({ 'X-Hub-Signature-256': sig }, 'Hello, World!'))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({}, 'Hello, World!'))).toEqual({ ok: false, reason: 'missing signature' });
    expect(verify(s, request({ 'X-Hub-Signature-256': 'sha256=zz' }, 'Hello, World!'))).toEqual({ ok: false, reason: 'malformed signature' });
    expect(verify(s, request({ 'X-Hub-Signature-256': sig.slice(0, -2) }, 'Hello, World!'))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ 'X-Hub-Signature-256': sig.replace('sha256=', 'sha1=') }, 'Hello, World!'))).toEqual({ ok: false, reason: 'malformed signature' });
  });
});

describe('slack', () => {
  // Slack's documented example.
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const ts = '1531420618';
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const sig = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  const s = settings(`scheme: slack\nsecret: ["rotated-out-secret", "${secret}"]`);
  const at = (now: number) => ({ now });
  const headers = { 'X-Slack-Signature': sig, 'X-Slack-Request-Timestamp': ts };
  it('accepts the published example at its time, with the rotated list', () => {
    expect(verify(s, request(headers, body, at(1531420618_000 + 60_000)))).toEqual({ ok: true });
  });
  it('rejects stale and future timestamps, tampering, missing headers', () => {
    expect(verify(s, request(headers, body, at(1531420618_000 + 301_000)))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request(headers, body, at(1531420618_000 - 301_000)))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request(headers, flip(body), at(1531420618_000)))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ 'X-Slack-Request-Timestamp': ts }, body, at(1531420618_000)))).toEqual({ ok: false, reason: 'missing signature' });
    expect(verify(s, request({ 'X-Slack-Signature': sig }, body, at(1531420618_000)))).toEqual({ ok: false, reason: 'missing timestamp' });
    const wrong = settings('scheme: slack\nsecret: another-signing-secret');
    expect(verify(wrong, request(headers, body, at(1531420618_000)))).toEqual({ ok: false, reason: 'signature mismatch' });
  });
  it('answers url_verification with the challenge', () => {
    expect(s.scheme.handshake!({ type: 'url_verification', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', token: 'x' }, s)).toEqual({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}',
    });
    expect(s.scheme.handshake!({ type: 'event_callback' }, s)).toBeUndefined();
  });
});

describe('standard-webhooks', () => {
  // The Standard Webhooks specification's example.
  const s = settings('scheme: standard-webhooks\nsecret: ["whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdHM=", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]');
  const body = '{"test": 2432232314}';
  const headers = { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' };
  const at = { now: 1614265330_000 };
  it('accepts the published example, among several signatures, and with svix- headers', () => {
    expect(verify(s, request(headers, body, at))).toEqual({ ok: true });
    expect(verify(s, request({ ...headers, 'webhook-signature': `v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ${headers['webhook-signature']}` }, body, at))).toEqual({ ok: true });
    const svix = { 'svix-id': headers['webhook-id'], 'svix-timestamp': headers['webhook-timestamp'], 'svix-signature': headers['webhook-signature'] };
    expect(verify(s, request(svix, body, at))).toEqual({ ok: true });
  });
  it('rejects a changed id, body, timestamp window, missing header', () => {
    expect(verify(s, request({ ...headers, 'webhook-id': 'msg_other' }, body, at))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request(headers, flip(body), at))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request(headers, body, { now: 1614265330_000 + 301_000 }))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request(headers, body, { now: 1614265330_000 - 301_000 }))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request({ ...headers, 'webhook-signature': '' }, body, at))).toEqual({ ok: false, reason: 'missing signature' });
    expect(verify(s, request({ ...headers, 'webhook-signature': 'v2,abc' }, body, at))).toEqual({ ok: false, reason: 'malformed signature' });
  });
});

describe('twilio', () => {
  // Twilio's documented example: auth token 12345, this URL and these parameters.
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = 'CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Digits=1234&From=%2B14158675310&To=%2B18005551212';
  const form = { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'GvWf1cFY/Q7PnoempGyD5oXAezc=' };
  const s = settings('scheme: twilio\nsecret: ["old-auth-token", "12345"]');
  it('accepts the published example (params in any order; with the port spelled out)', () => {
    expect(verify(s, request(form, params, { url }))).toEqual({ ok: true });
    const reordered = params.split('&').reverse().join('&');
    expect(verify(s, request(form, reordered, { url }))).toEqual({ ok: true });
    expect(verify(s, request(form, params, { url: 'https://mycompany.com:443/myapp.php?foo=1&bar=2' }))).toEqual({ ok: true });
  });
  it('uses verify.url when the server is behind a proxy', () => {
    const proxied = settings('scheme: twilio\nsecret: "12345"\nurl: https://mycompany.com/myapp.php');
    expect(verify(proxied, request(form, params, { url: 'http://10.0.0.5:8080/hooks/src?foo=1&bar=2' }))).toEqual({ ok: true });
  });
  it('rejects another URL, a changed parameter, a wrong token, no header', () => {
    expect(verify(s, request(form, params, { url: 'https://mycompany.com/other.php?foo=1&bar=2' }))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request(form, params.replace('1234&', '1235&'), { url }))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(settings('scheme: twilio\nsecret: "54321"'), request(form, params, { url }))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ 'Content-Type': form['Content-Type'] }, params, { url }))).toEqual({ ok: false, reason: 'missing signature' });
  });
  it('JSON posts: checks bodySHA256 and signs the URL alone (documented algorithm)', () => {
    const body = '{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}';
    const jsonUrl = `https://example.com/myapp?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    expect(jsonUrl).toContain('5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9'); // Twilio's published hash
    const sig = b64('sha1', '12345', jsonUrl);
    const headers = { 'Content-Type': 'application/json', 'X-Twilio-Signature': sig };
    expect(verify(s, request(headers, body, { url: jsonUrl }))).toEqual({ ok: true });
    expect(verify(s, request(headers, body.replace('CA1', 'CA2'), { url: jsonUrl }))).toEqual({ ok: false, reason: 'body hash mismatch' });
  });
  it('answers with empty TwiML', () => {
    expect(s.scheme.accepted!()).toEqual({
      status: 200,
      headers: { 'Content-Type': 'text/xml; charset=utf-8' },
      body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
    });
  });
});

describe('stripe', () => {
  // Stripe documents: HMAC-SHA256 of "<t>.<raw body>" with the endpoint secret, hex, in v1=.
  const secret = 'whsec_test_not_a_real_secret';
  const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid' });
  const header = (t: number, key = secret, b = body) => `t=${t},v1=${hex('sha256', key, `${t}.${b}`)},v0=ignored`;
  const s = settings(`scheme: stripe\nsecret: ["whsec_previous_not_real", "${secret}"]`);
  it('accepts a correctly signed event, and any matching v1 among several', () => {
    expect(verify(s, request({ 'Stripe-Signature': header(nowS) }, body))).toEqual({ ok: true });
    const two = `t=${nowS},v1=${'0'.repeat(64)},v1=${hex('sha256', secret, `${nowS}.${body}`)}`;
    expect(verify(s, request({ 'Stripe-Signature': two }, body))).toEqual({ ok: true });
  });
  it('rejects stale/future timestamps, tampering, wrong secret, missing parts', () => {
    expect(verify(s, request({ 'Stripe-Signature': header(nowS - 301) }, body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request({ 'Stripe-Signature': header(nowS + 301) }, body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request({ 'Stripe-Signature': header(nowS) }, flip(body)))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ 'Stripe-Signature': header(nowS, 'whsec_wrong') }, body))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({}, body))).toEqual({ ok: false, reason: 'missing signature' });
    expect(verify(s, request({ 'Stripe-Signature': `v1=${'a'.repeat(64)}` }, body))).toEqual({ ok: false, reason: 'missing timestamp' });
    expect(verify(s, request({ 'Stripe-Signature': `t=${nowS}` }, body))).toEqual({ ok: false, reason: 'malformed signature' });
  });
  it('honours a configured tolerance', () => {
    const tight = settings(`scheme: stripe\nsecret: ${secret}\ntolerance: 10s`);
    expect(verify(tight, request({ 'Stripe-Signature': header(nowS - 11) }, body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(tight, request({ 'Stripe-Signature': header(nowS - 9) }, body))).toEqual({ ok: true });
  });
});

describe('shopify, intercom, meta: HMAC of the body', () => {
  const body = '{"id":820982911946154508,"email":"jon@example.com"}';
  it('shopify: base64 HMAC-SHA256 in X-Shopify-Hmac-Sha256', () => {
    const s = settings('scheme: shopify\nsecret: ["old-shopify-secret", "shpss_not_real"]');
    expect(verify(s, request({ 'X-Shopify-Hmac-Sha256': b64('sha256', 'shpss_not_real', body) }, body))).toEqual({ ok: true });
    expect(verify(s, request({ 'X-Shopify-Hmac-Sha256': b64('sha256', 'shpss_not_real', body) }, flip(body)))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ 'X-Shopify-Hmac-Sha256': b64('sha256', 'wrong', body) }, body))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({}, body))).toEqual({ ok: false, reason: 'missing signature' });
  });
  it('intercom: sha1= hex HMAC-SHA1 in X-Hub-Signature', () => {
    const s = settings('scheme: intercom\nsecret: ["old-intercom-secret", "intercom-not-real"]');
    expect(verify(s, request({ 'X-Hub-Signature': `sha1=${hex('sha1', 'intercom-not-real', body)}` }, body))).toEqual({ ok: true });
    expect(verify(s, request({ 'X-Hub-Signature': `sha1=${hex('sha1', 'intercom-not-real', body)}` }, flip(body)))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ 'X-Hub-Signature': `sha1=${hex('sha1', 'other', body)}` }, body))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({}, body))).toEqual({ ok: false, reason: 'missing signature' });
  });
  it('meta: sha256= hex HMAC in X-Hub-Signature-256, and the GET hub.challenge', () => {
    const s = settings('scheme: meta\nsecret: ["old-app-secret", "meta-app-secret-not-real"]\nverifyToken: fake-verify-token');
    expect(verify(s, request({ 'X-Hub-Signature-256': `sha256=${hex('sha256', 'meta-app-secret-not-real', body)}` }, body))).toEqual({ ok: true });
    expect(verify(s, request({ 'X-Hub-Signature-256': `sha256=${hex('sha256', 'meta-app-secret-not-real', body)}` }, flip(body)))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({}, body))).toEqual({ ok: false, reason: 'missing signature' });
    const get = (query: Record<string, string>) => s.scheme.challenge!(request({}, '', { method: 'GET', query }), s);
    expect(get({ 'hub.mode': 'subscribe', 'hub.verify_token': 'fake-verify-token', 'hub.challenge': '1158201444' })).toEqual({
      status: 200,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: '1158201444',
    });
    expect(get({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' })?.status).toBe(403);
    expect(get({})).toBeUndefined();
  });
});

describe('discord (Ed25519)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const rawPublic = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const s = settings(`scheme: discord\npublicKey: "${rawPublic}"`);
  const body = '{"type":1,"id":"1","application_id":"2"}';
  // Discord documents: Ed25519 over timestamp + raw body, hex in X-Signature-Ed25519.
  const signed = (ts: string, b = body) => ({ 'X-Signature-Ed25519': edSign(null, Buffer.from(ts + b), privateKey).toString('hex'), 'X-Signature-Timestamp': ts });
  it('accepts a correctly signed interaction', () => {
    expect(verify(s, request(signed(String(nowS)), body))).toEqual({ ok: true });
  });
  it('rejects tampering, a signature for another timestamp, stale/future, missing', () => {
    expect(verify(s, request(signed(String(nowS)), flip(body)))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ ...signed(String(nowS)), 'X-Signature-Timestamp': String(nowS + 1) }, body))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request(signed(String(nowS - 301)), body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request(signed(String(nowS + 301)), body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request({}, body))).toEqual({ ok: false, reason: 'missing signature' });
    expect(verify(s, request({ ...signed(String(nowS)), 'X-Signature-Ed25519': 'abcd' }, body))).toEqual({ ok: false, reason: 'malformed signature' });
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
    expect(verify(settings(`scheme: discord\npublicKey: "${other}"`), request(signed(String(nowS)), body))).toEqual({ ok: false, reason: 'signature mismatch' });
  });
  it('answers PING with PONG', () => {
    expect(s.scheme.handshake!({ type: 1 }, s)).toEqual({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"type":1}' });
    expect(s.scheme.handshake!({ type: 2 }, s)).toBeUndefined();
  });
});

describe('gitlab, token and basic: shared secrets', () => {
  it('gitlab: X-Gitlab-Token equals one of the secrets', () => {
    const s = settings('scheme: gitlab\nsecret: ["old-gitlab-token", "gitlab-token-not-real"]');
    expect(verify(s, request({ 'X-Gitlab-Token': 'gitlab-token-not-real' }, '{}'))).toEqual({ ok: true });
    expect(verify(s, request({ 'X-Gitlab-Token': 'gitlab-token-not-reaL' }, '{}'))).toEqual({ ok: false, reason: 'token mismatch' });
    expect(verify(s, request({}, '{}'))).toEqual({ ok: false, reason: 'missing token' });
  });
  it('token: Authorization Bearer by default, or a named header', () => {
    const s = settings('scheme: token\nsecret: ["old-token", "token-not-real"]');
    expect(verify(s, request({ Authorization: 'Bearer token-not-real' }, '{}'))).toEqual({ ok: true });
    expect(verify(s, request({ Authorization: 'bearer token-not-real' }, '{}'))).toEqual({ ok: true });
    expect(verify(s, request({ Authorization: 'Bearer token-not-rea' }, '{}'))).toEqual({ ok: false, reason: 'token mismatch' });
    expect(verify(s, request({ Authorization: 'token-not-real' }, '{}'))).toEqual({ ok: false, reason: 'token mismatch' });
    expect(verify(s, request({}, '{}'))).toEqual({ ok: false, reason: 'missing token' });
    const named = settings('scheme: token\nsecret: token-not-real\nheader: X-Api-Key');
    expect(verify(named, request({ 'X-Api-Key': 'token-not-real' }, '{}'))).toEqual({ ok: true });
  });
  it('basic: user and password both checked, with a WWW-Authenticate challenge', () => {
    const s = settings('scheme: basic\nusername: hook-user\npassword: hook-pass-not-real');
    const auth = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect(verify(s, request(auth('hook-user', 'hook-pass-not-real'), '{}'))).toEqual({ ok: true });
    const bad = verify(s, request(auth('hook-user', 'nope'), '{}'));
    expect(bad.ok === false && [bad.reason, bad.headers?.['WWW-Authenticate']]).toEqual(['credentials mismatch', 'Basic realm="switchboard", charset="UTF-8"']);
    expect(verify(s, request(auth('someone', 'hook-pass-not-real'), '{}'))).toMatchObject({ ok: false, reason: 'credentials mismatch' });
    expect(verify(s, request({}, '{}'))).toMatchObject({ ok: false, reason: 'missing credentials' });
  });
});

describe('hmac (generic)', () => {
  const s = settings(`scheme: hmac
secret: ["partner-old-not-real", "partner-secret-not-real"]
header: X-Signature
algorithm: sha512
encoding: base64
prefix: "v1="
timestampHeader: X-Timestamp
signed: "{timestamp}:{header:X-Request-Id}:{body}"`);
  const body = '{"order":1}';
  const sign = (ts: string, key = 'partner-secret-not-real', b = body) => ({
    'X-Signature': `v1=${b64('sha512', key, `${ts}:req-7:${b}`)}`,
    'X-Timestamp': ts,
    'X-Request-Id': 'req-7',
  });
  it('follows the configured recipe', () => {
    expect(verify(s, request(sign(String(nowS)), body))).toEqual({ ok: true });
    expect(verify(s, request(sign(String(NOW)), body))).toEqual({ ok: true }); // milliseconds accepted too
  });
  it('rejects tampering, wrong key, stale/future, missing parts', () => {
    expect(verify(s, request(sign(String(nowS)), flip(body)))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request({ ...sign(String(nowS)), 'X-Request-Id': 'req-8' }, body))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request(sign(String(nowS), 'wrong-key'), body))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(s, request(sign(String(nowS - 301)), body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request(sign(String(nowS + 301)), body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(verify(s, request({ 'X-Timestamp': String(nowS) }, body))).toEqual({ ok: false, reason: 'missing signature' });
    const { 'X-Timestamp': _, ...noTs } = sign(String(nowS));
    expect(verify(s, request(noTs, body))).toEqual({ ok: false, reason: 'missing timestamp' });
    expect(verify(s, request({ ...sign(String(nowS)), 'X-Signature': 'v1=***' }, body))).toEqual({ ok: false, reason: 'malformed signature' });
  });
  it('defaults: hex SHA-256 of the body, no prefix', () => {
    const plain = settings('scheme: hmac\nsecret: simple-not-real\nheader: X-Sig');
    expect(verify(plain, request({ 'X-Sig': hex('sha256', 'simple-not-real', body) }, body))).toEqual({ ok: true });
  });
});

describe('the registry', () => {
  it('every scheme verifies', () => {
    for (const s of schemes.values()) expect(typeof s.verify).toBe('function');
  });
});
