// The ingress app (src/ingress/app.ts) in-process, through Hono's
// app.request(): no port, but the real config loader, a real SQLite store in a
// temp dir and the real rejections log — the pieces src/server.ts wires.
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { ingressApp } from '../../src/ingress/app.js';
import { RejectionLog } from '../../src/ingress/rejections.js';
import { createLogger } from '../../src/observe/log.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { load, tempDir } from '../helpers/config.js';
import { githubHeaders } from '../helpers/server.js';

const SECRET = 'ingress-secret-not-real';
const CONFIG = `version: 1
server:
  maxBodySize: 2kb
sources:
  github:
    path: /github
    verify: { scheme: github, secret: ${SECRET} }
  limited:
    path: /limited
    verify: { scheme: github, secret: ${SECRET} }
    rateLimit: 2/m
targets:
  sink: { url: "http://127.0.0.1:9/sink" }
routes:
  - { name: issues, source: github, target: sink, topics: ["issues.*"] }
  - { name: pushes, source: github, target: sink, topics: [push] }
  - { name: limited, source: limited, target: sink }
`;

let store: Store;
let config: Config;
let rejections: RejectionLog;
let accepted = 0;
let app: ReturnType<typeof ingressApp>;

beforeAll(async () => {
  const r = load(CONFIG);
  expect(r.errors).toEqual([]);
  config = r.config!;
  store = await openStore(`sqlite:${join(tempDir('switchboard-ingress-app-'), 'store.db')}`);
});
afterAll(async () => {
  await store.close();
});
beforeEach(() => {
  // A fresh app per test: its rate-limit buckets start full.
  rejections = new RejectionLog();
  app = ingressApp({ config: () => config, store, log: createLogger({ LOG_LEVEL: 'silent' }), rejections, onAccepted: () => accepted++ });
});

function post(path: string, body: string, headers: Record<string, string>) {
  return app.request(path, { method: 'POST', body, headers });
}

