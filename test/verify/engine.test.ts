// The generic engines, part by part, through the real config loader: every
// `signed` part, each timestamp format, tolerance 0, structured headers with
// several signatures, secret encodings, base64url, signatures in the body, and
// the three public-key algorithms. Expected signatures are computed here with
// node:crypto from the documented recipe, never with Switchboard's signer.
import { createHmac, generateKeyPairSync, sign as pkSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { VerifySettings } from '../../src/verify/types.js';
import type { SignedRequest } from '../../src/verify/types.js';
import { load } from '../helpers/config.js';

function settings(verify: string): VerifySettings {
  const { config, errors } = load(`version: 1\nsources:\n  s:\n    verify:\n${verify.replace(/^/gm, '      ')}\nroutes: []\n`);
  if (!config) throw new Error(errors.join('\n'));
  return config.sources.get('s')!.verify;
}

const NOW = 1_764_000_000_000;
const URL_ = 'https://hooks.example.com/hooks/s?shop=a%20b';

function req(headers: Record<string, string>, body: string, extra: Partial<SignedRequest> = {}): SignedRequest {
  const raw = Buffer.from(body);
  return {
    method: 'POST',
    url: URL_,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    query: {},
    rawBody: raw,
    now: NOW,
    payload: () => {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        return undefined;
      }
    },
    ...extra,
  };
}
const mac = (alg: string, key: string | Buffer, text: string, enc: 'hex' | 'base64' | 'base64url' = 'hex') => createHmac(alg, key).update(text).digest(enc);
const check = (s: VerifySettings, r: SignedRequest) => s.scheme.verify(r, s);
const KEY = 'engine-secret-not-real';

describe('hmac: signed defaults to {body}, also with a timestamp header (the old default signed "{timestamp}.{body}")', () => {
  const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\ntimestampHeader: X-Ts`);
  it('a body-only signature with a fresh timestamp is accepted; a stale one refused', () => {
    const body = '{"a":1}';
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, body), 'X-Ts': String(NOW / 1000) }, body))).toEqual({ ok: true });
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, body), 'X-Ts': String(NOW / 1000 - 301) }, body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, body) }, body))).toEqual({ ok: false, reason: 'missing timestamp' });
  });
});

describe('hmac: every signed part', () => {
  const body = '{"order":{"id":42,"ref":"r-9"}}';
  it('{method}{url}{path}{header:Name}{field:path} and literal text', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\nsigned: "{method} {url}|{path}|{header:X-Request-Id}|{field:order.id}.{field:order.ref}.{field:nope}|{body}"`);
    const text = `POST ${URL_}|/hooks/s?shop=a%20b|req-7|42.r-9.|${body}`;
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, text), 'X-Request-Id': 'req-7' }, body))).toEqual({ ok: true });
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, text), 'X-Request-Id': 'req-8' }, body))).toEqual({ ok: false, reason: 'signature mismatch' });
  });
  it('{url} is verify.url when set (the address configured at the provider), with the query', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\nurl: https://public.example.com/in\nsigned: "{url}{body}"`);
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, `https://public.example.com/in?shop=a%20b${body}`) }, body))).toEqual({ ok: true });
  });
  it("{form:sorted}: sorted by name; a repeated name with its distinct values sorted, each once (as Twilio's SDKs sign)", () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\nalgorithm: sha1\nencoding: base64\nsigned: "{url}{form:sorted}"`);
    const form = 'To=%2B1555&Body=hi+there&MediaUrl=b&MediaUrl=a&MediaUrl=b&From=x';
    const text = `${URL_}Bodyhi thereFromxMediaUrlaMediaUrlbTo+1555`;
    expect(check(s, req({ 'X-Sig': mac('sha1', KEY, text, 'base64') }, form))).toEqual({ ok: true });
  });
});

describe('hmac: timestamps', () => {
  const body = 'x';
  it('ms', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\ntimestampHeader: X-Ts\ntimestampFormat: ms\nsigned: "{timestamp}{body}"`);
    const ts = String(NOW - 1000);
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, ts + body), 'X-Ts': ts }, body))).toEqual({ ok: true });
    const old = String(NOW - 301_000);
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, old + body), 'X-Ts': old }, body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
  });
  it('iso8601 with 9 fractional digits (Twitch), with an offset, and garbage', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\ntimestampHeader: X-Ts\ntimestampFormat: iso8601\nsigned: "{timestamp}{body}"`);
    for (const ts of [new Date(NOW - 2000).toISOString().replace('Z', '123456Z'), '2025-11-24T17:00:00+01:00', new Date(NOW).toISOString().replace(/\.\d+Z$/, 'Z')]) {
      const expected = Math.abs(Date.parse(ts) - NOW) <= 300_000;
      expect(check(s, req({ 'X-Sig': mac('sha256', KEY, ts + body), 'X-Ts': ts }, body)).ok, ts).toBe(expected);
    }
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, 'yesterday' + body), 'X-Ts': 'yesterday' }, body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
  });
  it('tolerance 0: a signed timestamp of any age is accepted (a sender that never expects the check)', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\ntimestampHeader: X-Ts\ntolerance: 0\nsigned: "{timestamp}.{body}"`);
    expect(check(s, req({ 'X-Sig': mac('sha256', KEY, `1000000000.${body}`), 'X-Ts': '1000000000' }, body))).toEqual({ ok: true });
  });
});

