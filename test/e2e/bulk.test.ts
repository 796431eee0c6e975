// Bulk retry and replay by filter, whole-process: a target that fails, so its
// deliveries go dead; it recovers; a dry run counts them and changes nothing;
// bulk retries (API and CLI) queue at most `limit` and say how many remain, and
// the target gets each delivery once, no faster than its own concurrency; a
// bulk replay pages with its cursor; bad filters are refused naming the key.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDb, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Received, type Sink } from '../helpers/sink.js';

const ROOT = resolve(__dirname, '../..');
const TOKEN = 'bulk-e2e-token-not-real';
const ORDERS = 12;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: Spawned;
let orders: Sink; // fails, then recovers (slowly: each answer takes 120 ms)
let audit: Sink; // always fine

beforeAll(async () => {
  orders = await startSink();
  audit = await startSink();
  orders.script('/in', [], { kind: 'status', status: 503, body: 'down for maintenance' });
  server = await spawnServer(`version: 1
admin: { token: ${TOKEN} }
defaults: { retry: { attempts: 1 } }
sources:
  open: { verify: { scheme: none }, topic: type }
targets:
  orders: { url: "${orders.url}/in", concurrency: 2 }
  audit: { url: "${audit.url}/audit" }
routes:
  - { name: orders, source: open, topics: ["order.*"], transform: '{ "n": n }', target: orders }
  - { name: audit, source: open, topics: ["order.*"], transform: '{ "n": n }', target: audit }
`);
  for (let n = 0; n < ORDERS; n++) {
    const res = await fetch(`${server.url}/hooks/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'order.created', n }) });
    expect(res.status).toBe(200);
  }
  await orders.waitFor((r) => r.length === ORDERS);
  await audit.waitFor((r) => r.length === ORDERS);
  // every orders delivery dead after its one attempt
  for (let i = 0; i < 200 && deadCount() < ORDERS; i++) await new Promise((r) => setTimeout(r, 25));
  expect(deadCount()).toBe(ORDERS);
}, 30_000);

afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await orders?.close();
  await audit?.close();
});

function deadCount(): number {
  return readDb<{ n: number }>(server.dbPath, "SELECT count(*) AS n FROM deliveries WHERE status = 'dead' AND route = 'orders'")[0]!.n;
}

function post(path: string, body: unknown, token = TOKEN) {
  return fetch(`${server.url}/admin${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), ...args, '--url', server.url], { cwd: server.dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const numbers = (rs: readonly Received[]) => rs.map((r) => (JSON.parse(r.body) as { n: number }).n).sort((a, b) => a - b);
const settle = () => new Promise((r) => setTimeout(r, 400));

describe('bulk retry and replay', () => {
  it('refuses unknown filter keys naming them (with a did-you-mean), bad values naming the key, and requests without the admin token', async () => {
    let res = await post('/deliveries/retry', { staus: 'dead', rout: 'orders', colour: 'red' });
    expect(res.status).toBe(400);
    let body = (await res.json()) as { error: string; unknown?: string[] };
    expect(body.unknown).toEqual(['staus', 'rout', 'colour']);
    expect(body.error).toContain('unknown filter keys "staus" (did you mean "status"?), "rout" (did you mean "route"?), "colour"');
    res = await post('/events/replay', { sorce: 'open' });
    body = (await res.json()) as { error: string };
    expect([res.status, body.error]).toEqual([400, expect.stringContaining('unknown filter key "sorce" (did you mean "source"?)')]);
    const bad: [string, unknown, RegExp][] = [
      ['/deliveries/retry', { status: 'ded' }, /^status must be one of pending, succeeded, filtered, dead, cancelled, not "ded"; did you mean "dead"\?/],
      ['/deliveries/retry', { status: 'succeeded' }, /^status: only dead or cancelled deliveries can be retried/],
      ['/deliveries/retry', { since: 'yesterday' }, /^since must be a duration back from now .* not "yesterday"/],
      ['/events/replay', { source: 'open', until: '2025-13-45' }, /^until must be a duration/],
      ['/deliveries/retry', { since: '1h', until: '2h' }, /^since .* must be before until/],
      ['/deliveries/retry', { limit: 0 }, /^limit must be a whole number from 1 to 10000, not 0/],
      ['/deliveries/retry', { dryRun: 'yes' }, /^dryRun must be true or false/],
      ['/deliveries/retry', '{"status": "dead"', /^the body is not JSON/],
      ['/events/replay', {}, /^name at least one of source, topic, route, status, since, until/],
      ['/deliveries/retry', { cursor: 'evt_x' }, /unknown filter key "cursor".*POST \/admin\/events\/replay/],
    ];
    for (const [path, b, re] of bad) {
      const r = await post(path, b);
      expect(r.status, JSON.stringify(b)).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(re);
    }
    expect((await post('/deliveries/retry', { dryRun: true }, '')).status).toBe(401);
    expect((await post('/events/replay', { source: 'open', dryRun: true }, 'wrong-token')).status).toBe(401);
    expect(deadCount()).toBe(ORDERS);
  });

  it('the sink recovers: a dry run counts the dead deliveries and changes nothing; runs queue at most limit, say what remains, and the sink gets each once, within its concurrency', async () => {
    orders.script('/in', [], { kind: 'hang', ms: 120 }); // answers 200 after 120 ms
    const before = orders.received.length;

    const dry = await post('/deliveries/retry', { status: 'dead', route: 'orders', since: '1h', dryRun: true });
    expect(dry.status).toBe(200);
    const d = (await dry.json()) as { dryRun: boolean; matched: number; wouldQueue: number; sample: { route: string; status: string; topic: string; lastError: string }[] };
    expect(d).toMatchObject({ dryRun: true, matched: ORDERS, wouldQueue: ORDERS });
    expect(d.sample).toHaveLength(ORDERS);
    expect(d.sample[0]).toMatchObject({ route: 'orders', status: 'dead', topic: 'order.created', lastError: expect.stringContaining('503') });
    // other filters narrow it: nothing dead on audit, nothing received in the future
    expect(((await (await post('/deliveries/retry', { route: 'audit', dryRun: true })).json()) as { matched: number }).matched).toBe(0);
    expect(((await (await post('/deliveries/retry', { since: new Date(Date.now() + 60_000).toISOString(), dryRun: true })).json()) as { matched: number }).matched).toBe(0);
    expect(((await (await post('/deliveries/retry', { topic: 'order.*', source: 'open', dryRun: true })).json()) as { matched: number }).matched).toBe(ORDERS);
    await settle();
    expect(orders.received.length).toBe(before);
    expect(deadCount()).toBe(ORDERS);

    // a real run with a limit: that many queued, the rest said to remain
    const first = await post('/deliveries/retry', { status: 'dead', route: 'orders', since: '1h', limit: 5 });
    expect(first.status).toBe(202);
    const answeredAt = Date.now();
    expect(await first.json()).toMatchObject({ matched: ORDERS, queued: 5, remaining: ORDERS - 5, limit: 5 });
    await orders.waitFor((r) => r.length === before + 5);
    // the worker was woken (not left to its next poll, up to a second away)
    expect(orders.received[before]!.at - answeredAt).toBeLessThan(300);
    expect(numbers(orders.received.slice(before))).toEqual([0, 1, 2, 3, 4]); // oldest first
    expect(deadCount()).toBe(ORDERS - 5);

    // the CLI: a dry run, then the rest
    const cliDry = cli('replay', '--status', 'dead', '--route', 'orders', '--since', '1h', '--dry-run');
    expect(cliDry.err).not.toMatch(/answered|cannot reach/);
    expect(cliDry.code).toBe(0);
    expect(cliDry.out).toMatch(/^7 dead deliveries match; a run would retry 7 \(limit 1000\)\. Nothing was changed\.\n/);
    expect(cliDry.out.match(/^ {2}dlv_\w+ {2}orders {2}\S+ {2}open {2}order\.created {2}target answered 503/gm)).toHaveLength(7);
    expect(deadCount()).toBe(ORDERS - 5);
    const cliRun = cli('replay', '--status', 'dead', '--route', 'orders', '--since', '1h');
    const cliAnsweredAt = Date.now();
    expect(cliRun.code).toBe(0);
    expect(cliRun.out).toMatch(/^retried 7 dead deliveries: pending again, sent by the worker under each target's rate limit and concurrency\n/);
    expect(cliRun.out).not.toMatch(/more match/);

    await orders.waitFor((r) => r.length === before + ORDERS);
    expect(orders.received[before + 5]!.at - cliAnsweredAt).toBeLessThan(300);
    await settle();
    // each dead delivery sent once more, none twice, none of the audit route's
    expect(numbers(orders.received.slice(before))).toEqual([...Array(ORDERS).keys()]);
    const keys = orders.received.slice(before).map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(ORDERS);
    expect(audit.received.length).toBe(ORDERS);
    expect(deadCount()).toBe(0);
    // never a stampede: twelve queued at once went out at most two at a time (the target's concurrency)
    expect(orders.maxConcurrent()).toBe(2);
    // nothing dead is left to retry
    expect(await (await post('/deliveries/retry', { route: 'orders' })).json()).toMatchObject({ matched: 0, queued: 0, remaining: 0 });
  }, 30_000);

  it('replays matching events through the routes that take them now, one page at a time with the cursor (CLI)', async () => {
    const before = audit.received.length;
    const dry = cli('replay', '--route', 'audit', '--source', 'open', '--topic', 'order.*', '--since', '1h', '--dry-run');
    expect(dry.err).not.toMatch(/answered|cannot reach/);
    expect(dry.out).toMatch(/^12 events match; a run would replay 12 of them as 12 new deliveries \(limit 1000\)\. Nothing was changed\.\n/);
    expect(dry.out.match(/^ {2}evt_\w+ {2}\S+ {2}open {2}order\.created {2}→ audit$/gm)).toHaveLength(12);
    await settle();
    expect(audit.received.length).toBe(before);

    const page = cli('replay', '--route', 'audit', '--topic', 'order.created', '--since', '1h', '--limit', '10');
    expect(page.code).toBe(0);
    expect(page.out).toMatch(/^replayed 10 events as 10 new deliveries/);
    const cursor = /2 more match: continue with --cursor (evt_\w+)/.exec(page.out)?.[1];
    expect(cursor).toBeDefined();
    const rest = cli('replay', '--route', 'audit', '--topic', 'order.created', '--since', '1h', '--limit', '10', '--cursor', cursor!);
    expect(rest.out).toMatch(/^replayed 2 events as 2 new deliveries/);
    expect(rest.out).not.toMatch(/more match/);
    await audit.waitFor((r) => r.length === before + ORDERS);
    await settle();
    // only the audit route (the one named), each event once; orders got nothing new
    expect(numbers(audit.received.slice(before))).toEqual([...Array(ORDERS).keys()]);
    expect(orders.received.length).toBe(2 * ORDERS);

    // with the API: an event no route takes now is skipped, not queued
    const ping = (await (await fetch(`${server.url}/hooks/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"ping"}' })).json()) as { id: string };
    const skipped = await post('/events/replay', { source: 'open', topic: 'ping' });
    expect(skipped.status).toBe(202);
    expect(await skipped.json()).toMatchObject({
      matched: 1,
      replayed: 0,
      queued: 0,
      skipped: 1,
      remaining: 0,
      sample: [{ id: ping.id, routes: [], skipped: 'no route takes it in the current config' }],
    });
    expect(await (await post('/events/replay', { source: 'open', route: 'nowhere', since: '1h' })).json()).toMatchObject({ matched: 0, queued: 0 });
    // and the usage is checked: an id and filters together, or no id and no filter
    expect(cli('replay', 'evt_x', '--status', 'dead').code).toBe(2);
    expect(cli('replay', '--limit', '5').code).toBe(2);
    // an unknown key from the CLI is the server's 400, named
    const badLimit = cli('replay', '--status', 'dead', '--limit', 'lots');
    expect([badLimit.code, badLimit.err]).toEqual([1, expect.stringContaining('admin API answered 400: limit must be a whole number from 1 to 10000, not "lots"')]);
  }, 30_000);

  it.skipIf(!existsSync(CHROMIUM))(
    'the inspector: with the dead filter on, "Retry all N shown" asks first, then retries the dead deliveries listed',
    async () => {
      orders.script('/in', [], { kind: 'status', status: 503 });
      const before = orders.received.length;
      for (let n = 100; n < 103; n++) await fetch(`${server.url}/hooks/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'order.created', n }) });
      await orders.waitFor((r) => r.length === before + 3);
      for (let i = 0; i < 200 && deadCount() < 3; i++) await new Promise((r) => setTimeout(r, 25));
      expect(deadCount()).toBe(3);
      orders.script('/in', [], { kind: 'status', status: 200 });

      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
      try {
        const page = await browser.newPage();
        await page.addInitScript((t) => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('switchboard-admin-token', t), TOKEN);
        await page.goto(`${server.url}/admin/`);
        await page.locator('#events li').first().waitFor();
        expect(await page.locator('#retry-all').count()).toBe(0); // only with the dead filter
        await page.selectOption('#f-status', 'dead');
        const button = page.locator('#retry-all');
        await button.waitFor();
        expect(await button.textContent()).toBe('Retry all 3 shown');
        // declined: nothing happens
        const dialogs: string[] = [];
        page.once('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        await button.click();
        await expect.poll(() => dialogs.length).toBe(1);
        expect(dialogs[0]).toMatch(/^Retry 3 dead deliveries of the 3 events shown\? .*rate limit and concurrency/);
        await settle();
        expect(deadCount()).toBe(3);
        // accepted: the three are retried, and the sink gets each once
        page.once('dialog', (d) => void d.accept());
        await button.click();
        await orders.waitFor((r) => r.length === before + 6);
        await settle();
        expect(numbers(orders.received.slice(before + 3))).toEqual([100, 101, 102]);
        expect(deadCount()).toBe(0);
        await page.locator('#events li.empty').waitFor(); // nothing dead left in the list, and no button
        expect(await page.locator('#retry-all').count()).toBe(0);
      } finally {
        await browser.close();
      }
    },
    30_000,
  );
});