describe('ingress app', () => {
  it('a verified webhook is stored with its deliveries, and answered with its id', async () => {
    const body = JSON.stringify({ action: 'opened', issue: { number: 1 } });
    const before = accepted;
    const res = await post('/hooks/github', body, githubHeaders(body, SECRET, 'issues', 'gh-delivery-1'));
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^evt_/);
    expect(accepted).toBe(before + 1);

    const event = (await store.getEvent(id))!;
    expect(event).toMatchObject({ source: 'github', topic: 'issues.opened', deliveryId: 'gh-delivery-1', contentType: 'application/json' });
    expect(event.body.toString('utf8')).toBe(body); // the raw bytes, as signed
    expect(event.headers['x-hub-signature-256']).toBe('***');
    expect(event.headers['x-github-event']).toBe('issues');
    const deliveries = await store.deliveriesFor(id);
    expect(deliveries.map((d) => [d.route, d.status])).toEqual([['issues', 'pending']]);
    expect(rejections.list()).toEqual([]);
  });

  it('a resend with the same delivery id is absorbed: the same event, nothing queued again', async () => {
    const body = JSON.stringify({ action: 'closed' });
    const first = (await (await post('/hooks/github', body, githubHeaders(body, SECRET, 'issues', 'gh-delivery-2'))).json()) as { id: string };
    const before = accepted;
    const again = await post('/hooks/github', body, githubHeaders(body, SECRET, 'issues', 'gh-delivery-2'));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id: first.id, duplicate: true });
    expect(await store.deliveriesFor(first.id)).toHaveLength(1);
    expect(accepted).toBe(before);
  });

  it('a topic no route takes is stored, with no deliveries, and wakes no worker', async () => {
    const body = JSON.stringify({ zen: 'Design for failure.' });
    const before = accepted;
    const res = await post('/hooks/github', body, githubHeaders(body, SECRET, 'ping', 'gh-delivery-3'));
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect((await store.getEvent(id))!.topic).toBe('ping');
    expect(await store.deliveriesFor(id)).toEqual([]);
    expect(accepted).toBe(before);
  });

  it('a bad signature is 401 with the reason, kept in the rejections log with the signature masked, and nothing stored', async () => {
    const body = JSON.stringify({ action: 'opened' });
    const headers = githubHeaders(body, 'wrong-secret-not-real', 'issues', 'gh-bad-1');
    const count = await store.countEvents();
    const res = await post('/hooks/github', body, headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'signature mismatch' });
    expect(await store.countEvents()).toBe(count);

    const [r, ...rest] = rejections.list();
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ source: 'github', method: 'POST', path: '/hooks/github', status: 401, reason: 'signature mismatch' });
    expect(r!.headers['x-hub-signature-256']).toBe('***');
    expect(r!.headers['x-github-event']).toBe('issues');
    expect(Date.parse(r!.at)).not.toBeNaN();
  });

  it('no signature at all is 401 "missing signature"', async () => {
    const res = await post('/hooks/github', '{}', { 'content-type': 'application/json', 'x-github-event': 'issues' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'missing signature' });
    expect(rejections.list()[0]).toMatchObject({ status: 401, reason: 'missing signature' });
  });

  it('a signed body that is not JSON is 400, and the reason does not quote the body', async () => {
    const body = `{"action": "opened", "token": "quoted-${'z'.repeat(40)}"`;
    const res = await post('/hooks/github', body, githubHeaders(body, SECRET, 'issues', 'gh-bad-json'));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    expect(error).not.toContain('quoted-');
    expect(rejections.list()[0]).toMatchObject({ status: 400 });
    expect(rejections.list()[0]!.reason).not.toContain('quoted-');
  });

  it('a body over server.maxBodySize is 413, before its signature is looked at', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(3000) });
    const res = await post('/hooks/github', body, githubHeaders(body, SECRET, 'issues', 'gh-big'));
    expect(res.status).toBe(413);
    expect((await res.json()) as { error: string }).toEqual({ error: 'body larger than 2048 bytes' });
  });

  it('an unknown path is 404, and not a rejection of any source', async () => {
    for (const path of ['/hooks/gitlab', '/', '/hooks', '/hooks/github/extra']) {
      const res = await app.request(path, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: 'not found' });
    }
    expect(rejections.list()).toEqual([]);
  });

  it('a source path is matched without regard to a trailing slash', async () => {
    const body = JSON.stringify({ action: 'labeled' });
    const res = await post('/hooks/github/', body, githubHeaders(body, SECRET, 'issues', 'gh-slash'));
    expect(res.status).toBe(200);
  });

  it('GET on a source without handshakes is 405, naming POST', async () => {
    const res = await app.request('/hooks/github');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it("a source's rateLimit answers 429 with Retry-After once its burst is spent", async () => {
    const body = JSON.stringify({ n: 1 });
    const send = (n: number) => post('/hooks/limited', body, githubHeaders(body, SECRET, 'push', `limited-${n}`));
    expect((await send(1)).status).toBe(200);
    expect((await send(2)).status).toBe(200);
    const third = await send(3);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(third.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    expect(rejections.list()[0]).toMatchObject({ source: 'limited', status: 429, reason: 'rate limited' });
    // The other source is not limited by it.
    const other = JSON.stringify({ action: 'edited' });
    expect((await post('/hooks/github', other, githubHeaders(other, SECRET, 'issues', 'gh-unlimited'))).status).toBe(200);
  });

  it('healthz and readyz answer without touching a source', async () => {
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', config: config.hash.slice(0, 12) });
  });

  it('a config swapped between requests is used from the next request on', async () => {
    const next = load(CONFIG.replace('path: /github', 'path: /gh'));
    expect(next.errors).toEqual([]);
    let live = config;
    const swapping = ingressApp({ config: () => live, store, log: createLogger({ LOG_LEVEL: 'silent' }), rejections });
    const body = JSON.stringify({ action: 'opened' });
    expect((await swapping.request('/hooks/github', { method: 'POST', body, headers: githubHeaders(body, SECRET, 'issues', 'swap-1') })).status).toBe(200);
    live = next.config!;
    expect((await swapping.request('/hooks/github', { method: 'POST', body, headers: githubHeaders(body, SECRET, 'issues', 'swap-2') })).status).toBe(404);
    expect((await swapping.request('/hooks/gh', { method: 'POST', body, headers: githubHeaders(body, SECRET, 'issues', 'swap-3') })).status).toBe(200);
  });
});
