// Preview a config change against recorded traffic, whole-process: real
// events are recorded and delivered to a real sink; the config is then edited
// four ways (a filter changed, a route removed, a route added, a transform
// changed, and one that makes a route fail) and POST /admin/preview and
// `switchboard diff` must list exactly what would start, stop, change and
// fail — while the sink receives nothing and the live config stays as it was.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const ROOT = resolve(__dirname, '../..');
const TOKEN = 'preview-e2e-token-not-real';
const API_KEY = 'preview-fake-api-key-123';

let server: Spawned;
let sink: Sink;

const config = (routes: string, extraTargets = '') => `version: 1
admin: { token: ${TOKEN} }
sources:
  open: { verify: { scheme: none }, topic: type }
targets:
  alerts: { url: "${sink.url}/alerts" }
  audit: { url: "${sink.url}/audit", headers: { X-Api-Key: "${API_KEY}" } }
  refunds: { url: "${sink.url}/refunds" }
${extraTargets}
routes:
${routes}`;

const ALERTS = `  - { name: alerts, source: open, topics: ["order.*"], filter: "amount > 100", transform: '{ "n": n, "big": true }', target: alerts }\n`;
const AUDIT = `  - { name: audit, source: open, topics: ["order.*"], transform: '{ "n": n }', target: audit }\n`;
const REFUNDS = `  - { name: refunds, source: open, topics: ["refund.*"], transform: '{ "r": n }', target: refunds }\n`;
const LIVE_ROUTES = ALERTS + AUDIT + REFUNDS;

