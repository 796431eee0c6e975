// server.workers (SPEC §6): `serve` with deliveries on threads of their own.
// Whole-process, real sinks: every acknowledged event is sent exactly once, a
// target's concurrency holds across the threads, a reload reaches the threads,
// their counts reach /metrics, and workers: 1 keeps the one-loop mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer, waitForLog, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SECRET = 'workers-e2e-secret-not-real';

const config = (wide: string, narrow: string, tag = 'v1') => `version: 1
server: { lease: 5s }
defaults: { timeout: 2s, retry: { attempts: 5, initialDelay: 20ms, maxDelay: 100ms } }
sources:
  gh:
    verify: { scheme: github, secret: ${SECRET} }
targets:
  wide: { url: "${wide}/wide", concurrency: 20 }
  narrow: { url: "${narrow}/narrow", concurrency: 1 }
routes:
  - { name: to-wide, source: gh, transform: '{ "event": $eventId, "tag": "${tag}" }', target: wide }
  - { name: to-narrow, source: gh, transform: '{ "event": $eventId }', target: narrow }
`;

async function send(server: Spawned, n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: 10 }, async (_, c) => {
      for (let i = c; i < n; i += 10) {
        const body = Buffer.from(JSON.stringify({ action: 'x', n: i }));
        const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'push', `${prefix}-${i}`) });
        expect(res.status).toBe(200);
        ids.push(((await res.json()) as { id: string }).id);
      }
    }),
  );
  return ids;
}

const eventsOf = (sink: Sink, path: string) => sink.received.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as { event: string; tag?: string });

describe('server.workers: 3 (two delivery threads, SQLite)', () => {
  let wide: Sink;
  let narrow: Sink;
  let server: Spawned;
  beforeAll(async () => {
    wide = await startSink();
    narrow = await startSink();
    server = await spawnServer(config(wide.url, narrow.url), { SWITCHBOARD_WORKERS: '3' });
  });
  afterAll(async () => {
    server.proc.kill('SIGTERM');
    await server.exit;
    await wide.close();
    await narrow.close();
  });

  it('says it runs two delivery threads', () => {
    const listening = server.logs.find((l) => String(l.msg).startsWith('listening'));
    expect(listening?.deliveryThreads).toBe(2);
  });

  it('sends every acknowledged event exactly once to each target, within the narrow target’s concurrency of 1', async () => {
    const ids = await send(server, 150, 'a');
    await wide.waitFor((r) => r.length >= ids.length, 30_000);
    await narrow.waitFor((r) => r.length >= ids.length, 30_000);
    // A moment more: a second send of anything would arrive now.
    await new Promise((r) => setTimeout(r, 300));
    for (const sink of [
      { s: wide, p: '/wide' },
      { s: narrow, p: '/narrow' },
    ]) {
      const got = eventsOf(sink.s, sink.p).map((e) => e.event);
      expect(new Set(got).size).toBe(got.length); // no duplicates
      expect(new Set(got)).toEqual(new Set(ids)); // nothing lost
    }
    expect(narrow.maxConcurrent()).toBe(1);
    // The deliveries were logged by the threads (each line names its thread).
    const threads = new Set(server.logs.filter((l) => l.msg === 'delivery succeeded').map((l) => l.thread));
    expect([...threads].every((t) => t === 0 || t === 1)).toBe(true);
    expect(threads.size).toBeGreaterThan(0);
  });

  it("the threads' counts reach /metrics on the main thread", async () => {
    const metricsOf = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('switchboard_deliveries_total{') && l.includes('route="to-narrow"') && l.includes('outcome="succeeded"'));
      return Number(line?.split(' ').pop() ?? 0);
    };
    const deadline = Date.now() + 5000;
    let n = await metricsOf();
    while (n < 150 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      n = await metricsOf();
    }
    expect(n).toBe(150);
  });

  it('a reload reaches the delivery threads', async () => {
    writeFileSync(join(server.dir, 'routes.yaml'), config(wide.url, narrow.url, 'v2'));
    await waitForLog(server, (l) => l.msg === 'config reloaded', 10_000);
    const before = wide.received.length;
    const ids = await send(server, 20, 'b');
    await wide.waitFor((r) => r.length >= before + ids.length, 15_000);
    const fresh = eventsOf(wide, '/wide').filter((e) => ids.includes(e.event));
    expect(fresh).toHaveLength(ids.length);
    expect(fresh.every((e) => e.tag === 'v2')).toBe(true);
  });
});

describe('server.workers: 1', () => {
  it('delivers on the main thread: no delivery threads, and log lines name none', async () => {
    const wide = await startSink();
    const narrow = await startSink();
    const server = await spawnServer(config(wide.url, narrow.url), { SWITCHBOARD_WORKERS: '1' });
    try {
      expect(server.logs.find((l) => String(l.msg).startsWith('listening'))?.deliveryThreads).toBe(0);
      const ids = await send(server, 20, 'c');
      await wide.waitFor((r) => r.length >= ids.length, 15_000);
      await waitForLog(server, (l) => l.msg === 'delivery succeeded', 5000);
      expect(server.logs.filter((l) => l.msg === 'delivery succeeded').every((l) => l.thread === undefined)).toBe(true);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exit;
      await wide.close();
      await narrow.close();
    }
  });

  it('SWITCHBOARD_WORKERS that is not a number of threads is a config error naming it', async () => {
    const wide = await startSink();
    try {
      await expect(spawnServer(config(wide.url, wide.url), { SWITCHBOARD_WORKERS: 'lots' })).rejects.toThrow(/SWITCHBOARD_WORKERS="lots" is not a number of threads from 1 to 64/);
    } finally {
      await wide.close();
    }
  });
});
