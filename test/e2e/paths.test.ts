// Encoded traversal against the real server: URL parsing resolves
// `/hooks/%2e%2e/admin/config` to `/admin/config`, so a proxy that forwards
// only /hooks/ would expose /admin. Every form of it is a 404 before routing.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type Spawned } from '../helpers/server.js';

let server: Spawned;
beforeAll(async () => {
  // No token: /admin answers this machine, so a path that reached it would get 200.
  server = await spawnServer(`version: 1
sources:
  open: { verify: { scheme: none } }
routes: []
`);
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
});

/** The request line exactly as written: clients (fetch, curl) would normalise these paths themselves. */
function send(target: string, method = 'GET', body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(Number(new URL(server.url).port), '127.0.0.1');
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0), text: out }));
    s.on('error', reject);
    const length = body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '';
    s.write(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${length}\r\n${body}`);
  });
}

describe('dot segments, encoded slashes and backslashes', () => {
  it('the admin API itself answers this client (so a 404 below is the guard, not auth)', async () => {
    expect((await send('/admin/config')).status).toBe(200);
  });

  it.each([
    '/hooks/%2e%2e/admin/config',
    '/hooks/%2E%2E/admin/config',
    '/hooks/.%2e/admin/config',
    '/hooks/%2e./admin/config',
    '/hooks/../admin/config',
    '/hooks/./../admin/config',
    '/hooks/%2e%2e/%2e%2e/admin/config',
    '/hooks/%2e%2e%5cadmin/config',
    '/hooks/%2e%2e%2fadmin/config',
    '/hooks/..%2Fadmin/config',
    '/hooks/%252e%252e/admin/config',
    '/hooks/%25252e%25252e/admin/config',
    '/hooks/open/%2e%2e/%2e%2e/admin/events',
    '/hooks/%2e%2e/metrics',
    '/./admin/config',
    'http://localhost/hooks/%2e%2e/admin/config',
  ])('GET %s → 404', async (target) => {
    const res = await send(target);
    expect(res.status).toBe(404);
    expect(res.text).toContain('segments, encoded slashes or backslashes are refused');
    expect(res.text).not.toContain('"config"');
  });

  it.each(['/hooks\\..\\admin\\config', '/hooks/..\\admin/config'])('GET %s (a raw backslash) is refused: Node answers 400 before routing', async (target) => {
    const res = await send(target);
    expect([400, 404]).toContain(res.status);
    expect(res.text).not.toContain('"config"');
  });

  it('a webhook posted through a traversal is refused, not stored', async () => {
    expect((await send('/hooks/x/%2e%2e/open', 'POST', '{"a":1}')).status).toBe(404);
    const events = JSON.parse((await send('/admin/events')).text.split('\r\n\r\n')[1]!) as { events: unknown[] };
    expect(events.events).toEqual([]);
  });

  it('plain paths, and dots or encoded slashes in the query, still work', async () => {
    expect((await send('/hooks/open?next=..%2F..%5c&x=%2e%2e', 'POST', '{"a":1}')).status).toBe(200);
    expect((await send('/hooks/open', 'POST', '{"a":2}')).status).toBe(200);
    expect((await send('/healthz')).status).toBe(200);
    expect((await send('/hooks/open.json', 'POST', '{}')).status).toBe(404); // no such source, but not the guard
  });
});