beforeAll(async () => {
  sink = await startSink();
  server = await spawnServer(config(LIVE_ROUTES));
  // orders 1..6 with amount 50·n (3..6 pass the live filter), refunds 7 and 8
  for (let n = 1; n <= 8; n++) {
    const body = n <= 6 ? { type: 'order.created', n, amount: 50 * n } : { type: 'refund.created', n };
    const res = await fetch(`${server.url}/hooks/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
  }
  await sink.waitFor((r) => r.length === 4 + 6 + 2);
}, 30_000);

afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

interface Ref {
  event: string;
  topic: string;
  before: string;
  after: string;
  diff?: string;
}
interface RouteAnswer {
  route: string;
  status: string;
  counts: Record<string, number>;
  newlyMatched: Ref[];
  noLongerMatched: Ref[];
  changed: Ref[];
  newFailures: Ref[];
}
interface Answer {
  events: number;
  changes: number;
  complete: boolean;
  identical: boolean;
  routes: RouteAnswer[];
  errors?: string[];
  error?: string;
}

async function preview(text: string, query = '', token = TOKEN): Promise<{ status: number; body: Answer }> {
  const res = await fetch(`${server.url}/admin/preview${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

const route = (a: Answer, name: string) => a.routes.find((r) => r.route === name)!;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), ...args], { cwd: server.dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function liveVersion(): Promise<string> {
  const res = await fetch(`${server.url}/admin/config`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { version: string }).version;
}

describe('POST /admin/preview', () => {
  it('the live config itself: nothing changes, every event counted as the same', async () => {
    const { status, body } = await preview(config(LIVE_ROUTES));
    expect(status).toBe(200);
    expect(body).toMatchObject({ events: 8, changes: 0, complete: true, identical: true });
    expect(route(body, 'audit').counts).toMatchObject({ events: 8, same: 8, changed: 0 });
  });

  it('four edits at once — filter changed, route removed, route added, transform changed — and a route that now fails; the sink gets nothing and the live config stays', async () => {
    const received = sink.received.length;
    const version = await liveVersion();
    const edited = config(
      `  - { name: alerts, source: open, topics: ["order.*"], filter: "amount > 200", transform: '{ "n": n, "big": true }', target: alerts }\n` +
        `  - { name: audit, source: open, topics: ["order.*"], transform: '{ "n": n, "v": 2 }', target: audit }\n` +
        `  - { name: big-orders, source: open, topics: ["order.created"], filter: "amount >= 250", transform: '{ "n": n }', target: alerts }\n` +
        `  - { name: refund-check, source: open, topics: ["refund.*"], transform: '$error("refunds are paused")', target: refunds }\n`,
    );
    const { status, body } = await preview(edited);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.events).toBe(8);

    // filter changed: orders 3 and 4 (150, 200) no longer pass; 5 and 6 still do, unchanged
    const alerts = route(body, 'alerts');
    expect(alerts.status).toBe('kept');
    // the rest are the same: 1 and 2 filtered under both, 5 and 6 sent alike, the refunds not its topic
    expect(alerts.counts).toMatchObject({ events: 8, noLongerMatched: 2, newlyMatched: 0, changed: 0, same: 6 });
    expect(alerts.noLongerMatched.map((r) => r.after)).toEqual([expect.stringContaining('skipped: filter gave false'), expect.stringContaining('skipped: filter gave false')]);

    // transform changed: all six orders change, with a diff of the body; the secret header is masked
    const audit = route(body, 'audit');
    expect(audit.counts).toMatchObject({ changed: 6, same: 2 });
    const diff = audit.changed[0]!.diff!;
    expect(diff).toContain('--- live');
    expect(diff).toContain('+  "v": 2');
    expect(diff).toMatch(/^-\s+"n": \d+$|^ \s+"n": \d+,?$/m);
    expect(JSON.stringify(body)).not.toContain(API_KEY);

    // route removed
    const refunds = route(body, 'refunds');
    expect(refunds.status).toBe('removed');
    expect(refunds.counts.noLongerMatched).toBe(2);
    expect(refunds.noLongerMatched[0]!.after).toBe('not in this config');

    // route added
    const big = route(body, 'big-orders');
    expect(big.status).toBe('added');
    expect(big.counts.newlyMatched).toBe(2);
    expect(big.newlyMatched.map((r) => r.after)).toEqual([expect.stringContaining('sends POST'), expect.stringContaining('sends POST')]);

    // a route that now fails
    const check = route(body, 'refund-check');
    expect(check.counts.newFailures).toBe(2);
    expect(check.newFailures[0]!.after).toContain('refunds are paused');

    expect(body.changes).toBe(2 + 6 + 2 + 2 + 2 + 3); // per-event changes, plus three routes added or removed
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received.length).toBe(received);
    expect(await liveVersion()).toBe(version);
  });

  it('a change only in a secret header says so in words; neither the old nor the new secret is shown', async () => {
    const NEW_KEY = 'preview-fake-api-key-456';
    const { status, body } = await preview(config(LIVE_ROUTES).replace(API_KEY, NEW_KEY));
    expect(status).toBe(200);
    const audit = route(body, 'audit');
    expect(audit.counts.changed).toBe(6);
    expect(audit.changed[0]!.diff).toBe('a value that is masked (a secret or credential) changed; nothing else differs');
    const text = JSON.stringify(body);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(NEW_KEY);
  });

  it('since and limit narrow the window to the most recent events', async () => {
    const edited = config(ALERTS + `  - { name: audit, source: open, topics: ["order.*"], transform: '{ "n": n, "v": 2 }', target: audit }\n` + REFUNDS);
    const { body } = await preview(edited, '?limit=3');
    expect(body.events).toBe(3);
    // newest first: the two refunds and order 6
    expect(route(body, 'audit').counts.changed).toBe(1);
    const future = await preview(edited, `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body.events).toBe(0);
  });

  it('bad input: not YAML, invalid, too large, empty, unknown or bad query keys, no token — 4xx naming what is wrong, positions as file:line:col, nothing changed', async () => {
    const version = await liveVersion();
    let r = await preview('version: 1\nsources: [unclosed\n  routes: {');
    expect(r.status).toBe(400);
    expect(r.body.errors!.length).toBeGreaterThan(0);
    for (const e of r.body.errors!) expect(e).toMatch(/^routes\.yaml:\d+:\d+: /);

    r = await preview(config(LIVE_ROUTES).replace('target: refunds', 'target: refundz'), '?name=edited.yaml');
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([expect.stringMatching(/^edited\.yaml:\d+:\d+: .*unknown target "refundz".*did you mean "refunds"/)]);

    r = await preview(`# ${'x'.repeat(1024 * 1024 + 10)}\n`);
    expect(r.status).toBe(400);
    expect(r.body.errors![0]).toMatch(/^routes\.yaml:1:1: the file is over the \d+ byte limit/);

    r = await preview('   ');
    expect([r.status, r.body.errors![0]]).toEqual([400, 'routes.yaml:1:1: the file is empty']);

    r = await preview(config(LIVE_ROUTES), '?limt=5&colour=red');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/unknown query parameters "limt", "colour"/);
    r = await preview(config(LIVE_ROUTES), '?limit=0');
    expect([r.status, r.body.error]).toEqual([400, expect.stringMatching(/^limit must be a whole number from 1 to 5000/)]);
    r = await preview(config(LIVE_ROUTES), '?since=yesterday');
    expect([r.status, r.body.error]).toEqual([400, expect.stringMatching(/^since must be a duration/)]);
    // a name cannot climb out of the config's directory
    r = await preview('x: [', '?name=../../etc/passwd');
    expect(r.body.errors![0]).toMatch(/^passwd:\d+:\d+:/);

    expect((await preview(config(LIVE_ROUTES), '', '')).status).toBe(401);
    expect(await liveVersion()).toBe(version);
  });
});

describe('switchboard diff', () => {
  it('exit 0 when nothing changes, 1 with a stat and per-route details when something does, 2 on an invalid file, 3 when no server answers', async () => {
    writeFileSync(join(server.dir, 'same.yaml'), config(LIVE_ROUTES));
    let r = cli('diff', '-c', 'same.yaml', '--url', server.url);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^no change: every route sends the same requests for the 8 recorded events/);

    writeFileSync(join(server.dir, 'edited.yaml'), config(ALERTS.replace('amount > 100', 'amount > 200') + AUDIT));
    r = cli('diff', '-c', 'edited.yaml', '--url', server.url, '--limit', '100');
    expect(r.code, r.err).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^ alerts\s+\| 2 no longer sent$/);
    expect(lines[1]).toMatch(/^ refunds\s+\| removed: 2 no longer sent$/);
    expect(lines[2]).toBe(' 2 routes changed over the 8 recorded events (limit 100)');
    expect(r.out).toContain('route alerts (open → alerts)');
    expect(r.out).toMatch(/edited: skipped: filter gave false/);

    writeFileSync(join(server.dir, 'broken.yaml'), config(AUDIT.replace('target: audit', 'target: audti')));
    r = cli('diff', '-c', 'broken.yaml', '--url', server.url);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^broken\.yaml:\d+:\d+: .*unknown target "audti"/m);

    r = cli('diff', '-c', 'same.yaml', '--url', 'http://127.0.0.1:9');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);

    r = cli('diff', '-c', 'missing.yaml', '--url', server.url);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^missing\.yaml:/);
  });
});
