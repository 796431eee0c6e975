// What the ingress reads from its bindings: the event's bindings for a
// `respond:` body (the ones a route sees), and Node's socket for a refused
// request's remote address — served by @hono/node-server, and in-process
// through app.request(), where there is no socket.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, describe, expect, it } from 'vitest';
import { ingressApp } from '../../src/ingress/app.js';
import { RejectionLog } from '../../src/ingress/rejections.js';
import { createLogger } from '../../src/observe/log.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { load } from '../helpers/config.js';

const { config, errors } = load(`version: 1
server: { maxBodySize: 1kb }
sources:
  partner:
    verify: { scheme: token, secret: fake-partner-token }
    topic: kind
    respond:
      status: 202
      body: '{ "h": $headers."x-kind", "q": $query.v, "t": $topic, "s": $source, "id": $eventId, "at": $receivedAt }'
targets:
  sink: { url: http://127.0.0.1:9/sink }
routes:
  - name: r
    source: partner
    target: sink
`);
if (!config) throw new Error(errors.join('\n'));

const store = new SqliteStore('sqlite::memory:');
const log = createLogger({ LOG_LEVEL: 'silent' });
const servers: ServerType[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  await store.close();
});

const RECEIVED = Date.UTC(2026, 10, 23, 10);
const appWith = (rejections = new RejectionLog()) => ingressApp({ config: () => config, store, log, rejections, now: () => RECEIVED });

describe('respond: body', () => {
  it("sees the event's bindings, the ones a route's expressions see", async () => {
    const res = await appWith().request('/hooks/partner?v=2', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer fake-partner-token', 'x-kind': 'order' },
      body: JSON.stringify({ kind: 'order.created' }),
    });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as Record<string, string>;
    expect(answer).toMatchObject({ h: 'order', q: '2', t: 'order.created', s: 'partner', at: '2026-11-23T10:00:00.000Z' });
    const stored = await store.getEvent(answer.id!);
    expect(stored?.topic).toBe('order.created');
  });
});

describe("a refused request's remote address", () => {
  it("is Node's socket's peer when served by @hono/node-server", async () => {
    const rejections = new RejectionLog();
    const server = serve({ fetch: appWith(rejections).fetch, hostname: '127.0.0.1', port: 0 });
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/hooks/partner`, { method: 'POST', headers: { authorization: 'Bearer wrong-fake-token' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(rejections.list()[0]).toMatchObject({ status: 401, remote: '127.0.0.1' });
  });

  it('is left out, and the answer still 413, once a chunked body cut off at the limit has taken the socket with it', async () => {
    const rejections = new RejectionLog();
    const server = serve({ fetch: appWith(rejections).fetch, hostname: '127.0.0.1', port: 0 });
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/hooks/partner', method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write(Buffer.alloc(1024, 'b'));
      req.end();
    });
    expect(status).toBe(413);
    expect(rejections.list()[0]?.status).toBe(413);
  });

  it('is left out for an in-process request, which has no socket', async () => {
    const rejections = new RejectionLog();
    const res = await appWith(rejections).request('/hooks/partner', { method: 'POST', headers: { authorization: 'Bearer wrong-fake-token' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(rejections.list()[0]?.status).toBe(401);
    expect(rejections.list()[0]).not.toHaveProperty('remote');
  });
});
