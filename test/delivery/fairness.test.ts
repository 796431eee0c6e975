// Delivery fairness (review finding F5): one slow or rate-limited target must not
// fill the worker's in-flight slots with deliveries that only wait on its own
// limits, so that deliveries to healthy targets queue behind them. Driven through
// the real worker, a real SQLite store and two real HTTP sinks (one per target,
// so each sink's peak concurrency is its target's).
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counting } from '../helpers/counting-store.js';
import { Sender } from '../../src/delivery/sender.js';
import { Worker } from '../../src/delivery/worker.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { load, tempDir } from '../helpers/config.js';
import { startSink, type Sink } from '../helpers/sink.js';

let slow: Sink;
let fast: Sink;
beforeAll(async () => {
  [slow, fast] = await Promise.all([startSink(), startSink()]);
});
afterAll(async () => {
  await Promise.all([slow.close(), fast.close()]);
});

const yaml = (slowTarget: string, extraRoutes = '') => `version: 1
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  slow: { url: "${slow.url}/slow", ${slowTarget} }
  fast: { url: "${fast.url}/fast" }
routes:
  - { name: to-slow, source: gh, topics: [slow], transform: '{ "n": n }', target: slow }
  - { name: to-fast, source: gh, topics: [fast], transform: '{ "n": n }', target: fast }
${extraRoutes}`;

async function queue(store: SqliteStore, topic: string, route: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await store.ingest({ source: 'gh', topic, receivedAt: Date.now(), headers: {}, body: Buffer.from(JSON.stringify({ n })), contentType: 'application/json', routes: [route] });
  }
}

const keysOf = (s: Sink, path: string) => s.received.filter((r) => r.path === path).map((r) => String(r.headers['idempotency-key']));

async function allSettled(store: SqliteStore, timeoutMs: number): Promise<void> {
  await expect.poll(async () => (await store.queueStats(Date.now())).pending, { timeout: timeoutMs, interval: 50 }).toBe(0);
}

async function expectAllSucceededOnce(store: SqliteStore, count: number): Promise<void> {
  const events = (await store.listEvents({ limit: 1000 })).events;
  expect(events).toHaveLength(count);
  const deliveries = (await Promise.all(events.map((e) => store.deliveriesFor(e.id)))).flat();
  expect(deliveries.filter((d) => d.status !== 'succeeded' || d.attempts !== 1)).toEqual([]);
}

