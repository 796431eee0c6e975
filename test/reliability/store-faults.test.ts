// The database goes away mid-load and comes back. Switchboard reaches
// PostgreSQL through a TCP proxy this test controls, so the outage is real
// (connections reset, new ones refused) yet touches no other test.
// While it is down: webhooks get 503 (never a 200 for what was not committed)
// and /readyz says not ready. When it is back: work resumes, and every event
// that got a 200 is delivered.
import { createServer, type Server, type Socket, connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, freshSchemaUrl, PG_URL, postgresReachable } from '../helpers/postgres.js';
import { githubHeaders, spawnServer } from '../helpers/server.js';
import { sinkConfig } from '../helpers/sink-config.js';
import { startSink } from '../helpers/sink.js';

const SECRET = 'store-fault-secret-not-real';
const unreachable = await postgresReachable();
if (unreachable) console.warn(`SKIPPING the database-outage test: no PostgreSQL at ${PG_URL} (${unreachable}). .ci/run starts one.`);
afterAll(dropSchemas);

/** A TCP proxy to PostgreSQL that can be cut (every connection reset, the port closed) and restored on the same port. */
async function proxy(port = 0) {
  const target = new URL(PG_URL);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (p: number) =>
    new Promise<number>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(p, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const bound = await listen(port);
  return {
    port: bound,
    async cut() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server!.close(() => r()));
    },
    restore: () => listen(bound),
  };
}

describe.skipIf(unreachable !== undefined)('the database goes away mid-load', () => {
  it('503 and not ready while it is gone; everything acknowledged is delivered once it is back', async () => {
    const sink = await startSink();
    const px = await proxy();
    const store = freshSchemaUrl().replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${px.port}`);
    const server = await spawnServer(sinkConfig(sink.url, SECRET), { SWITCHBOARD_STORE: store });
    const acked = new Set<string>();
    const statuses = new Map<number, number>();
    let n = 0;
    const send = async () => {
      const body = Buffer.from(JSON.stringify({ action: 'x', n: ++n }));
      const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'push', `outage-${n}`) });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 200) acked.add(((await res.json()) as { id: string }).id);
      else await res.arrayBuffer();
      return res.status;
    };
    try {
      for (let i = 0; i < 20; i++) expect(await send()).toBe(200);

      await px.cut();
      const during: number[] = [];
      for (let i = 0; i < 10; i++) during.push(await send());
      expect(during.every((s) => s === 503)).toBe(true);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

      await px.restore();
      const deadline = Date.now() + 15_000;
      while ((await fetch(`${server.url}/readyz`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      for (let i = 0; i < 20; i++) expect(await send()).toBe(200);

      expect(statuses.get(500)).toBeUndefined();
      await sink.waitFor((r) => {
        const seen = new Set(r.map((x) => (JSON.parse(x.body) as { event: string }).event));
        return [...acked].every((id) => seen.has(id));
      }, 30_000);
      expect(acked.size).toBe(40);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exit;
      await px.cut().catch(() => undefined);
      await sink.close();
    }
  }, 60_000);
});
