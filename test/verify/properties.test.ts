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
import type { VerifySettings } from '../../src/config/types.js';
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
