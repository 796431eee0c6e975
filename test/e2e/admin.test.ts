// The admin API and the CLI built on it: `send` signs for every scheme the
// server verifies (a round trip each), `events` and `replay`, paging and
// filters, masking, and /metrics.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SPECS, schemes } from '../../src/verify/registry.js';
import { signProblem } from '../../src/verify/resolve.js';
import { load } from '../helpers/config.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from '../helpers/config.js';
import { spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const ROOT = resolve(__dirname, '../..');
const TOKEN = 'admin-e2e-token-not-real';

// Every provider preset whose vector file gives settings send can sign with: one source each, from the registry.
const VECTORS = join(ROOT, 'test/verify/vectors');
const presetSources = SPECS.filter((spec) => !spec.generic)
  .map((spec): { name: string; verify: Record<string, unknown> } | undefined => {
    const file = join(VECTORS, `${spec.name}.json`);
    if (!existsSync(file)) return undefined;
    const data = JSON.parse(readFileSync(file, 'utf8')) as { verify: Record<string, unknown> };
    return { name: spec.name, verify: { scheme: spec.name, ...data.verify } };
  })
  .filter((x): x is { name: string; verify: Record<string, unknown> } => x !== undefined);
const ed = generateKeyPairSync('ed25519');
const edPublicHex = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');

function config(sink: string): string {
  return `version: 1
admin: { token: ${TOKEN} }
sources:
  github: { verify: { scheme: github, secret: gh-secret-not-real } }
  gitlab: { verify: { scheme: gitlab, secret: gl-token-not-real } }
  stripe: { verify: { scheme: stripe, secret: whsec_stripe_not_real } }
  slack: { verify: { scheme: slack, secret: slack-secret-not-real } }
  shopify: { verify: { scheme: shopify, secret: shopify-secret-not-real } }
  twilio: { verify: { scheme: twilio, secret: twilio-token-not-real } }
  svix: { verify: { scheme: standard-webhooks, secret: whsec_c3ZpeC1lMmUtc2VjcmV0LW5vdC1yZWFs } }
  meta: { verify: { scheme: meta, secret: meta-secret-not-real, verifyToken: meta-verify-not-real } }
  intercom: { verify: { scheme: intercom, secret: intercom-secret-not-real } }
  partner:
    verify: { scheme: hmac, secret: partner-secret-not-real, header: X-Sig, algorithm: sha512, encoding: base64, prefix: "v1=", timestampHeader: X-Ts, signed: "{timestamp}.{body}" }
    topic: type
  bearer: { verify: { scheme: token, secret: bearer-token-not-real } }
  basic: { verify: { scheme: basic, username: hook, password: basic-pass-not-real } }
  open: { verify: { scheme: none } }
  discord: { verify: { scheme: discord, publicKey: "${'ab'.repeat(32)}" } }
  discord-keyed: { verify: { scheme: discord, publicKey: "${edPublicHex}" } }
${presetSources.map((p) => `  p-${p.name}: { verify: ${JSON.stringify(p.verify)} }`).join('\n')}
targets:
  sink: { url: "${sink}/sink" }
routes:
  - { name: partner-to-sink, source: partner, transform: '{ "type": type }', target: sink }
  - { name: bearer-to-sink, source: bearer, transform: '{ "n": n }', target: sink }
`;
}

let sink: Sink;
let server: Spawned;
let payloads: string;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), ...args, '--url', server.url], {
    cwd: server.dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const admin = (path: string, init: RequestInit = {}) => fetch(`${server.url}/admin${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}` } });

