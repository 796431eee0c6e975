// Hot reload, whole-process: the file is edited under a running server (in
// place, and by write-then-rename as editors do), broken and fixed, and
// rewritten 20 times under load.
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer, waitForLog, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const SECRET = 'reload-secret-not-real';

function config(sink: string, opts: { extraRoute?: boolean; extraSource?: boolean; token?: string; store?: string } = {}) {
  return `version: 1
${opts.store ? `store: ${opts.store}\n` : ''}${opts.token ? `admin: { token: ${opts.token} }\n` : ''}defaults: { retry: { attempts: 5, initialDelay: 20ms, maxDelay: 100ms } }
sources:
  gh:
    verify: { scheme: github, secret: ${SECRET} }
${opts.extraSource ? `  extra:\n    verify: { scheme: token, secret: extra-token-not-real }\n` : ''}targets:
  a: { url: "${sink}/a" }
  b: { url: "${sink}/b" }
routes:
  - { name: to-a, source: gh, transform: '{ "event": $eventId }', target: a }
${opts.extraRoute ? `  - { name: to-b, source: gh, transform: '{ "event": $eventId }', target: b }\n` : ''}${opts.extraSource ? `  - { name: extra-to-a, source: extra, transform: '{ "event": $eventId }', target: a }\n` : ''}`;
}

let sink: Sink | undefined;
let server: Spawned | undefined;
afterEach(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
  server = undefined;
  sink = undefined;
});

