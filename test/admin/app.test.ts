// The admin app (src/admin/app.ts) in-process, through Hono's app.request(),
// mounted under /admin as src/server.ts mounts it, beside the ingress app on
// the same real SQLite store and rejections log: events go in through the
// webhook endpoint and come out through the API.
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApp } from '../../src/admin/app.js';
import type { Config } from '../../src/config/types.js';
import { ingressApp } from '../../src/ingress/app.js';
import { RejectionLog } from '../../src/ingress/rejections.js';
import { createLogger } from '../../src/observe/log.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { load, tempDir } from '../helpers/config.js';
import { githubHeaders } from '../helpers/server.js';

const SECRET = 'admin-app-source-secret-not-real';
const TOKEN = 'admin-app-token-not-real';
const yaml = (admin: string) => `version: 1
${admin}
sources:
  github:
    path: /github
    verify: { scheme: github, secret: ${SECRET} }
targets:
  sink: { url: "http://127.0.0.1:9/sink" }
  other: { url: "http://127.0.0.1:9/other" }
routes:
  - { name: issues, source: github, target: sink, topics: ["issues.*"] }
  - { name: pushes, source: github, target: other, topics: [push] }
`;

let store: Store;
let config: Config;
const rejections = new RejectionLog();
let queued = 0;

/** The server's app: /admin, then the webhook endpoint. */
function serverApp(live: () => Config) {
  return new Hono({ strict: false })
    .route('/admin', adminApp({ config: live, rejections, store, onQueued: () => queued++ }))
    .route('/', ingressApp({ config: live, store, log: createLogger({ LOG_LEVEL: 'silent' }), rejections }));
}
let app: Hono;
const auth = { authorization: `Bearer ${TOKEN}` };

async function webhook(event: string, payload: unknown, delivery: string, secret = SECRET): Promise<Response> {
  const body = JSON.stringify(payload);
  return app.request('/hooks/github', { method: 'POST', body, headers: githubHeaders(body, secret, event, delivery) });
}
const ids = { opened: '', push: '', ping: '' };

beforeAll(async () => {
  const r = load(yaml(`admin: { token: ${TOKEN} }`));
  expect(r.errors).toEqual([]);
  config = r.config!;
  store = await openStore(`sqlite:${join(tempDir('switchboard-admin-app-'), 'store.db')}`);
  app = serverApp(() => config);
  for (const [name, event, payload] of [
    ['opened', 'issues', { action: 'opened', token_hint: SECRET }],
    ['push', 'push', { ref: 'refs/heads/main' }],
    ['ping', 'ping', { zen: 'Keep it logically awesome.' }],
  ] as const) {
    const res = await webhook(event, payload, `delivery-${name}`);
    expect(res.status).toBe(200);
    ids[name] = ((await res.json()) as { id: string }).id;
  }
  expect((await webhook('issues', { action: 'closed' }, 'delivery-bad', 'wrong-secret-not-real')).status).toBe(401);
});
afterAll(async () => {
  await store.close();
});

