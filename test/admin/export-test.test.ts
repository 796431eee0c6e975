// Save as test, in-process: recorded GitHub and Stripe events (the payloads in
// fixtures/) become tests: cases through the real config loader — the headers
// the scheme and the routes read and no others, the expectations the live
// config gives now, no secret anywhere — and the case passes `switchboard
// test` until a route's transform changes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { adminApp } from '../../src/admin/app.js';
import { exportTest, type ExportedTest } from '../../src/admin/export-test.js';
import { testCommand } from '../../src/commands/test.js';
import type { IO } from '../../src/commands/io.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { RejectionLog } from '../../src/ingress/rejections.js';
import type { StoredEvent } from '../../src/store/types.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers/config.js';

const ROOT = resolve(__dirname, '../..');
const GH_SECRET = 'export-test-github-secret-not-real';
const STRIPE_SECRET = 'whsec_exportteststripesecretnotreal';
const CRM_TOKEN = 'export-test-crm-token-not-real';
const SECRETS = [GH_SECRET, STRIPE_SECRET, CRM_TOKEN];
const GH_SIGNATURE = 'sha256=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
const STRIPE_SIGNATURE = 't=1763804487,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd';
const ENV = { GH_SECRET, STRIPE_SECRET, CRM_TOKEN };

const CONFIG = `version: 1
sources:
  github: { verify: { scheme: github, secret: "\${GH_SECRET}" } }
  stripe: { verify: { scheme: stripe, secret: "\${STRIPE_SECRET}" } }
targets:
  slack: { url: "http://127.0.0.1:9/slack" }
  crm:
    url: "http://127.0.0.1:9/crm/{{ data.object.customer }}"
    headers: { Authorization: "Bearer \${CRM_TOKEN}" }
routes:
  - name: issues-to-slack
    source: github
    topics: [issues.opened]
    transform: '{ "text": "#" & issue.number & " " & issue.title, "hook": $headers."x-github-hook-id", "price": "$\${5}" }'
    target: slack
  - name: big-issues-only
    source: github
    topics: ["issues.*"]
    filter: issue.number > 100000
    target: slack
  - name: comments
    source: github
    topics: ["issue_comment.*"]
    target: slack
  - name: raw-issues
    source: github
    topics: ["issues.*"]
    target: slack
  - name: broken
    source: github
    topics: ["issues.*"]
    transform: '$error("no mapping for " & issue.state)'
    target: slack
  - name: paid-invoices
    source: stripe
    topics: [invoice.paid]
    transform: '{ "invoice": data.object.number, "amount": data.object.amount_paid / 100, "ref": $eventId, "at": $receivedAt }'
    target: crm
  - name: refunds
    source: stripe
    topics: [charge.refunded]
    target: crm
`;

const dirs: string[] = [];
function project(text = CONFIG): { dir: string; file: string; config: Config } {
  const dir = tempDir('switchboard-export-');
  dirs.push(dir);
  const file = join(dir, 'routes.yaml');
  writeFileSync(file, text);
  return { dir, file, config: loaded(file) };
}
function loaded(file: string): Config {
  const r = loadConfig(file, { env: ENV });
  expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
  return r.config!;
}

/** An event as the server stores it: lower-cased headers, the signature masked, every other header kept. */
function githubEvent(overrides: Partial<StoredEvent> = {}, payload: unknown = fixture('github/issues.opened.json')): StoredEvent {
  return {
    id: 'evt_0198c0de-aaaa-7bbb-8ccc-0123456789ab',
    source: 'github',
    topic: 'issues.opened',
    deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    receivedAt: Date.parse('2026-03-01T10:00:00Z'),
    headers: {
      host: 'hooks.example.com',
      'user-agent': 'GitHub-Hookshot/044aadd',
      accept: '*/*',
      'content-type': 'application/json',
      'content-length': '6021',
      'x-github-event': 'issues',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-github-hook-id': '292430182',
      'x-github-hook-installation-target-type': 'repository',
      'x-hub-signature': '***',
      'x-hub-signature-256': '***',
    },
    body: Buffer.from(JSON.stringify(payload)), // compact, as GitHub sends it
    contentType: 'application/json',
    query: {},
    ...overrides,
  };
}

