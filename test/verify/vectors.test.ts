// Every scheme in the registry against its vector file (test/verify/vectors/<name>.json):
// the provider's published examples or SDK test vectors (each case says where it
// came from; `computed: true` marks one made here by following the documented
// algorithm with node:crypto, where nothing was published). Each request goes
// through the real ingress (verify → parse → handshake → split → store, a real
// SQLite file) with the clock set to the case's `now`. From every accepted case
// come four more: one body byte changed (refused), a wrong secret (refused), the
// secret second in a rotated list (accepted) and, for a scheme with a timestamp,
// a day later (refused as stale). A scheme without a vector file fails here.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Config } from '../../src/config/types.js';
import { ingressApp } from '../../src/ingress/app.js';
import { RejectionLog } from '../../src/ingress/rejections.js';
import { createLogger } from '../../src/observe/log.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { hasTimestamp } from '../../src/verify/engine.js';
import { SPECS } from '../../src/verify/registry.js';
import { load, tempDir } from '../helpers/config.js';

interface VectorRequest {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: string;
  bodyBase64?: string;
  contentType?: string;
}
type Expect = 'accept' | { reject: string } | { respond: { status: number; body?: string; headers?: Record<string, string> } } | { status: number };
interface VectorCase {
  name: string;
  from?: string;
  computed?: boolean;
  verify?: Record<string, unknown>;
  request: VectorRequest;
  now?: number;
  expect: Expect;
  topic?: string;
  id?: string | null;
  split?: { topic?: string; id?: string | null }[];
  derive?: boolean;
  /** A handshake kept as an event (no deliveries) under this topic. */
  recorded?: string;
}
interface VectorFile {
  scheme: string;
  verify: Record<string, unknown>;
  sources?: string[];
  cases: VectorCase[];
}

const DIR = join(import.meta.dirname, 'vectors');
const files = new Map<string, { file: string; data: VectorFile }[]>();
for (const name of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
  const data = JSON.parse(readFileSync(join(DIR, name), 'utf8')) as VectorFile;
  const list = files.get(data.scheme) ?? [];
  list.push({ file: name, data });
  files.set(data.scheme, list);
}

let store: Store;
const log = createLogger({ LOG_LEVEL: 'silent' });
let sourceCount = 0;

beforeAll(async () => {
  store = await openStore(`sqlite:${join(tempDir(), 'vectors.db')}`);
});
afterAll(async () => {
  await store.close();
});

function configFor(scheme: string, verify: Record<string, unknown>, url: URL): { config: Config; source: string } {
  const source = `s${++sourceCount}`;
  const text = `version: 1
server: { basePath: "", publicUrl: ${JSON.stringify(url.origin)} }
sources:
  ${source}:
    path: ${JSON.stringify(url.pathname)}
    verify: ${JSON.stringify({ scheme, ...verify })}
targets:
  t: { url: "http://127.0.0.1:9/never-called" }
routes:
  - { name: all, source: ${source}, target: t }
`;
  const { config, errors } = load(text);
  if (!config) throw new Error(`the vector's verify block does not load:\n${errors.join('\n')}`);
  return { config, source };
}

interface Outcome {
  status: number;
  text: string;
  headers: Headers;
  events: { topic: string; deliveryId?: string }[];
  /** Deliveries queued for those events. */
  deliveries: number;
}

async function run(scheme: string, verify: Record<string, unknown>, c: VectorCase, body: Buffer): Promise<Outcome> {
  const url = new URL(c.request.url ?? 'https://hooks.example.com/hooks/vector');
  const { config, source } = configFor(scheme, verify, url);
  const app = ingressApp({ config: () => config, store, log, rejections: new RejectionLog(), now: () => c.now ?? Date.now() });
  const headers = new Headers(c.request.headers ?? {});
  if (c.request.contentType && !headers.has('content-type')) headers.set('content-type', c.request.contentType);
  if (!headers.has('content-type') && body.length) headers.set('content-type', 'application/json');
  const method = c.request.method ?? 'POST';
  const res = await app.request(url.pathname + url.search, { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body }) });
  const text = await res.text();
  const page = await store.listEvents({ source, limit: 1000 });
  const events = [...page.events].reverse().map((e) => ({ topic: e.topic, ...(e.deliveryId !== undefined ? { deliveryId: e.deliveryId } : {}) }));
  let deliveries = 0;
  for (const e of page.events) deliveries += (await store.deliveriesFor(e.id)).length;
  return { status: res.status, text, headers: res.headers, events, deliveries };
}