describe('delivery fairness: a slow target does not starve the others', () => {
  it('a slow target (200 queued, answers in 200 ms, concurrency 10) and 20 for a fast one: the fast ones are sent within 1.5 s, all exactly once', async () => {
    slow.script('/slow', [], { kind: 'hang', ms: 200 });
    const { config, errors } = load(yaml('concurrency: 10, timeout: 2s'));
    expect(errors).toEqual([]);
    const store = new SqliteStore(`sqlite:${join(tempDir(), 'fair-slow.db')}`);
    // The slow target's backlog is ahead of the fast one's in the queue.
    await queue(store, 'slow', 'to-slow', 200);
    await queue(store, 'fast', 'to-fast', 20);
    const sender = new Sender();
    const worker = new Worker({ store, sender, config: () => config!, log: pino({ level: 'silent' }), maxInFlight: 40, pollMs: 100 });
    const started = Date.now();
    worker.start();
    try {
      await fast.waitFor((r) => r.filter((x) => x.path === '/fast').length >= 20, 10_000);
      const fastDone = Date.now() - started;
      const slowSoFar = keysOf(slow, '/slow').length;
      // Before the fix the fast deliveries waited until nearly all 200 slow ones had been claimed (~3.5 s).
      expect(fastDone).toBeLessThan(1500);
      expect(slowSoFar).toBeLessThan(100); // the slow one was still draining
      await allSettled(store, 15_000);
      expect(new Set(keysOf(slow, '/slow')).size).toBe(200);
      expect(keysOf(slow, '/slow')).toHaveLength(200);
      expect(new Set(keysOf(fast, '/fast')).size).toBe(20);
      expect(keysOf(fast, '/fast')).toHaveLength(20);
      // the slow target's own concurrency still held
      expect(slow.maxConcurrent()).toBeLessThanOrEqual(10);
      await expectAllSucceededOnce(store, 220);
    } finally {
      await worker.stop();
      await sender.close();
      await store.close();
    }
  });

  it('a rate-limited target (200 queued at 40/s) and 20 for a fast one: the fast ones are not held behind its tokens, and the rate holds', async () => {
    const { config, errors } = load(yaml('rateLimit: 40/s'));
    expect(errors).toEqual([]);
    const store = new SqliteStore(`sqlite:${join(tempDir(), 'fair-rate.db')}`);
    await queue(store, 'slow', 'to-slow', 200);
    await queue(store, 'fast', 'to-fast', 20);
    const before = slow.received.length;
    const fastBefore = fast.received.length;
    const sender = new Sender();
    const worker = new Worker({ store, sender, config: () => config!, log: pino({ level: 'silent' }), maxInFlight: 40, pollMs: 100 });
    const started = Date.now();
    worker.start();
    try {
      await fast.waitFor((r) => r.length >= fastBefore + 20, 10_000);
      expect(Date.now() - started).toBeLessThan(1500);
      await allSettled(store, 15_000);
      const got = slow.received.slice(before);
      expect(new Set(got.map((r) => r.headers['idempotency-key'])).size).toBe(200);
      expect(got).toHaveLength(200);
      // 200 calls at 40/s with a burst of 40: at least 4 s from the first to the last
      expect(got[199]!.at - got[0]!.at).toBeGreaterThanOrEqual(3900);
      expect(new Set(fast.received.slice(fastBefore).map((r) => r.headers['idempotency-key'])).size).toBe(20);
      expect(fast.received.slice(fastBefore)).toHaveLength(20);
      await expectAllSucceededOnce(store, 220);
    } finally {
      await worker.stop();
      await sender.close();
      await store.close();
    }
  });

  it('only the slow target has work and it is at its limit: the worker waits for it without polling the store in a loop', async () => {
    slow.script('/slow', [], { kind: 'hang', ms: 2000 });
    const { config, errors } = load(yaml('concurrency: 2, timeout: 5s'));
    expect(errors).toEqual([]);
    const sqlite = new SqliteStore(`sqlite:${join(tempDir(), 'fair-idle.db')}`);
    await queue(sqlite, 'slow', 'to-slow', 50);
    const { store, calls } = counting(sqlite);
    const before = keysOf(slow, '/slow').length;
    const sender = new Sender();
    const worker = new Worker({ store, sender, config: () => config!, log: pino({ level: 'silent' }), maxInFlight: 40, pollMs: 200 });
    worker.start();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      // Two calls in flight, no answer yet: it holds only a few deliveries (not all 40 slots) ...
      expect(worker.holding).toBeGreaterThanOrEqual(2);
      expect(worker.holding).toBeLessThanOrEqual(4);
      expect(keysOf(slow, '/slow').length - before).toBe(2);
      // ... and looks at the store about once per poll, not in a loop
      expect((calls.get('claimDue') ?? 0) + (calls.get('nextDueAt') ?? 0)).toBeLessThan(30);
    } finally {
      await worker.stop(100);
      await sender.close();
      await sqlite.close();
    }
  });

  it('a fast target whose deliveries arrive while the slow backlog is in flight is served at once (default 200 slots, answers after 2 s)', async () => {
    slow.script('/slow', [], { kind: 'hang', ms: 2000 });
    const { config, errors } = load(yaml('timeout: 5s'));
    expect(errors).toEqual([]);
    const store = new SqliteStore(`sqlite:${join(tempDir(), 'fair-late.db')}`);
    await queue(store, 'slow', 'to-slow', 200);
    const sender = new Sender();
    const worker = new Worker({ store, sender, config: () => config!, log: pino({ level: 'silent' }), pollMs: 100 });
    worker.start();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const fastBefore = fast.received.length;
      await queue(store, 'fast', 'to-fast', 20);
      const queued = Date.now();
      worker.wake(); // as the server does after each commit
      await fast.waitFor((r) => r.length >= fastBefore + 20, 15_000);
      // Before the fix: ~10 s (200 slow deliveries claimed, 50 of them had to finish, 10 every 2 s).
      expect(Date.now() - queued).toBeLessThan(1500);
      expect(new Set(fast.received.slice(fastBefore).map((r) => r.headers['idempotency-key'])).size).toBe(20);
    } finally {
      await worker.stop(100);
      await sender.close();
      await store.close();
    }
  });
});
