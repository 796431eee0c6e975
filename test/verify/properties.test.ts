// Properties of every verifier, over random payloads: a body signed the
// provider's way is accepted; the same signature with any single byte of the
// body changed is refused; a signature with any one character changed is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VerifySettings } from '../../src/config/types.js';
import type { SignedRequest } from '../../src/verify/types.js';
import { load } from '../helpers/config.js';

const VERIFY: Record<string, string> = {
  github: 'scheme: github\nsecret: prop-secret-not-real',
  gitlab: 'scheme: gitlab\nsecret: prop-token-not-real',
  stripe: 'scheme: stripe\nsecret: whsec_prop_not_real',
  slack: 'scheme: slack\nsecret: prop-slack-not-real',
  shopify: 'scheme: shopify\nsecret: prop-shopify-not-real',
  twilio: 'scheme: twilio\nsecret: prop-twilio-not-real',
  'standard-webhooks': 'scheme: standard-webhooks\nsecret: whsec_cHJvcC1zdGFuZGFyZC13ZWJob29rcw==',
  meta: 'scheme: meta\nsecret: prop-meta-not-real\nverifyToken: prop-verify',
  intercom: 'scheme: intercom\nsecret: prop-intercom-not-real',
  hmac: 'scheme: hmac\nsecret: prop-hmac-not-real\nheader: X-Sig\ntimestampHeader: X-Ts\nsigned: "{timestamp}.{body}"',
};
// Schemes whose credential does not depend on the body: only the signature-tampering property applies.
const BODY_BOUND = new Set(['github', 'stripe', 'slack', 'shopify', 'standard-webhooks', 'meta', 'intercom', 'hmac']);

function settings(block: string): VerifySettings {
  const { config, errors } = load(`version: 1\nsources:\n  s:\n    verify:\n${block.replace(/^/gm, '      ')}\nroutes: []\n`);
  if (!config) throw new Error(errors.join('\n'));
  return config.sources.get('s')!.verify;
}

const URL_ = 'https://hooks.example.com/hooks/s';
const NOW = Date.now();

function signed(s: VerifySettings, body: Buffer, contentType: string): SignedRequest {
  const headers = s.scheme.sign!(body, s, { url: URL_, now: NOW, id: 'msg_prop', contentType });
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', url: URL_, headers: { 'content-type': contentType, ...lower }, query: {}, rawBody: body, now: NOW };
}

// Twilio signs form parameters, the others the raw bytes: give each a body it understands.
const bodies = (scheme: string) =>
  scheme === 'twilio'
    ? fc
        .dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((k) => /^\w+$/.test(k)),
          fc.string({ maxLength: 20 }),
          { minKeys: 1 },
        )
        .map((d) => Buffer.from(new URLSearchParams(d).toString()))
    : fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a));

describe.each(Object.keys(VERIFY))('%s', (scheme) => {
  const s = settings(VERIFY[scheme]!);
  const contentType = scheme === 'twilio' ? 'application/x-www-form-urlencoded' : 'application/json';

  it('accepts any body signed the provider’s way', () => {
    fc.assert(
      fc.property(bodies(scheme), (body) => s.scheme.verify(signed(s, body, contentType), s).ok),
      { numRuns: 100 },
    );
  });

  // (gitlab's token and twilio's form parameters are not a signature of the raw bytes: the credential property covers them)
  if (BODY_BOUND.has(scheme))
    it('refuses the signature once any single byte of the body changes', () => {
      fc.assert(
        fc.property(bodies(scheme), fc.nat(), fc.integer({ min: 1, max: 255 }), (body, at, xor) => {
          const req = signed(s, body, contentType);
          const tampered = Buffer.from(body);
          const k = at % tampered.length;
          tampered[k] = tampered[k]! ^ xor;
          const v = s.scheme.verify({ ...req, rawBody: tampered }, s);
          return !v.ok;
        }),
        { numRuns: 150 },
      );
    });

  it('refuses any single changed character of the credential', () => {
    fc.assert(
      fc.property(bodies(scheme), fc.nat(), (body, at) => {
        const req = signed(s, body, contentType);
        // the header that carries the signature or token
        const name = Object.keys(req.headers).find((h) => /sig|token|hmac/.test(h) && h !== 'content-type')!;
        const value = req.headers[name]!;
        const i = at % value.length;
        const swapped = value[i] === 'a' ? 'b' : 'a';
        const changed = value.slice(0, i) + swapped + value.slice(i + 1);
        if (changed === value) return true;
        return !s.scheme.verify({ ...req, headers: { ...req.headers, [name]: changed } }, s).ok;
      }),
      { numRuns: 150 },
    );
  });
});

describe('the tampering property covers every scheme that signs the body', () => {
  it('(gitlab and twilio-as-form are checked by the credential property; token, basic and none carry no signature)', () => {
    expect([...BODY_BOUND].every((s) => s in VERIFY)).toBe(true);
  });
});