describe('admin auth', () => {
  it('401 without the token, naming the Bearer scheme', async () => {
    const res = await app.request('/admin/events');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await res.json()).toEqual({ error: 'admin token required (Authorization: Bearer …)' });
  });

  it('401 with a wrong token, which is not echoed', async () => {
    for (const header of ['Bearer wrong-token', `Bearer ${TOKEN}x`, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, TOKEN]) {
      const res = await app.request('/admin/events', { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
      expect(await res.text()).not.toContain('wrong-token');
    }
  });

  it('the token in any case of "Bearer", and with spaces around it, is accepted', async () => {
    expect((await app.request('/admin/events', { headers: { authorization: `bearer   ${TOKEN}  ` } })).status).toBe(200);
  });

  it('421 for a Host this server does not serve, even with the right token', async () => {
    const res = await app.request('http://rebound.evil.example/admin/events', { headers: auth });
    expect(res.status).toBe(421);
    expect(((await res.json()) as { error: string }).error).toMatch(/does not answer for Host "rebound\.evil\.example"/);
    // The page and its assets too, not only the API.
    expect((await app.request('http://rebound.evil.example/admin/', { headers: auth })).status).toBe(421);
    // A loopback name is served.
    expect((await app.request('http://127.0.0.1:8080/admin/events', { headers: auth })).status).toBe(200);
  });

  it('a cross-site POST is refused before the token is looked at', async () => {
    const res = await app.request(`/admin/events/${ids.opened}/replay`, { method: 'POST', headers: { ...auth, 'sec-fetch-site': 'cross-site' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'cross-site request refused' });
  });

  it('without admin.token, only this machine is answered', async () => {
    const open = load(yaml(''));
    expect(open.errors).toEqual([]);
    const local = serverApp(() => open.config!);
    const from = (remoteAddress: string) => local.request('/admin/events', {}, { incoming: { headers: { host: 'localhost' }, url: '/admin/events', socket: { remoteAddress } } });
    expect((await from('127.0.0.1')).status).toBe(200);
    expect((await from('::1')).status).toBe(200);
    expect((await from('::ffff:127.0.0.1')).status).toBe(200);
    expect((await from('192.168.1.20')).status).toBe(403);
    // In-process, with no socket at all: not known to be local, so refused.
    expect((await local.request('/admin/events')).status).toBe(403);
  });

  it('the inspector page needs no token, and allows no inline script', async () => {
    const res = await app.request('/admin/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
  });
});

describe('admin events', () => {
  it('lists events newest first, with their delivery counts and ISO times', async () => {
    const res = await app.request('/admin/events', { headers: auth });
    expect(res.status).toBe(200);
    const { events } = (await res.json()) as { events: { id: string; topic: string; receivedAt: string; deliveries: Record<string, number>; deliveryId?: string }[] };
    expect(events.map((e) => e.id)).toEqual([ids.ping, ids.push, ids.opened]);
    expect(events.map((e) => e.topic)).toEqual(['ping', 'push', 'issues.opened']);
    expect(events[2]).toMatchObject({ deliveryId: 'delivery-opened', deliveries: { pending: 1 } });
    expect(events[0]!.deliveries).toEqual({});
    for (const e of events) expect(new Date(e.receivedAt).toISOString()).toBe(e.receivedAt);
  });

  it('filters by source, topic and status, and pages with a cursor', async () => {
    const get = async (q: string) => (await (await app.request(`/admin/events?${q}`, { headers: auth })).json()) as { events: { id: string }[]; nextCursor?: string };
    expect((await get('topic=push')).events.map((e) => e.id)).toEqual([ids.push]);
    expect((await get('source=nobody')).events).toEqual([]);
    expect((await get('status=pending')).events.map((e) => e.id)).toEqual([ids.push, ids.opened]);
    const first = await get('limit=2');
    expect(first.events.map((e) => e.id)).toEqual([ids.ping, ids.push]);
    expect(first.nextCursor).toBeDefined();
    const second = await get(`limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.events.map((e) => e.id)).toEqual([ids.opened]);
    expect(second.nextCursor).toBeUndefined();
  });

  it.each(['limit=0', 'limit=501', 'limit=abc', 'limit=1.5', 'status=done'])('refuses %s with 400', async (q) => {
    const res = await app.request(`/admin/events?${q}`, { headers: auth });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/limit must be|status must be one of/);
  });

  it('shows one event: body, masked headers and payload, deliveries with their targets, and verdicts', async () => {
    const res = await app.request(`/admin/events/${ids.opened}`, { headers: auth });
    expect(res.status).toBe(200);
    const text = await res.text();
    // The source's secret, quoted in the payload, is masked everywhere in the answer.
    expect(text).not.toContain(SECRET);
    const e = JSON.parse(text) as {
      id: string;
      source: string;
      topic: string;
      deliveryId: string;
      headers: Record<string, string>;
      body: { text: string; size: number };
      payload: { action: string; token_hint: string };
      deliveries: { route: string; target: string; status: string; attempts: number; calls: unknown[] }[];
      verdicts: { routes: { route: string; verdict: string }[] };
    };
    expect(e).toMatchObject({ id: ids.opened, source: 'github', topic: 'issues.opened', deliveryId: 'delivery-opened' });
    expect(e.headers['x-hub-signature-256']).toBe('***');
    expect(e.body.text).toBe('{"action":"opened","token_hint":"***"}');
    expect(e.payload).toEqual({ action: 'opened', token_hint: '***' });
    expect(e.deliveries).toMatchObject([{ route: 'issues', target: 'sink', status: 'pending', attempts: 0, calls: [] }]);
    expect(e.verdicts.routes.map((r) => [r.route, r.verdict])).toEqual([
      ['issues', 'pending'],
      ['pushes', 'topic-mismatch'],
    ]);
  });

  it('an unknown event id is 404', async () => {
    for (const id of ['evt_00000000000070008000000000000000', 'nonsense', '%27%20OR%201%3D1']) {
      const res = await app.request(`/admin/events/${id}`, { headers: auth });
      expect(res.status, id).toBe(404);
      expect(await res.json()).toEqual({ error: 'no such event' });
    }
  });

  it('replays an event through the live routes as a new delivery, and says so to the worker', async () => {
    const before = queued;
    const res = await app.request(`/admin/events/${ids.push}/replay`, { method: 'POST', headers: auth });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { event: string; deliveries: { id: string; route: string }[] };
    expect(answer.event).toBe(ids.push);
    expect(answer.deliveries.map((d) => d.route)).toEqual(['pushes']);
    expect(queued).toBe(before + 1);
    expect((await store.deliveriesFor(ids.push)).map((d) => d.route)).toEqual(['pushes', 'pushes']);
    // An event no route takes now cannot be replayed.
    const none = await app.request(`/admin/events/${ids.ping}/replay`, { method: 'POST', headers: auth });
    expect(none.status).toBe(409);
  });

  it('the rejections list shows the webhook refused for its signature, the signature masked', async () => {
    const res = await app.request('/admin/rejections', { headers: auth });
    expect(res.status).toBe(200);
    const { rejections: list } = (await res.json()) as { rejections: { source: string; status: number; reason: string; headers: Record<string, string> }[] };
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ source: 'github', status: 401, reason: 'signature mismatch' });
    expect(list[0]!.headers['x-hub-signature-256']).toBe('***');
  });

  it('the config is shown with its secrets masked', async () => {
    const text = await (await app.request('/admin/config', { headers: auth })).text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
    expect((JSON.parse(text) as { version: string }).version).toBe(config.hash);
  });
});
