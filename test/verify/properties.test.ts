// Properties of every scheme `switchboard send` can sign for, over random
// payloads: a body signed the provider's way is accepted; the same signature
// with any single byte of the body changed is refused (for schemes that sign
// the body); the credential with any one character changed is refused. The
// list comes from the registry, so a new scheme cannot escape it; each is set
// up with its vector file's verify block.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerifySettings } from '../../src/verify/types.js';
import { SPECS, schemes } from '../../src/verify/registry.js';
import { signProblem } from '../../src/verify/resolve.js';
import type { SignedRequest } from '../../src/verify/types.js';
import { load } from '../helpers/config.js';

const DIR = join(import.meta.dirname, 'vectors');
const verifyBlocks = new Map<string, Record<string, unknown>>();
for (const f of readdirSync(DIR).filter((n) => n.endsWith('.json'))) {
  const data = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { scheme: string; verify: Record<string, unknown>; cases: { verify?: Record<string, unknown> }[] };
  if (!verifyBlocks.has(data.scheme)) verifyBlocks.set(data.scheme, { ...data.verify, ...data.cases[0]?.verify });
}

function settings(scheme: string): VerifySettings | undefined {
  const block = verifyBlocks.get(scheme);
  if (!block) return undefined;
  const { config } = load(`version: 1\nsources:\n  s:\n    verify: ${JSON.stringify({ scheme, ...block })}\nroutes: []\n`);
  return config?.sources.get('s')!.verify;
}

const URL_ = 'https://hooks.example.com/hooks/s';
const NOW = Date.now();

function signed(s: VerifySettings, body: Buffer, contentType: string): SignedRequest {
  const headers = s.scheme.sign!(body, s, { url: URL_, now: NOW, id: 'msg_prop', contentType });
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const parsed = () => {
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  };
  return { method: 'POST', url: URL_, headers: { 'content-type': contentType, ...lower }, query: {}, rawBody: body, now: NOW, payload: parsed };
}

const formBased = (s: VerifySettings) => s.scheme.name === 'twilio' || (s.engine?.signed.some((p) => p.kind === 'form') ?? false);
const bodies = (s: VerifySettings) =>
  formBased(s)
    ? fc
        .dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((k) => /^\w+$/.test(k)),
          fc.string({ maxLength: 20 }),
          { minKeys: 1 },
        )
        .map((d) => Buffer.from(new URLSearchParams(d).toString()))
    : fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a));

const signable = SPECS.map((spec) => spec.name).filter((name) => {
  const s = settings(name);
  return s !== undefined && s.scheme.engine !== 'none' && signProblem(schemes.get(name)!, s) === undefined;
});

describe('the property list', () => {
  it('holds every scheme send can sign for (from the registry), and most of them', () => {
    expect(signable.length).toBeGreaterThan(30);
    for (const spec of SPECS) {
      const s = settings(spec.name);
      if (s && s.scheme.engine !== 'none' && s.scheme.sign && signProblem(s.scheme, s) === undefined) expect(signable).toContain(spec.name);
    }
  });
});

describe.each(signable)('%s', (name) => {
  const s = settings(name)!;
  const contentType = formBased(s) ? 'application/x-www-form-urlencoded' : 'application/json';
  const bodyBound = s.scheme.engine === 'custom' ? s.scheme.name !== 'gitlab' : (s.engine?.signed.some((p) => p.kind === 'body' || p.kind === 'form') ?? false);

  it('accepts any body signed the provider’s way', () => {
    fc.assert(
      fc.property(bodies(s), (body) => s.scheme.verify(signed(s, body, contentType), s).ok),
      { numRuns: 60 },
    );
  });

  if (bodyBound)
    it('refuses the signature once any single byte of the body changes', () => {
      fc.assert(
        fc.property(bodies(s), fc.nat(), fc.integer({ min: 1, max: 255 }), (body, at, xor) => {
          const req = signed(s, body, contentType);
          const tampered = Buffer.from(body);
          const k = at % tampered.length;
          tampered[k] = tampered[k]! ^ xor;
          return !s.scheme.verify({ ...req, rawBody: tampered }, s).ok;
        }),
        { numRuns: 80 },
      );
    });

  it('refuses any single changed character of the credential', () => {
    fc.assert(
      fc.property(bodies(s), fc.nat(), (body, at) => {
        const req = signed(s, body, contentType);
        const name = s.header ?? Object.keys(req.headers).find((h) => /sig|token|hmac|authorization/.test(h))!;
        const value = req.headers[name]!;
        const i = at % value.length;
        const swapped = value[i] === 'a' ? 'b' : 'a';
        const changed = value.slice(0, i) + swapped + value.slice(i + 1);
        // The prefix (sha256=, "HMAC ") is matched without regard to case, as senders vary.
        if (changed === value || (i < (s.engine?.prefix.length ?? 0) && changed.toLowerCase() === value.toLowerCase())) return true;
        return !s.scheme.verify({ ...req, headers: { ...req.headers, [name]: changed } }, s).ok;
      }),
      { numRuns: 80 },
    );
  });
});

// A malformed signature header of any shape is a refusal with a short reason — never an exception (a 500).
describe('hostile headers, every scheme', () => {
  const cases = new Map<string, { headers: Record<string, string>; body: string; url?: string }>();
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.json'))) {
    const data = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { scheme: string; cases: { expect: unknown; request: { headers?: Record<string, string>; body?: string; url?: string } }[] };
    const c = data.cases.find((x) => x.expect === 'accept');
    if (c && !cases.has(data.scheme)) cases.set(data.scheme, { headers: c.request.headers ?? {}, body: c.request.body ?? '', ...(c.request.url ? { url: c.request.url } : {}) });
  }
  const names = SPECS.map((s) => s.name).filter((n) => n !== 'none' && cases.has(n) && settings(n));
  it.each(names)('%s', (name) => {
    const s = settings(name)!;
    const base = cases.get(name)!;
    // A scheme that reads nothing from headers (Mailgun: all in the body) gets its body fuzzed alone.
    const headerNames = [...Object.keys(base.headers).map((h) => h.toLowerCase()), 'content-type'];
    const hostile = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.stringMatching(/^[tv0-9=,;: .a-f]{0,120}$/),
      fc.constantFrom('', '=', ',', 'v1=', 't=', 'sha256=', 'v0=zz', 'Basic', 'Basic !!!', 'HMAC ', 'Bearer ', '\u0000', 'x'.repeat(8000)),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...headerNames), hostile),
        fc.oneof(fc.string({ maxLength: 100 }), fc.json({ maxDepth: 3 }), fc.constant('{"signature":{"signature":7,"timestamp":{},"token":null}}')),
        (changed, body) => {
          const headers = { ...Object.fromEntries(Object.entries(base.headers).map(([k, v]) => [k.toLowerCase(), v])), ...changed };
          const raw = Buffer.from(body || base.body);
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw.toString());
          } catch {
            parsed = undefined;
          }
          const req: SignedRequest = { method: 'POST', url: base.url ?? URL_, headers, query: {}, rawBody: raw, now: NOW, payload: () => parsed };
          const v = s.scheme.verify(req, s);
          return v.ok || (typeof v.reason === 'string' && v.reason.length < 40);
        },
      ),
      { numRuns: 150 },
    );
  });
});