function bodyOf(r: VectorRequest): Buffer {
  if (r.bodyBase64 !== undefined) return Buffer.from(r.bodyBase64, 'base64');
  return Buffer.from(r.body ?? '', 'utf8');
}

function check(out: Outcome, c: VectorCase) {
  const e = c.expect;
  if (e === 'accept') {
    expect(out.status, out.text).toBe(200);
    if (c.split) {
      expect(out.events.map((x) => ({ topic: x.topic, id: x.deliveryId ?? null }))).toEqual(c.split.map((x) => ({ topic: x.topic ?? '', id: x.id ?? null })));
      return;
    }
    expect(out.events).toHaveLength(1);
    expect(out.deliveries, 'the one route takes every event').toBe(1);
    if (c.topic !== undefined) expect(out.events[0]!.topic).toBe(c.topic);
    if (c.id !== undefined) expect(out.events[0]!.deliveryId ?? null).toBe(c.id);
  } else if ('reject' in e) {
    expect(out.status, out.text).toBe(401);
    expect((JSON.parse(out.text) as { error: string }).error).toBe(e.reject);
    expect(out.events).toHaveLength(0);
  } else if ('respond' in e) {
    expect(out.status, out.text).toBe(e.respond.status);
    // A refusing probe (status 4xx) is answered like every refusal: {"error": <the rule's body>}.
    if (e.respond.body !== undefined) expect(e.respond.status >= 400 ? (JSON.parse(out.text) as { error: string }).error : out.text).toBe(e.respond.body);
    for (const [k, v] of Object.entries(e.respond.headers ?? {})) expect(out.headers.get(k)).toBe(v);
    expect(out.events.map((x) => x.topic)).toEqual(c.recorded !== undefined ? [c.recorded] : []);
    expect(out.deliveries, 'a handshake is never delivered').toBe(0);
  } else {
    expect(out.status, out.text).toBe(e.status);
  }
}

/** A secret of the same shape that is not the secret. */
function wrongSecret(secret: string, encoding: unknown): string {
  if (encoding === 'hex') return 'ab'.repeat(16);
  if (encoding === 'base64' || secret.startsWith('whsec_') || encoding === 'whsec')
    return `${secret.startsWith('whsec_') ? 'whsec_' : ''}${Buffer.from('wrong-secret-not-real-0123').toString('base64')}`;
  return 'wrong-secret-not-real-0123';
}

const otherPublicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const otherEcKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

function flipped(body: Buffer): Buffer {
  const b = Buffer.from(body);
  const i = Math.floor(b.length / 2);
  b[i] = b[i]! === 0x61 ? 0x62 : 0x61; // 'a' ↔ 'b': the body stays text (and usually JSON)
  return b;
}

describe('every scheme has vectors', () => {
  it.each(SPECS.filter((s) => s.name !== 'none').map((s) => s.name))('%s', (name) => {
    const spec = SPECS.find((s) => s.name === name)!;
    expect(spec.vectors, `${name} declares no vectors file`).toBeDefined();
    expect(existsSync(join(import.meta.dirname, '../..', spec.vectors!)), `${spec.vectors} is missing`).toBe(true);
    expect(
      files.get(name)?.some((f) => f.data.cases.some((c) => c.expect === 'accept')),
      `${name}: no accepted case`,
    ).toBe(true);
  });
  it('every vector file names a registered scheme', () => {
    for (const scheme of files.keys()) expect(SPECS.map((s) => s.name)).toContain(scheme);
  });
});

