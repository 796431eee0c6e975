// DNS rebinding against the real server (SPEC §1.8): a request for a name the
// server does not serve is refused before anything under /admin answers, with
// and without admin.token. Node's HTTP client, because fetch cannot set Host.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getWithHost as get, rawRequest as raw, spawnServer, type Spawned } from '../helpers/server.js';

const TOKEN = 'admin-hosts-token-not-real';
const SOURCES = `sources:
  open: { verify: { scheme: none } }
routes: []
`;

describe('without admin.token', () => {
  let server: Spawned;
  beforeAll(async () => {
    server = await spawnServer(`version: 1\n${SOURCES}`);
    const res = await fetch(`${server.url}/hooks/open`, { method: 'POST', body: '{"note":"only for the operator"}', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exit;
  });

  it('a rebinding name (curl -H "Host: evil.example:8080" …/admin/events) gets 421, not the events', async () => {
    for (const path of ['/admin/events', '/admin/config', '/admin/rejections', '/admin/', '/admin']) {
      const res = await get(server, path, 'evil.example:8080');
      expect(res.status, path).toBe(421);
      expect(res.body).not.toContain('only for the operator');
      expect(JSON.parse(res.body).error).toMatch(/loopback host names .* until admin\.token is set/);
    }
  });

  it('loopback names still get the API and the page', async () => {
    const port = new URL(server.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LocalHost.:${port}`]) {
      const events = await get(server, '/admin/events', host);
      expect(events.status, host).toBe(200);
      expect(events.body).toContain('"source":"open"');
      expect((await get(server, '/admin/', host)).status, host).toBe(200);
    }
  });

  it('a request with no Host at all is refused', async () => {
    const answer = await raw(server, 'GET /admin/events HTTP/1.0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.[01] 421 /);
    expect(answer).toContain('a Host header is required');
    expect(answer).not.toContain('only for the operator');
  });

  it('an absolute request target for another name is refused even with a loopback Host', async () => {
    const answer = await raw(server, 'GET http://evil.example/admin/events HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
  });

  it('webhooks are not affected by the rule', async () => {
    const url = new URL(server.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/hooks/open', method: 'POST', headers: { Host: 'hooks.example.com', 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(200);
  });
});

describe('with admin.token, server.publicUrl and admin.hosts', () => {
  let server: Spawned;
  const auth = { Authorization: `Bearer ${TOKEN}` };
  beforeAll(async () => {
    server = await spawnServer(`version: 1
server: { publicUrl: "https://hooks.example.com" }
admin:
  token: ${TOKEN}
  hosts: [switchboard.internal, "ops.example.com:8443"]
${SOURCES}`);
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exit;
  });

  it('answers the names it serves', async () => {
    for (const host of ['localhost:8080', 'hooks.example.com', 'switchboard.internal:8080', 'ops.example.com:8443']) {
      expect((await get(server, '/admin/events', host, auth)).status, host).toBe(200);
      expect((await get(server, '/admin/', host)).status, host).toBe(200);
    }
  });

  it('refuses other names, even with the token, and says what to configure', async () => {
    for (const host of ['evil.example:8080', 'ops.example.com:8080', '10.1.2.3:8080']) {
      const res = await get(server, '/admin/events', host, auth);
      expect(res.status, host).toBe(421);
      const { error } = JSON.parse(res.body) as { error: string };
      expect(error).toContain(`add "${host}" to admin.hosts`);
      expect(error).not.toContain(TOKEN);
      expect((await get(server, '/admin/', host)).status, host).toBe(421);
    }
  });
});