function stripeEvent(name: string, topic: string): StoredEvent {
  return {
    id: `evt_0198c0de-bbbb-7bbb-8ccc-${name.length}23456789ab`,
    source: 'stripe',
    topic,
    receivedAt: Date.parse('2026-03-01T10:00:00Z'),
    headers: {
      host: 'hooks.example.com',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'content-type': 'application/json; charset=utf-8',
      // An event stored before the signature header was masked: still never shown.
      'stripe-signature': STRIPE_SIGNATURE,
    },
    body: readFileSync(join(ROOT, 'fixtures', name)),
    contentType: 'application/json; charset=utf-8',
    query: {},
  };
}

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(ROOT, 'fixtures', name), 'utf8')) as unknown;
}

interface Case {
  name: string;
  source: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  contentType?: string;
  payload: string;
  expect: { route: string; body?: unknown; bodies?: unknown[]; skipped?: boolean; error?: string }[];
}

async function exported(event: StoredEvent, config: Config, payloadPath?: string): Promise<ExportedTest> {
  const r = await exportTest(event, config, payloadPath ? { payloadPath } : {});
  if ('error' in r) throw new Error(r.error);
  return r;
}

function parsedCase(t: ExportedTest): Case {
  const list = parse(`tests:\n${t.case}`) as { tests: Case[] };
  expect(list.tests).toHaveLength(1);
  return list.tests[0]!;
}

function captureIO(cwd: string): IO & { text: () => string } {
  const lines: string[] = [];
  return { out: (l = '') => lines.push(l), err: (l = '') => lines.push(l), color: false, env: ENV, cwd, text: () => lines.join('\n') };
}

/** The fixture written where the case says, the case appended under tests:, then `switchboard test`. */
async function runExported(dir: string, file: string, configText: string, t: ExportedTest): Promise<{ code: number; out: string }> {
  const c = parsedCase(t);
  const path = join(dir, c.payload);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.from(t.fixture.body, t.fixture.encoding));
  writeFileSync(file, `${configText}tests:\n${t.case}`);
  const io = captureIO(dir);
  const code = await testCommand(file, io);
  return { code, out: io.text() };
}

const stores: SqliteStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