for (const [scheme, list] of files) {
  for (const { file, data } of list) {
    describe(`${scheme} (${file})`, () => {
      for (const c of data.cases) {
        // A case may take a key away with null (a source with no secret yet).
        const verify = Object.fromEntries(Object.entries({ ...data.verify, ...c.verify }).filter(([, v]) => v !== null));
        it(`${c.name}${c.computed ? ' (computed)' : ''}`, async () => {
          check(await run(scheme, verify, c, bodyOf(c.request)), c);
        });
        if (c.expect !== 'accept' || c.derive === false) continue;
        const spec = SPECS.find((s) => s.name === scheme);
        if (!spec) continue;
        const probe = configFor(scheme, verify, new URL(c.request.url ?? 'https://hooks.example.com/hooks/vector'))
          .config.sources.values()
          .next().value!.verify;
        const engine = probe.engine;
        const bodyBound = probe.scheme.engine === 'custom' || (engine !== undefined && engine.signed.some((p) => p.kind === 'body' || p.kind === 'form'));
        if (bodyBound && bodyOf(c.request).length > 0) {
          it(`${c.name}: one body byte changed → refused`, async () => {
            const out = await run(scheme, verify, c, flipped(bodyOf(c.request)));
            expect(out.status, out.text).toBe(401);
            expect(out.events).toHaveLength(0);
          });
        }
        const secret = verify.secret;
        if (typeof secret === 'string' || probe.scheme.engine === 'signature' || probe.scheme.engine === 'basic') {
          it(`${c.name}: wrong secret → refused`, async () => {
            const wrong =
              probe.scheme.engine === 'signature'
                ? { publicKey: engine?.algorithm === 'ed25519' ? otherPublicKey : otherEcKey }
                : probe.scheme.engine === 'basic'
                  ? { password: 'wrong-password-not-real' }
                  : { secret: wrongSecret(secret as string, verify.secretEncoding ?? spec.hmac?.secretEncoding) };
            const out = await run(scheme, { ...verify, ...wrong }, c, bodyOf(c.request));
            expect(out.status, out.text).toBe(401);
          });
        }
        if (typeof secret === 'string') {
          it(`${c.name}: the secret second in a rotated list → accepted`, async () => {
            const out = await run(scheme, { ...verify, secret: [wrongSecret(secret, verify.secretEncoding ?? spec.hmac?.secretEncoding), secret] }, c, bodyOf(c.request));
            check(out, c);
          });
        }
        if (engine && hasTimestamp(engine) && engine.toleranceMs > 0 && c.now !== undefined) {
          it(`${c.name}: a day later → stale`, async () => {
            const out = await run(scheme, verify, { ...c, now: c.now! + 86_400_000 }, bodyOf(c.request));
            expect(out.status, out.text).toBe(401);
            expect((JSON.parse(out.text) as { error: string }).error).toBe('timestamp outside tolerance');
          });
        }
      }
    });
  }
}

// The README's "Your provider is not listed" configs pass the vectors of the preset each mirrors.
describe("the README's generic configs", () => {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('#### Your provider is not listed'), readme.indexOf('#### Handshakes'));
  const blocks = [...section.matchAll(/```yaml\n# the same as scheme: ([\w-]+)[^\n]*\n([\s\S]*?)```/g)];
  it('shows three, each naming the preset it mirrors', () => {
    expect(blocks.map((b) => b[1])).toEqual(['github', 'stripe', 'mailgun']);
  });
  for (const [, preset, yaml] of blocks) {
    const shown = (parseYaml(yaml!) as { verify: Record<string, unknown> }).verify;
    // The preset's own file (github-sha1.json is about an option the generic config does not mirror).
    const vectors = files.get(preset!)!.filter((f) => f.file === `${preset}.json`);
    for (const { data } of vectors) {
      for (const c of data.cases.filter((x) => x.expect === 'accept' || (typeof x.expect === 'object' && 'reject' in x.expect))) {
        it(`${preset}: ${c.name}`, async () => {
          const { scheme, secret: _shownSecret, ...keys } = shown;
          const fromVectors = { ...data.verify, ...c.verify };
          const out = await run(String(scheme), { ...keys, secret: fromVectors.secret }, c, bodyOf(c.request));
          if (c.expect === 'accept') expect(out.status, out.text).toBe(200);
          else {
            expect(out.status, out.text).toBe(401);
            expect((JSON.parse(out.text) as { error: string }).error).toBe((c.expect as { reject: string }).reject);
          }
        });
      }
    }
  }
});