let n = 0;
async function send(srv: Spawned): Promise<Response> {
  const body = Buffer.from(JSON.stringify({ action: 'x', n: ++n }));
  return fetch(`${srv.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'push', `reload-${n}-${Date.now()}`) });
}
const file = (srv: Spawned) => join(srv.dir, 'routes.yaml');
/** Editors save by writing a temp file and renaming it over the original. */
function writeByRename(path: string, text: string) {
  writeFileSync(`${path}.tmp~`, text);
  renameSync(`${path}.tmp~`, path);
}
async function reloaded(srv: Spawned, count: number) {
  return waitForLog(srv, (l) => String(l.msg).startsWith('config reloaded') && (l.reloads as { ok: number }).ok === count);
}

describe('hot reload', () => {
  it('applies edits written in place and by rename; new sources answer, removed ones 404', async () => {
    sink = await startSink();
    server = await spawnServer(config(sink.url));
    const first = (await (await send(server)).json()) as { id: string };
    await sink.waitFor((r) => r.some((x) => x.path === '/a' && x.body.includes(first.id)));
    expect((await fetch(`${server.url}/hooks/extra`, { method: 'POST', body: '{}' })).status).toBe(404);

    writeFileSync(file(server), config(sink.url, { extraRoute: true, extraSource: true }));
    await reloaded(server, 1);
    const second = (await (await send(server)).json()) as { id: string };
    await sink.waitFor((r) => r.some((x) => x.path === '/b' && x.body.includes(second.id)));
    const extra = await fetch(`${server.url}/hooks/extra`, { method: 'POST', body: '{"kind":"x"}', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer extra-token-not-real' } });
    expect(extra.status).toBe(200);

    writeByRename(file(server), config(sink.url));
    await reloaded(server, 2);
    expect((await fetch(`${server.url}/hooks/extra`, { method: 'POST', body: '{}' })).status).toBe(404);
    const third = (await (await send(server)).json()) as { id: string };
    await sink.waitFor((r) => r.some((x) => x.path === '/a' && x.body.includes(third.id)));
    expect(sink.received.some((x) => x.path === '/b' && x.body.includes(third.id))).toBe(false);
  });

  it('a broken file is reported with its position and the old config keeps serving; fixing it applies', async () => {
    sink = await startSink();
    server = await spawnServer(config(sink.url));
    const broken = config(sink.url, { extraRoute: true }).replace('transform: \'{ "event": $eventId }\', target: b', 'transform: \'{ "event": $eventId \', target: b');
    writeFileSync(file(server), broken);
    const failure = await waitForLog(server, (l) => l.msg === 'config reload failed: still serving version ' + String(l.version));
    expect(failure.errors).toEqual(['routes.yaml:11:61: routes[1].transform: JSONata syntax error: Expected "}" before end of expression']);

    const res = await send(server);
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    await sink.waitFor((r) => r.some((x) => x.path === '/a' && x.body.includes(id)));

    const admin = (await (await fetch(`${server.url}/admin/config`)).json()) as { lastReload: { ok: boolean; errors: string[] }; reloads: { failed: number } };
    expect(admin.lastReload.ok).toBe(false);
    expect(admin.lastReload.errors).toEqual(failure.errors);
    expect(admin.reloads.failed).toBe(1);

    writeFileSync(file(server), config(sink.url, { extraRoute: true }));
    await reloaded(server, 1);
    const fixed = (await (await send(server)).json()) as { id: string };
    await sink.waitFor((r) => r.some((x) => x.path === '/b' && x.body.includes(fixed.id)));
  });

  it('SIGHUP and POST /admin/reload reload on demand; a store change is reported as needing a restart', async () => {
    sink = await startSink();
    // the store from the file, not the environment, so that the file can change it
    const store = 'sqlite:./data/switchboard.db';
    server = await spawnServer(config(sink.url, { token: 'admin-token-not-real', store }), { SWITCHBOARD_STORE: '' });
    server.proc.kill('SIGHUP');
    await waitForLog(server, (l) => l.trigger === 'SIGHUP' && l.msg === 'config unchanged: nothing to reload');

    const url = `${server.url}/admin/reload`;
    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const auth = { Authorization: 'Bearer admin-token-not-real' };
    expect(((await (await fetch(url, { method: 'POST', headers: auth })).json()) as { unchanged: boolean }).unchanged).toBe(true);

    writeFileSync(file(server), config(sink.url, { token: 'admin-token-not-real', store: 'sqlite:./data/elsewhere.db', extraRoute: true }));
    const line = await reloaded(server, 1);
    expect(line.needsRestart).toEqual(['store']);
    expect(line.msg).toBe('config reloaded; restart to apply: store');
    const after = (await (await fetch(`${server.url}/admin/config`, { headers: auth })).json()) as { lastReload: { needsRestart: string[] }; config: { admin: { token: string } } };
    expect(after.lastReload.needsRestart).toHaveLength(1);
    expect(after.config.admin.token).toBe('***');
    // the rest of the change applied
    const { id } = (await (await send(server)).json()) as { id: string };
    await sink.waitFor((r) => r.some((x) => x.path === '/b' && x.body.includes(id)));
  });

  it('without admin.token, /admin answers loopback only', async (ctx) => {
    sink = await startSink();
    server = await spawnServer(config(sink.url));
    expect((await fetch(`${server.url}/admin/config`)).status).toBe(200);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!external) {
      console.warn('skipped the non-loopback half: this machine has no non-loopback IPv4 address');
      ctx.skip();
    }
    const port = new URL(server.url).port;
    // By its address, the Host names no loopback name: refused before the peer is looked at.
    expect((await fetch(`http://${external}:${port}/admin/config`)).status).toBe(421);
    // With a loopback Host (as a rebinding page cannot send, but curl can), the peer address still decides.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: external, port: Number(port), path: '/admin/config', headers: { Host: `localhost:${port}` } }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: 'the admin API answers only this machine until admin.token is set' });
  });

  it('20 rewrites under load: no 5xx, no reset, and every acknowledged event delivered', async () => {
    sink = await startSink();
    server = await spawnServer(config(sink.url));
    const srv = server;
    const acked = new Set<string>();
    const problems: string[] = [];
    let extra404 = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        try {
          const res = await send(srv);
          if (res.status === 200) acked.add(((await res.json()) as { id: string }).id);
          else problems.push(`gh answered ${res.status}`);
          const x = await fetch(`${srv.url}/hooks/extra`, { method: 'POST', body: '{"k":1}', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer extra-token-not-real' } });
          if (x.status === 404) extra404++;
          else if (x.status !== 200) problems.push(`extra answered ${x.status}`);
          await x.arrayBuffer();
        } catch (err) {
          problems.push(`request failed: ${(err as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: 6 }, client);
    for (let i = 1; i <= 20; i++) {
      const text = config(sink.url, { extraRoute: i % 2 === 0, extraSource: i % 2 === 1 });
      if (i % 2) writeFileSync(file(srv), text);
      else writeByRename(file(srv), text);
      await reloaded(srv, i);
    }
    stop = true;
    await Promise.all(clients);
    expect(problems).toEqual([]);
    expect(acked.size).toBeGreaterThan(20);
    expect(extra404).toBeGreaterThan(0);
    await sink.waitFor((r) => {
      const seen = new Set(r.filter((x) => x.path === '/a').map((x) => (JSON.parse(x.body) as { event: string }).event));
      return [...acked].every((id) => seen.has(id));
    }, 20_000);
  });
});
