// The twilio preset's own code (src/verify/presets/twilio.ts): the signed text
// (URL + sorted form parameters, or bodySHA256 for other bodies), the URL
// variants, verify.url behind a proxy, and the topic and id functions. The
// SDKs' published vectors are in test/verify/vectors/twilio.json.
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idOf, settingsFor, signHeaders, topicOf, verdict } from '../../helpers/verify.js';

const TOKEN = 'twilio-auth-token-not-real';
const s = settingsFor({ scheme: 'twilio', secret: TOKEN });
const FORM = 'application/x-www-form-urlencoded';

/** Twilio's rule, written out for the simple case (distinct names): URL, then each name+value sorted by name. */
function twilioSig(url: string, params: [string, string][] = [], token = TOKEN): string {
  const text =
    url +
    [...params]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => k + v)
      .join('');
  return createHmac('sha1', token).update(text).digest('base64');
}
const form = (params: [string, string][]) => new URLSearchParams(params).toString();

describe('twilio verify', () => {
  const url = 'https://hooks.example.com/hooks/in';
  const params: [string, string][] = [
    ['To', '+15550100'],
    ['From', '+15550199'],
    ['Body', 'hello & welcome'],
    ['MessageSid', 'SM0123'],
  ];

  it('a form post: the URL and the parameters sorted by name, in whatever order they arrive', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(params, { minLength: 1 }), (some) => {
        const sig = twilioSig(url, some);
        expect(verdict(s, { url, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form(some) })).toEqual({ ok: true });
        expect(verdict(s, { url, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form([...some].reverse()) })).toEqual({ ok: true });
      }),
    );
  });

  it('a changed, added or dropped parameter fails', () => {
    const sig = twilioSig(url, params);
    const post = (p: [string, string][]) => verdict(s, { url, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form(p) });
    expect(post(params)).toEqual({ ok: true });
    expect(post([...params.slice(0, 3), ['MessageSid', 'SM9999']])).toMatchObject({ ok: false, reason: 'signature mismatch' });
    expect(post([...params, ['Extra', '1']])).toMatchObject({ ok: false, reason: 'signature mismatch' });
    expect(post(params.slice(1))).toMatchObject({ ok: false, reason: 'signature mismatch' });
  });

  it('the URL is part of what is signed: another path or query fails', () => {
    const sig = twilioSig(url, params);
    for (const other of [`${url}/x`, `${url}?a=1`, 'https://hooks.example.com/hooks/IN']) {
      expect(verdict(s, { url: other, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form(params) }).ok, other).toBe(false);
    }
  });

  it.each([
    ['https://hooks.example.com:443/hooks/in', 'https://hooks.example.com/hooks/in'],
    ['https://hooks.example.com/hooks/in', 'https://hooks.example.com:443/hooks/in'],
    ['https://hooks.example.com/hooks/in?x=1', 'https://hooks.example.com:8443/hooks/in?x=1'],
    ['https://user:pw@hooks.example.com:443/hooks/in', 'https://user:pw@hooks.example.com/hooks/in'],
    ['https://[2001:db8::1]:443/hooks/in', 'https://[2001:db8::1]/hooks/in'],
    ['http://hooks.example.com:80/hooks/in', 'http://hooks.example.com/hooks/in'],
  ])('signed for %s, received at %s: accepted', (signedFor, received) => {
    const sig = twilioSig(signedFor, params);
    expect(verdict(s, { url: received, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form(params) })).toEqual({ ok: true });
  });

  it('another host or scheme is not a port variant', () => {
    const sig = twilioSig('https://other.example.com/hooks/in', params);
    expect(verdict(s, { url, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form(params) }).ok).toBe(false);
    const sigHttp = twilioSig('http://hooks.example.com/hooks/in', params);
    expect(verdict(s, { url, headers: { 'content-type': FORM, 'x-twilio-signature': sigHttp }, body: form(params) }).ok).toBe(false);
  });

  it('behind a proxy, verify.url is the URL Twilio called, with the request’s query added', () => {
    const behind = settingsFor({ scheme: 'twilio', secret: TOKEN, url: 'https://public.example.com/twilio' });
    const internal = 'http://10.0.0.5:8080/hooks/in?From=x';
    const sig = twilioSig('https://public.example.com/twilio?From=x', params);
    expect(verdict(behind, { url: internal, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form(params) })).toEqual({ ok: true });
    // A verify.url with its own query is used as written.
    const fixed = settingsFor({ scheme: 'twilio', secret: TOKEN, url: 'https://public.example.com/twilio?tenant=1' });
    const sigFixed = twilioSig('https://public.example.com/twilio?tenant=1', params);
    expect(verdict(fixed, { url: internal, headers: { 'content-type': FORM, 'x-twilio-signature': sigFixed }, body: form(params) })).toEqual({ ok: true });
  });

  it('a JSON body is bound by the bodySHA256 in the URL, and refused without it', () => {
    const json = '{"event":"x"}';
    const hash = createHash('sha256').update(json).digest('hex');
    const withHash = `${url}?bodySHA256=${hash}`;
    const sig = twilioSig(withHash);
    expect(verdict(s, { url: withHash, headers: { 'content-type': 'application/json', 'x-twilio-signature': sig }, body: json })).toEqual({ ok: true });
    // The hash in upper case is the same hash.
    const upper = `${url}?bodySHA256=${hash.toUpperCase()}`;
    expect(verdict(s, { url: upper, headers: { 'content-type': 'application/json', 'x-twilio-signature': twilioSig(upper) }, body: json })).toEqual({ ok: true });
    expect(verdict(s, { url: withHash, headers: { 'content-type': 'application/json', 'x-twilio-signature': sig }, body: `${json} ` })).toMatchObject({ reason: 'body hash mismatch' });
    // A signature over the bare URL must not vouch for whatever body came with it.
    expect(verdict(s, { url, headers: { 'content-type': 'application/json', 'x-twilio-signature': twilioSig(url) }, body: json })).toMatchObject({ reason: 'body hash mismatch' });
    expect(verdict(s, { url, headers: { 'x-twilio-signature': twilioSig(url) }, body: json })).toMatchObject({ reason: 'body hash mismatch' });
  });

  it('an empty body with no type signs the URL alone', () => {
    expect(verdict(s, { url, headers: { 'x-twilio-signature': twilioSig(url) }, body: '' })).toEqual({ ok: true });
  });

  // Regression (found by the unit tests, fixed): the signed text treats the content type case-insensitively, but the
  // "only form parameters are signed with the URL" guard compares it case-sensitively, so a correctly
  // signed form post whose Content-Type is written in capitals is refused as "body hash mismatch".
  it('reads the form content type in any case', () => {
    expect(verdict(s, { url, headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded', 'x-twilio-signature': twilioSig(url, params) }, body: form(params) })).toEqual({ ok: true });
  });

  it.each([
    [{}, 'missing signature'],
    [{ 'x-twilio-signature': '' }, 'missing signature'],
    [{ 'x-twilio-signature': '***not base64***' }, 'malformed signature'],
    [{ 'x-twilio-signature': Buffer.alloc(20).toString('base64') }, 'signature mismatch'],
  ])('headers %j → %s', (headers, reason) => {
    expect(verdict(s, { url, headers: { 'content-type': FORM, ...headers }, body: form(params) })).toMatchObject({ ok: false, reason });
  });

  it('another auth token fails; either of a rotated pair passes', () => {
    const sig = twilioSig(url, params, 'another-token-not-real');
    expect(verdict(s, { url, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form(params) }).ok).toBe(false);
    const rotated = settingsFor({ scheme: 'twilio', secret: ['another-token-not-real', TOKEN] });
    expect(verdict(rotated, { url, headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: form(params) })).toEqual({ ok: true });
  });

  it('a URL that does not parse is still checked as given, not thrown on', () => {
    expect(() => verdict(s, { headers: { 'content-type': FORM, 'x-twilio-signature': twilioSig('x') }, body: '' })).not.toThrow();
  });
});

describe('twilio topic and id', () => {
  it.each([
    [{ MessageSid: 'SM1', Body: 'hi' }, 'twilio.message'],
    [{ SmsSid: 'SM1', Body: '' }, 'twilio.message.status'], // an empty Body is no Body
    [{ MessageSid: 'SM1', NumMedia: '1' }, 'twilio.message'],
    [{ MessageSid: 'SM1', MessageStatus: 'delivered' }, 'twilio.message.status'],
    [{ CallSid: 'CA1' }, 'twilio.call'],
    [{ CallSid: 'CA1', CallStatus: 'ringing' }, 'twilio.call'],
    [{ CallSid: 'CA1', CallStatus: 'completed' }, 'twilio.call.status'],
    [{ MessageSid: '', CallSid: 'CA1', CallStatus: 'busy' }, 'twilio.call.status'],
    [{ AccountSid: 'AC1' }, 'twilio.unknown'],
    [{ MessageSid: { nested: 1 } }, 'twilio.unknown'],
    ['just text', 'twilio.unknown'],
    [null, 'twilio.unknown'],
  ])('%j → %s', async (payload, topic) => {
    expect(await topicOf(s, { payload })).toBe(topic);
  });

  it.each([
    [{ MessageSid: 'SM1', MessageStatus: 'sent' }, 'SM1:sent'],
    [{ MessageSid: 'SM1', MessageStatus: 'delivered' }, 'SM1:delivered'],
    [{ SmsSid: 'SM2', SmsStatus: 'received' }, 'SM2:received'],
    [{ CallSid: 'CA1', CallStatus: 'completed' }, 'CA1:completed'],
    [{ MessageSid: 'SM3' }, 'SM3'],
    [{ AccountSid: 'AC1' }, undefined],
    [{ MessageSid: '' }, undefined],
  ])('%j → id %s', async (payload, id) => {
    expect(await idOf(s, { payload })).toBe(id);
  });

  it('the unsigned I-Twilio-Idempotency-Token header never makes the id', async () => {
    expect(await idOf(s, { headers: { 'i-twilio-idempotency-token': 'fresh-token' }, payload: { MessageSid: 'SM1', MessageStatus: 'sent' } })).toBe('SM1:sent');
    expect(await idOf(s, { headers: { 'i-twilio-idempotency-token': 'fresh-token' }, payload: {} })).toBeUndefined();
  });
});

describe('twilio sign and answer', () => {
  it('signs a form post and a JSON post so that its own verify accepts them', () => {
    const url = 'https://hooks.example.com/hooks/in';
    const body = form([
      ['b', '2'],
      ['a', '1'],
      ['a', '0'],
    ]);
    expect(verdict(s, { url, headers: { 'content-type': FORM, ...signHeaders(s, body, { url, contentType: FORM }) }, body })).toEqual({ ok: true });
    const json = '{"x":1}';
    const hashed = `${url}?bodySHA256=${createHash('sha256').update(json).digest('hex')}`;
    expect(verdict(s, { url: hashed, headers: { 'content-type': 'application/json', ...signHeaders(s, json, { url: hashed }) }, body: json })).toEqual({ ok: true });
  });

  it('with verify.url, signs for that URL', () => {
    const behind = settingsFor({ scheme: 'twilio', secret: TOKEN, url: 'https://public.example.com/twilio' });
    const h = signHeaders(behind, '', { url: 'http://10.0.0.5/hooks/in', contentType: FORM });
    expect(h['x-twilio-signature']).toBe(twilioSig('https://public.example.com/twilio'));
  });

  it('answers an accepted webhook with empty TwiML', () => {
    const reply = s.scheme.accepted!();
    expect(reply.status).toBe(200);
    expect(reply.headers['Content-Type']).toMatch(/^text\/xml/);
    expect(reply.body).toMatch(/<Response><\/Response>$/);
  });
});