beforeAll(async () => {
  sink = await startSink();
  server = await spawnServer(config(sink.url));
  payloads = server.dir;
  writeFile(payloads, 'event.json', JSON.stringify({ type: 'order.created', id: 'evt-1', n: 1 }));
  writeFile(payloads, 'sms.form', 'MessageSid=SM1&From=%2B15550100&Body=hello+there&SmsStatus=received');
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

describe('switchboard send', () => {
  const json = ['github', 'gitlab', 'stripe', 'slack', 'shopify', 'svix', 'meta', 'intercom', 'partner', 'bearer', 'basic', 'open'];
  it.each(json)('%s: signs as the provider would, and the server accepts it', (source) => {
    const r = cli(['send', source, 'event.json', '-H', 'X-GitHub-Event: push']);
    expect(r.err).not.toContain('error');
    expect(r.out).toMatch(new RegExp(`^HTTP 200 ${server.url}/hooks/${source}$`, 'm'));
    expect(r.code).toBe(0);
  });

  it('twilio: signs the URL and the form parameters', () => {
    const r = cli(['send', 'twilio', 'sms.form']);
    expect(r.out).toMatch(/^HTTP 200 /m);
    expect(r.out).toContain('<Response></Response>');
  });

  it('discord: says plainly that it cannot sign without the private key, and how to give one', () => {
    const r = cli(['send', 'discord', 'event.json']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot sign for the discord scheme');
    expect(r.err).toContain('--key');
  });

  it('discord with --key (a test key pair whose public half is in the config): signed, accepted', () => {
    writeFileSync(join(server.dir, 'discord-test.pem'), ed.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const r = cli(['send', 'discord-keyed', 'event.json', '--key', 'discord-test.pem']);
    expect(r.out + r.err).toMatch(/^HTTP 200 /m);
    expect(r.code).toBe(0);
  });

  // Which presets send can sign for, decided by the registry (a new HMAC preset joins this list by itself).
  const signable = presetSources.filter((p) => {
    const { config } = load(`version: 1\nsources:\n  s: { verify: ${JSON.stringify(p.verify)} }\nroutes: []\n`);
    const v = config?.sources.get('s')?.verify;
    return v !== undefined && signProblem(schemes.get(p.name)!, v) === undefined;
  });
  it('signs for (nearly) every preset', () => {
    expect(signable.length).toBeGreaterThan(35);
  });
  it.each(signable.map((p) => p.name))('preset %s: send signs as the provider would, the server accepts it', (name) => {
    const file = name === 'twilio' ? 'sms.form' : 'event.json';
    const r = cli(['send', `p-${name}`, file, '-H', 'X-GitHub-Event: push']);
    expect(r.out + r.err).toMatch(new RegExp(`^HTTP 200 ${server.url}/hooks/p-${name}$`, 'm'));
    expect(r.code).toBe(0);
  });
  it('mailgun: says why it cannot sign (the signature travels inside the body)', () => {
    const r = cli(['send', 'p-mailgun', 'event.json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot sign for the mailgun scheme: the signature travels inside the body/);
  });

  it('a server that is not running: a clear message, exit 3', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'send', 'open', 'event.json', '--url', 'http://127.0.0.1:1'], {
      cwd: server.dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1\/hooks\/open( \(\w+\))?: is `switchboard serve` running\?/);
  });
});

describe('the admin API', () => {
  it('lists events newest first, in pages, with filters', async () => {
    for (let i = 0; i < 3; i++) expect(cli(['send', 'bearer', 'event.json']).code).toBe(0);
    const first = (await (await admin('/events?source=bearer&limit=2')).json()) as { events: { id: string; source: string }[]; nextCursor: string };
    expect(first.events).toHaveLength(2);
    expect(first.events.every((e) => e.source === 'bearer')).toBe(true);
    const next = (await (await admin(`/events?source=bearer&limit=2&cursor=${first.nextCursor}`)).json()) as { events: { id: string }[] };
    expect(next.events.length).toBeGreaterThanOrEqual(2); // the round trip above sent one more
    expect(next.events.map((e) => e.id)).not.toContain(first.events[0]!.id);
    expect(first.events[0]!.id > first.events[1]!.id).toBe(true);
    const topics = (await (await admin('/events?topic=order.*&limit=100')).json()) as { events: { topic: string }[] };
    expect(topics.events.length).toBeGreaterThan(0);
    expect(topics.events.every((e) => e.topic.startsWith('order.'))).toBe(true);
    expect((await admin('/events?limit=0')).status).toBe(400);
    expect((await admin('/events?status=weird')).status).toBe(400);
  });

  it('shows an event in full, with credentials masked', async () => {
    const { events } = (await (await admin('/events?source=bearer&limit=1')).json()) as { events: { id: string }[] };
    await sink.waitFor((r) => r.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    const e = (await (await admin(`/events/${events[0]!.id}`)).json()) as {
      headers: Record<string, string>;
      payload: unknown;
      body: { text: string };
      deliveries: { route: string; calls: { request: { url: string }; response: { status: number } | null }[] }[];
    };
    expect(e.headers.authorization).toBe('***');
    expect(JSON.stringify(e)).not.toContain('bearer-token-not-real');
    expect(e.payload).toEqual({ type: 'order.created', id: 'evt-1', n: 1 });
    expect(e.deliveries[0]!.route).toBe('bearer-to-sink');
    expect(e.deliveries[0]!.calls[0]!.response!.status).toBe(200);
    expect((await admin('/events/evt_nope')).status).toBe(404);
  });

  it('replay (API and CLI) sends the event again as a new delivery', async () => {
    const before = sink.received.length;
    const { events } = (await (await admin('/events?source=partner&limit=1')).json()) as { events: { id: string }[] };
    const id = events[0]!.id;
    const r = cli(['replay', id]);
    expect(r.out).toMatch(/^queued dlv_[0-9a-f]{32} \(route partner-to-sink\)$/m);
    await sink.waitFor((x) => x.length > before);
    const detail = (await (await admin(`/events/${id}`)).json()) as { deliveries: { id: string; status: string }[] };
    expect(detail.deliveries).toHaveLength(2);
    expect(new Set(detail.deliveries.map((d) => d.id)).size).toBe(2);
    expect(cli(['replay', 'evt_nope']).err).toContain('admin API answered 404: no such event');
    const open = (await (await admin('/events?source=open&limit=1')).json()) as { events: { id: string }[] };
    const noRoute = await admin(`/events/${open.events[0]!.id}/replay`, { method: 'POST' });
    expect(noRoute.status).toBe(409);
    const retry = await admin(`/deliveries/${detail.deliveries[0]!.id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(409); // succeeded: replay instead
  });

  it('switchboard events lists them', () => {
    const r = cli(['events', '--source', 'partner']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^✓ evt_[0-9a-f]{32} {2}\S+ {2}partner {2}order\.created {2}2 succeeded$/m);
  });

  it('refuses cross-site state changes (CSRF), even with the token', async () => {
    const { events } = (await (await admin('/events?limit=1')).json()) as { events: { id: string }[] };
    const url = `${server.url}/admin/events/${events[0]!.id}/replay`;
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const attempts: Record<string, string>[] = [{ Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site' }];
    for (const headers of attempts) {
      const res = await fetch(url, { method: 'POST', headers: { ...auth, ...headers } });
      expect([res.status, await res.json()]).toEqual([403, { error: 'cross-site request refused' }]);
    }
    // the inspector's own requests (same origin) go through
    const host = new URL(server.url).host;
    expect((await fetch(url, { method: 'POST', headers: { ...auth, Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin' } })).status).toBe(202);
  });

  it('no answer, log line or metric holds a secret', async () => {
    const secrets = ['gh-secret-not-real', 'gl-token-not-real', 'whsec_stripe_not_real', 'slack-secret-not-real', 'bearer-token-not-real', 'basic-pass-not-real', TOKEN, 'partner-secret-not-real'];
    const { events } = (await (await admin('/events?limit=100')).json()) as { events: { id: string }[] };
    const answers = [
      await (await admin('/config')).text(),
      await (await admin('/rejections')).text(),
      await (await admin('/events?limit=100')).text(),
      ...(await Promise.all(events.map(async (e) => (await admin(`/events/${e.id}`)).text()))),
      await (await fetch(`${server.url}/metrics`)).text(),
      JSON.stringify(server.logs),
    ].join('\n');
    for (const secret of secrets) expect(answers, secret).not.toContain(secret);
  });

  it('needs the token', async () => {
    expect((await fetch(`${server.url}/admin/events`)).status).toBe(401);
    expect((await fetch(`${server.url}/admin/events`, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    // the page itself holds no data and loads without it
    const page = await fetch(`${server.url}/admin/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('/metrics', () => {
  it('counts webhooks, refusals, deliveries and shows the queue', async () => {
    await fetch(`${server.url}/hooks/github`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    // The topic as the pattern of the route that took it (this route has none: `*`); the refusal as its code.
    expect(text).toMatch(/^switchboard_webhooks_total\{source="partner",topic="\*",outcome="accepted"\} [1-9]/m);
    expect(text).toMatch(/^switchboard_verification_failures_total\{source="github",reason="signature_missing"\} 1$/m);
    expect(text).toMatch(/^switchboard_deliveries_total\{route="partner-to-sink",outcome="succeeded"\} [1-9]/m);
    expect(text).toMatch(/^switchboard_attempt_duration_seconds_count\{target="sink",class="2xx"\} [1-9]/m);
    expect(text).toMatch(/^switchboard_queue_depth \d+$/m);
    expect(text).toMatch(/^switchboard_oldest_pending_age_seconds [\d.]+$/m);
    expect(text).toMatch(/^switchboard_dead_letters 0$/m);
    expect(text).toMatch(/^switchboard_config_info\{version="[0-9a-f]{12}"\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).not.toContain('not-real');
  });
});
