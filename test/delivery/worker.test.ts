// The worker against a real SQLite store and a real sink: every delivery sent
// exactly once, and claims made in batches rather than one per finished delivery.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sender } from '../../src/delivery/sender.js';
import { Worker } from '../../src/delivery/worker.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { load, tempDir } from '../helpers/config.js';
import { startSink, type Sink } from '../helpers/sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
});

/** The store, with a count of the calls the worker makes to it. */
function counting(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(name), (calls.get(String(name)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

describe('worker', () => {
  it('sends a backlog exactly once each, claiming in batches as slots free up', async () => {
    const { config } = load(`version: 1
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  sink: { url: "${sink.url}/batch", concurrency: 8 }
routes:
  - { name: r, source: gh, transform: '{ "n": n }', target: sink }
`);
    const sqlite = new SqliteStore(`sqlite:${join(tempDir(), 'worker.db')}`);
    const { store, calls } = counting(sqlite);
    const n = 300;
    for (let i = 0; i < n; i++) {
      await sqlite.ingest({ source: 'gh', topic: 't', receivedAt: Date.now(), headers: {}, body: Buffer.from(JSON.stringify({ n: i })), contentType: 'application/json', routes: ['r'] });
    }
    const sender = new Sender();
    const worker = new Worker({ store, sender, config: () => config!, log: pino({ level: 'silent' }), maxInFlight: 40 });
    worker.start();
    try {
      const got = await sink.waitFor((r) => r.filter((x) => x.path === '/batch').length >= n, 20_000);
      const keys = got.filter((x) => x.path === '/batch').map((x) => x.headers['idempotency-key']);
      expect(new Set(keys).size).toBe(n);
      expect(new Set(got.filter((x) => x.path === '/batch').map((x) => (JSON.parse(x.body) as { n: number }).n))).toEqual(new Set(Array.from({ length: n }, (_, i) => i)));
      // Claiming again only when a quarter of the 40 slots is free: about n / 10 claims (plus a few
      // empty ones as the queue runs dry), where one claim per finished delivery made n.
      expect(calls.get('claimDue')).toBeLessThanOrEqual(n / 5);
      // Asked when work falls due only when the queue ran dry, not after every claim.
      expect(calls.get('nextDueAt') ?? 0).toBeLessThan(10);
      await expect.poll(async () => (await sqlite.queueStats(Date.now())).pending).toBe(0);
    } finally {
      await worker.stop();
      await sender.close();
      await sqlite.close();
    }
  });
});
