// Review finding F13: GET /metrics against DNS rebinding, on the real server.
// A page on the attacker's name resolved to this server carries that name in
// Host: /metrics answers only loopback names, IP addresses (Prometheus scrapes
// by address), server.publicUrl's host and admin.hosts — token or not — and
// gives others 421. Node's HTTP client, because fetch cannot set Host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getWithHost as get, rawRequest as raw, spawnServer, type Spawned } from '../helpers/server.js';

const SOURCES = `sources:
  open: { verify: { scheme: none } }
routes: []
`;

describe('/metrics without admin.token', () => {
  let server: Spawned;
  beforeAll(async () => {
    server = await spawnServer(`version: 1\n${SOURCES}`);
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exit;
  });

  it('a rebinding name gets 421, not the metrics', async () => {
    for (const host of ['evil.example', 'evil.example:8080', `evil.example:${new URL(server.url).port}`]) {
      const res = await get(server, '/metrics', host);
      expect(res.status, host).toBe(421);
      expect(res.body).not.toContain('switchboard_');
      expect(JSON.parse(res.body).error).toContain('/metrics does not answer for Host');
    }
  });

  it('its own address, loopback names and IP addresses get the metrics (Prometheus scraping)', async () => {
    const port = new URL(server.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, '10.1.2.3:9090', '192.0.2.7', '[fd00::7]:8080']) {
      const res = await get(server, '/metrics', host);
      expect(res.status, host).toBe(200);
      expect(res.body).toContain('# TYPE');
    }
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
  });

  it('no Host, or an absolute request target for another name, is refused', async () => {
    expect(await raw(server, 'GET /metrics HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.[01] 421 /);
    expect(await raw(server, 'GET http://evil.example/metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 421 /);
  });
});

describe('/metrics with server.publicUrl and admin.hosts', () => {
  let server: Spawned;
  beforeAll(async () => {
    server = await spawnServer(`version: 1
server: { publicUrl: "https://hooks.example.com" }
admin:
  token: metrics-hosts-token-not-real
  hosts: [switchboard.internal, "ops.example.com:9100"]
${SOURCES}`);
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exit;
  });

  it('answers the names the server serves, without a token (scrapers have none)', async () => {
    for (const host of ['hooks.example.com', 'hooks.example.com:443', 'switchboard.internal:8080', 'ops.example.com:9100', 'localhost']) {
      expect((await get(server, '/metrics', host)).status, host).toBe(200);
    }
  });

  it('refuses other names and other ports of a name:port entry', async () => {
    for (const host of ['evil.example', 'ops.example.com:8080', 'hooks.example.com.evil.example']) {
      const res = await get(server, '/metrics', host);
      expect(res.status, host).toBe(421);
      expect(JSON.parse(res.body).error).toContain('to admin.hosts');
    }
  });
});