describe('exportTest: a GitHub event', () => {
  it('carries the headers the scheme and the routes read, and no others', async () => {
    const { config } = project();
    const c = parsedCase(await exported(githubEvent(), config));
    // X-GitHub-Event (topic), X-GitHub-Delivery (id), X-GitHub-Hook-Id (read by a transform).
    expect(c.headers).toEqual({ 'x-github-event': 'issues', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-hook-id': '292430182' });
    expect(c.source).toBe('github');
    expect(c.contentType).toBeUndefined(); // application/json is what a .json file runs as
    expect(c.query).toBeUndefined();
  });

  it('expects what each route of the source does now: bodies, skipped, errors', async () => {
    const { config } = project();
    const t = await exported(githubEvent(), config);
    const c = parsedCase(t);
    const by = Object.fromEntries(c.expect.map((e) => [e.route, e]));
    expect(c.expect.map((e) => e.route)).toEqual(['issues-to-slack', 'big-issues-only', 'comments', 'raw-issues', 'broken']);
    expect(by['issues-to-slack']).toEqual({ route: 'issues-to-slack', body: { text: '#1351 Deploy hangs when the config has a BOM', hook: '292430182', price: '$${5}' } });
    expect(by['big-issues-only']).toEqual({ route: 'big-issues-only', skipped: true });
    expect(by.comments).toEqual({ route: 'comments', skipped: true });
    expect(by['raw-issues']).toEqual({ route: 'raw-issues', body: fixture('github/issues.opened.json') });
    expect(by.broken!.error).toContain('no mapping for open');
    // Why each one is skipped, beside it.
    expect(t.case).toContain('skipped: true # filter gave false');
    expect(t.case).toContain('skipped: true # topic "issues.opened" does not match ["issue_comment.*"]');
    expect(t.warnings).toEqual([]);
  });

  it('writes the payload as an indented JSON fixture named after the topic', async () => {
    const { config } = project();
    const t = await exported(githubEvent(), config);
    expect(t.fixture.name).toBe('issues.opened-456789ab.json');
    expect(t.fixture.contentType).toBe('application/json');
    expect(t.fixture.body).toBe(`${JSON.stringify(fixture('github/issues.opened.json'), null, 2)}\n`);
    expect(parsedCase(t).payload).toBe('./fixtures/github/issues.opened-456789ab.json');
    expect(parsedCase(await exported(githubEvent(), config, '../shared/x.json')).payload).toBe('../shared/x.json');
  });

  it('appended to the config, the case passes `switchboard test`; an edited transform fails it with a diff', async () => {
    const { dir, file, config } = project();
    const t = await exported(githubEvent(), config);
    const pass = await runExported(dir, file, CONFIG, t);
    expect(pass.out).toContain('1 passed, 0 failed');
    expect(pass.code).toBe(0);

    const edited = CONFIG.replace('"#" & issue.number & " " & issue.title', '"Issue " & issue.number');
    const fail = await runExported(dir, file, edited, t);
    expect(fail.code).toBe(1);
    expect(fail.out).toContain('route issues-to-slack');
    expect(fail.out).toContain('body differs');
    expect(fail.out).toContain('-   "text": "#1351 Deploy hangs when the config has a BOM"');
    expect(fail.out).toContain('+   "text": "Issue 1351"');
  });

  it('leaves out credential headers, signatures and values holding a secret, even when a route reads them', async () => {
    const text = CONFIG.replace(`"price": "$\${5}" }'`, () => `"price": "$\${5}", "auth": $headers.authorization, "k": $headers."x-partner-key" }'`);
    const { config } = project(text);
    const event = githubEvent({
      headers: { ...githubEvent().headers, authorization: 'Bearer abc-not-a-config-secret', 'x-partner-key': `key ${CRM_TOKEN}`, 'x-hub-signature-256': GH_SIGNATURE },
    });
    const t = await exported(event, config);
    const c = parsedCase(t);
    expect(Object.keys(c.headers ?? {}).sort()).toEqual(['x-github-delivery', 'x-github-event', 'x-github-hook-id']);
    expect(t.warnings.join('\n')).toContain('header authorization is read by the config but left out');
    expect(t.warnings.join('\n')).toContain('header x-partner-key is read by the config but left out');
    const all = JSON.stringify(t);
    for (const s of [...SECRETS, GH_SIGNATURE, 'abc-not-a-config-secret']) expect(all).not.toContain(s);
  });

  it('masks a secret of the config inside the payload, and plans the masked payload', async () => {
    const { dir, file, config } = project();
    const payload = fixture('github/issues.opened.json') as { issue: { title: string } };
    payload.issue.title = `leaked ${CRM_TOKEN} here`;
    const t = await exported(githubEvent({}, payload), config);
    expect(JSON.stringify(t)).not.toContain(CRM_TOKEN);
    expect(t.fixture.body).toContain('"title": "leaked *** here"');
    expect(parsedCase(t).expect[0]!.body).toMatchObject({ text: '#1351 leaked *** here' });
    expect(t.warnings.join('\n')).toContain('the payload holds a secret of the config');
    const run = await runExported(dir, file, CONFIG, t);
    expect(run.out).toContain('1 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it('a rule that takes every header gets every header but the credentials', async () => {
    const text = CONFIG.replace(`"price": "$\${5}" }'`, () => `"price": "$\${5}", "n": $count($keys($headers)) }'`);
    const { dir, file, config } = project(text);
    const t = await exported(githubEvent(), config);
    const c = parsedCase(t);
    expect(Object.keys(c.headers ?? {})).toEqual([
      'host',
      'user-agent',
      'accept',
      'content-length',
      'x-github-event',
      'x-github-delivery',
      'x-github-hook-id',
      'x-github-hook-installation-target-type',
    ]);
    expect((await runExported(dir, file, text, t)).code).toBe(0);
  });
});

describe('exportTest: Stripe events', () => {
  it('need no headers (topic and id come from the payload); the signature never appears', async () => {
    const { config } = project();
    const t = await exported(stripeEvent('stripe/invoice.paid.json', 'invoice.paid'), config);
    const c = parsedCase(t);
    expect(c.headers).toBeUndefined();
    expect(c.contentType).toBe('application/json; charset=utf-8');
    expect(c.expect).toEqual([
      // $eventId and $receivedAt as `switchboard test` binds them.
      { route: 'paid-invoices', body: { invoice: 'GLBX-0042', amount: 2499, ref: 'evt_test', at: '2026-01-01T00:00:00.000Z' } },
      { route: 'refunds', skipped: true },
    ]);
    const all = JSON.stringify(t);
    for (const s of [...SECRETS, STRIPE_SIGNATURE, 'v1=5257a869']) expect(all).not.toContain(s);
    // Already indented as Stripe sends it: the fixture is the body as received.
    expect(t.fixture.body).toBe(readFileSync(join(ROOT, 'fixtures/stripe/invoice.paid.json'), 'utf8'));
  });

  it('a charge.refunded event: the refund route sends the payload as it came, and the case passes', async () => {
    const { dir, file, config } = project();
    const t = await exported(stripeEvent('stripe/charge.refunded.json', 'charge.refunded'), config);
    expect(parsedCase(t).expect).toEqual([
      { route: 'paid-invoices', skipped: true },
      { route: 'refunds', body: fixture('stripe/charge.refunded.json') },
    ]);
    const run = await runExported(dir, file, CONFIG, t);
    expect(run.out).toContain('1 passed, 0 failed');
    expect(run.code).toBe(0);
  });
});

describe('exportTest: what it refuses', () => {
  it('a source that splits batches, a source without routes, a source no longer configured', async () => {
    const { config } = project(
      CONFIG.replace('sources:\n', 'sources:\n  batches: { verify: { scheme: none }, split: items }\n  lonely: { verify: { scheme: none } }\n').replace(
        'routes:\n',
        'routes:\n  - { name: b, source: batches, target: slack }\n',
      ),
    );
    const base = githubEvent();
    expect(await exportTest({ ...base, source: 'batches' }, config)).toMatchObject({ error: expect.stringMatching(/split/) });
    expect(await exportTest({ ...base, source: 'lonely' }, config)).toMatchObject({ error: expect.stringMatching(/no route takes events from "lonely"/) });
    expect(await exportTest({ ...base, source: 'gone' }, config)).toMatchObject({ error: 'source "gone" is no longer in the config' });
  });
});

describe('GET /admin/events/:id/test', () => {
  it('answers the fixture and the case for a stored event, 404 for an unknown one', async () => {
    const { config } = project();
    const store = new SqliteStore('sqlite::memory:');
    stores.push(store);
    const e = githubEvent();
    const { eventId } = await store.ingest({ source: e.source, topic: e.topic, receivedAt: e.receivedAt, headers: e.headers, body: e.body, contentType: e.contentType!, query: {}, routes: [] });
    const app = new Hono({ strict: false }).route('/admin', adminApp({ config: () => config, rejections: new RejectionLog(), store }));
    const get = (path: string) => app.request(path, { headers: { host: 'localhost' } }, { incoming: { headers: { host: 'localhost' }, url: path, socket: { remoteAddress: '127.0.0.1' } } });

    const res = await get(`/admin/events/${eventId}/test?payload=${encodeURIComponent('./t/x.json')}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as ExportedTest;
    expect(Object.keys(body).sort()).toEqual(['case', 'fixture', 'source', 'warnings']);
    expect(body.fixture).toMatchObject({ contentType: 'application/json', encoding: 'utf8' });
    expect(body.fixture.name).toMatch(/^issues\.opened-[\w-]{8}\.json$/);
    expect(parsedCase(body).payload).toBe('./t/x.json');
    expect(parsedCase(body).headers).toMatchObject({ 'x-github-event': 'issues' });

    expect((await get('/admin/events/evt_nope/test')).status).toBe(404);
    expect((await get(`/admin/events/${eventId}/test?payload=${encodeURIComponent('a\nb')}`)).status).toBe(400);
  });
});