describe('hmac: structured headers', () => {
  const body = '{"e":1}';
  it('t=,v1=,v1= (any v1 may match; spaces trimmed)', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\nformat: { signature: v1, timestamp: t }\nsigned: "{timestamp}.{body}"`);
    const t = String(NOW / 1000);
    const good = mac('sha256', KEY, `${t}.${body}`);
    expect(check(s, req({ 'X-Sig': `t=${t}, v1=${'0'.repeat(64)}, v1=${good}` }, body))).toEqual({ ok: true });
    expect(check(s, req({ 'X-Sig': `t=${t},v0=${good}` }, body))).toEqual({ ok: false, reason: 'malformed signature' });
    expect(check(s, req({ 'X-Sig': `v1=${good}` }, body))).toEqual({ ok: false, reason: 'missing timestamp' });
  });
  it('ts=;h1= (Paddle-shaped)', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\nformat: { pairs: ";", signature: h1, timestamp: ts }\nsigned: "{timestamp}:{body}"`);
    const t = String(NOW / 1000);
    expect(check(s, req({ 'X-Sig': `ts=${t};h1=${mac('sha256', KEY, `${t}:${body}`)}` }, body))).toEqual({ ok: true });
  });
  it('a hostile header of any shape is a refusal, never an exception', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\nformat: { signature: v1, timestamp: t }\nsigned: "{timestamp}.{body}"`);
    for (const h of ['', ',,,', '=', 't=', 'v1=', 't==,v1==', `${'v1=zz,'.repeat(2000)}t=1`, 't=1'.repeat(500), '\u0000\uffff', 't=99999999999999999999,v1=00']) {
      const v = check(s, req({ 'X-Sig': h }, body));
      expect(v.ok, h.slice(0, 20)).toBe(false);
    }
  });
});

describe('hmac: encodings', () => {
  const body = 'payload';
  it('secretEncoding base64, hex and whsec: the decoded bytes are the key', () => {
    const key = Buffer.from('raw-key-bytes-not-real');
    for (const [enc, written] of [
      ['base64', key.toString('base64')],
      ['hex', key.toString('hex')],
      ['whsec', `whsec_${key.toString('base64')}`],
    ] as const) {
      const s = settings(`scheme: hmac\nsecret: "${written}"\nheader: X-Sig\nsecretEncoding: ${enc}`);
      expect(check(s, req({ 'X-Sig': mac('sha256', key, body) }, body)), enc).toEqual({ ok: true });
      expect(check(s, req({ 'X-Sig': mac('sha256', written, body) }, body)), `${enc}: the text itself is not the key`).toEqual({ ok: false, reason: 'signature mismatch' });
    }
  });
  it('base64url signatures, sha512', () => {
    const s = settings(`scheme: hmac\nsecret: ${KEY}\nheader: X-Sig\nalgorithm: sha512\nencoding: base64url`);
    expect(check(s, req({ 'X-Sig': mac('sha512', KEY, body, 'base64url') }, body))).toEqual({ ok: true });
  });
});

describe('hmac: the signature inside the body (signatureFrom, timestampFrom)', () => {
  const s = settings(`scheme: hmac\nsecret: ${KEY}\nsignatureFrom: sig.value\ntimestampFrom: sig.ts\nsigned: "{field:sig.ts}{field:sig.token}"`);
  const ts = String(NOW / 1000);
  const body = (sig: string, t = ts) => JSON.stringify({ sig: { ts: t, token: 'tok-1', value: sig }, data: 1 });
  it('accepted, stale, wrong, missing', () => {
    expect(check(s, req({}, body(mac('sha256', KEY, `${ts}tok-1`))))).toEqual({ ok: true });
    const old = String(NOW / 1000 - 3600);
    expect(check(s, req({}, body(mac('sha256', KEY, `${old}tok-1`), old)))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    expect(check(s, req({}, body(mac('sha256', 'other-key-not-real', `${ts}tok-1`))))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(check(s, req({}, '{"data":1}'))).toEqual({ ok: false, reason: 'missing signature' });
    expect(check(s, req({}, 'not json'))).toEqual({ ok: false, reason: 'missing signature' });
  });
});

describe('signature: public-key algorithms', () => {
  const body = '{"hello":"world"}';
  const ts = String(NOW / 1000);
  it('ed25519 (raw hex key), ecdsa-p256-sha256 (DER and raw r||s, base64 SPKI key), rsa-sha256 (PEM)', () => {
    const ed = generateKeyPairSync('ed25519');
    const edRaw = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
    const sEd = settings(`scheme: signature\nalgorithm: ed25519\npublicKey: "${edRaw}"\nheader: X-Sig\ntimestampHeader: X-Ts\nsigned: "{timestamp}{body}"`);
    const edSig = pkSign(null, Buffer.from(ts + body), ed.privateKey).toString('hex');
    expect(check(sEd, req({ 'X-Sig': edSig, 'X-Ts': ts }, body))).toEqual({ ok: true });
    expect(check(sEd, req({ 'X-Sig': edSig, 'X-Ts': ts }, body + ' '))).toEqual({ ok: false, reason: 'signature mismatch' });

    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecKey = ec.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const sEc = settings(`scheme: signature\nalgorithm: ecdsa-p256-sha256\npublicKey: "${ecKey}"\nheader: X-Sig\nencoding: base64\ntimestampHeader: X-Ts\nsigned: "{timestamp}{body}"`);
    const der = pkSign('sha256', Buffer.from(ts + body), ec.privateKey).toString('base64');
    const raw = pkSign('sha256', Buffer.from(ts + body), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
    expect(check(sEc, req({ 'X-Sig': der, 'X-Ts': ts }, body))).toEqual({ ok: true });
    expect(check(sEc, req({ 'X-Sig': raw, 'X-Ts': ts }, body))).toEqual({ ok: true });
    expect(check(sEc, req({ 'X-Sig': der, 'X-Ts': String(NOW / 1000 - 900) }, body))).toEqual({ ok: false, reason: 'timestamp outside tolerance' });

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const sRsa = settings(`scheme: signature\nalgorithm: rsa-sha256\npublicKey: |\n${pem.replace(/^/gm, '  ').trimEnd()}\nheader: X-Sig\nencoding: base64`);
    const rsaSig = pkSign('sha256', Buffer.from(body), rsa.privateKey).toString('base64');
    expect(check(sRsa, req({ 'X-Sig': rsaSig }, body))).toEqual({ ok: true });
    expect(check(sRsa, req({ 'X-Sig': rsaSig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, body))).toEqual({ ok: false, reason: 'signature mismatch' });
  });
  it('a key of the wrong type for the algorithm is a config error', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const { errors } = load(`version: 1\nsources:\n  s:\n    verify: { scheme: signature, algorithm: rsa-sha256, publicKey: "${ec}", header: X-Sig }\nroutes: []\n`);
    expect(errors.join('\n')).toMatch(/publicKey: it is an ec key, not rsa/);
  });
});
