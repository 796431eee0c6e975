// The worker against a real SQLite store and a real sink: every delivery sent
// exactly once, and claims made in batches rather than one per finished delivery.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counting } from '../helpers/counting-store.js';
import { Sender } from '../../src/delivery/sender.js';
import { Worker } from '../../src/delivery/worker.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { load, tempDir } from '../helpers/config.js';
import { dropSchemas, freshSchemaUrl, PG_URL, postgresReachable } from '../helpers/postgres.js';
import { startSink, type Sink } from '../helpers/sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
  await dropSchemas();
});

const pgUnreachable = await postgresReachable();
if (pgUnreachable) console.warn(`SKIPPING the two-worker PostgreSQL lease test: no PostgreSQL at ${PG_URL} (${pgUnreachable}). .ci/run starts one.`);

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

  describe('exactly one send per attempt while work outlasts the lease (guarantee 7)', () => {
    // A short lease, and work that takes several leases: waiting for rate tokens, for the one slot of a
    // slow target, or sending an each's items one by one. Before leases were renewed, the worker claimed
    // its own deliveries again when their leases ran out and sent them two or three times.
    async function runBacklog(yaml: string, events: unknown[], leaseMs: number, store?: (s: Store) => Store) {
      const { config, errors } = load(yaml);
      expect(errors).toEqual([]);
      const sqlite = new SqliteStore(`sqlite:${join(tempDir(), 'lease.db')}`);
      for (const e of events) {
        await sqlite.ingest({ source: 'gh', topic: 't', receivedAt: Date.now(), headers: {}, body: Buffer.from(JSON.stringify(e)), contentType: 'application/json', routes: ['r'] });
      }
      const sender = new Sender();
      const worker = new Worker({ store: store ? store(sqlite) : sqlite, sender, config: () => config!, log: pino({ level: 'silent' }), leaseMs, pollMs: 50 });
      return { sqlite, sender, worker, config: config! };
    }

    async function settle(sqlite: SqliteStore, worker: Worker, sender: Sender, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await sqlite.queueStats(Date.now())).pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await worker.stop();
      await sender.close();
    }

    const paths = (p: string) => sink.received.filter((r) => r.path === p);

    it('a rate-limited target: 8 deliveries at 4/s under a 300 ms lease are sent 8 times', async () => {
      const { sqlite, sender, worker } = await runBacklog(
        `version: 1
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  sink: { url: "${sink.url}/rated", rateLimit: 4/s, timeout: 100ms }
routes:
  - { name: r, source: gh, transform: '{ "n": n }', target: sink }
`,
        Array.from({ length: 8 }, (_, n) => ({ n })),
        300,
      );
      worker.start();
      await settle(sqlite, worker, sender);
      const got = paths('/rated');
      expect(got.map((r) => r.headers['idempotency-key']).sort()).toEqual([...new Set(got.map((r) => r.headers['idempotency-key']))].sort());
      expect(got).toHaveLength(8);
      // and the rate held: 8 calls at 4/s with a burst of 4 span at least ~1 s
      expect(got[7]!.at - got[0]!.at).toBeGreaterThanOrEqual(900);
      const deliveries = await Promise.all((await sqlite.listEvents({ limit: 20 })).events.map((e) => sqlite.deliveriesFor(e.id)));
      expect(deliveries.flat().map((d) => [d.status, d.attempts])).toEqual(Array.from({ length: 8 }, () => ['succeeded', 1]));
      await sqlite.close();
    });

    it('a slow healthy target with concurrency 1: 6 calls of 150 ms under a 300 ms lease are sent 6 times', async () => {
      sink.script('/slow', [], { kind: 'hang', ms: 150 });
      const { sqlite, sender, worker } = await runBacklog(
        `version: 1
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  sink: { url: "${sink.url}/slow", concurrency: 1, timeout: 250ms }
routes:
  - { name: r, source: gh, transform: '{ "n": n }', target: sink }
`,
        Array.from({ length: 6 }, (_, n) => ({ n })),
        300,
      );
      worker.start();
      await settle(sqlite, worker, sender);
      expect(paths('/slow')).toHaveLength(6);
      expect(sink.maxConcurrent()).toBeGreaterThanOrEqual(1);
      await sqlite.close();
    });

    it('an each of 12 items to a target answering in 60 ms, under a 300 ms lease: 12 calls', async () => {
      sink.script('/each', [], { kind: 'hang', ms: 60 });
      const { sqlite, sender, worker } = await runBacklog(
        `version: 1
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  sink: { url: "${sink.url}/each", timeout: 200ms }
routes:
  - { name: r, source: gh, each: true, transform: 'items.{ "i": $ }', target: sink }
`,
        [{ items: Array.from({ length: 12 }, (_, i) => i) }],
        300,
      );
      worker.start();
      await settle(sqlite, worker, sender);
      const got = paths('/each');
      expect(got.map((r) => (JSON.parse(r.body) as { i: number }).i)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      await sqlite.close();
    });

    it('a lease that cannot be renewed (the store is away) is abandoned before the call, never sent with a lapsing claim', async () => {
      const { sqlite, sender, worker } = await runBacklog(
        `version: 1
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  sink: { url: "${sink.url}/unleased", timeout: 1s }
routes:
  - { name: r, source: gh, transform: '{ "n": n }', target: sink }
`,
        [{ n: 1 }, { n: 2 }],
        // The call may take 1 s, the lease holds 300 ms and cannot be extended: another worker could start it mid-call.
        300,
        (s) =>
          new Proxy(s, {
            get(target, name, receiver) {
              if (name === 'renewLeases') return () => Promise.reject(new Error('store away'));
              return Reflect.get(target, name, receiver) as unknown;
            },
          }),
      );
      worker.start();
      await new Promise((r) => setTimeout(r, 700));
      await worker.stop();
      await sender.close();
      expect(paths('/unleased')).toHaveLength(0);
      // Still pending: left to whoever can hold it.
      expect((await sqlite.queueStats(Date.now())).pending).toBe(2);
      await sqlite.close();
    });
  });

  describe('every failure ends the try with a recorded reason', () => {
    it('a stored body nested 100,000 levels deep is dead with the reason, not pending forever', async () => {
      const { config } = load(`version: 1
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  sink: { url: "${sink.url}/deep" }
routes:
  - { name: r, source: gh, transform: '{ "data": $ }', target: sink }
`);
      const sqlite = new SqliteStore(`sqlite:${join(tempDir(), 'deep.db')}`);
      // Stored directly, as one written before ingest refused such bodies would be.
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const { eventId } = await sqlite.ingest({ source: 'gh', topic: 't', receivedAt: Date.now(), headers: {}, body: Buffer.from(deep), contentType: 'application/json', routes: ['r'] });
      const sender = new Sender();
      const worker = new Worker({ store: sqlite, sender, config: () => config!, log: pino({ level: 'silent' }), leaseMs: 300, pollMs: 50 });
      worker.start();
      try {
        await expect.poll(async () => (await sqlite.deliveriesFor(eventId))[0]!.status, { timeout: 5000 }).toBe('dead');
        const [d] = await sqlite.deliveriesFor(eventId);
        expect(d!.lastError).toMatch(/nested more than 512 levels/);
        expect(d!.attempts).toBe(1);
        expect((await sqlite.attemptsFor(d!.id))[0]!.error).toMatch(/nested more than 512 levels/);
        expect(sink.received.filter((r) => r.path === '/deep')).toHaveLength(0);
      } finally {
        await worker.stop();
        await sender.close();
        await sqlite.close();
      }
    });

    it('an each past server.maxFanout fails with that reason and sends nothing', async () => {
      const { config } = load(`version: 1
server: { maxFanout: 50 }
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  sink: { url: "${sink.url}/fanout" }
routes:
  - { name: r, source: gh, each: true, transform: 'items', target: sink }
`);
      const sqlite = new SqliteStore(`sqlite:${join(tempDir(), 'fanout.db')}`);
      const body = Buffer.from(JSON.stringify({ items: Array.from({ length: 51 }, (_, i) => ({ i })) }));
      const { eventId } = await sqlite.ingest({ source: 'gh', topic: 't', receivedAt: Date.now(), headers: {}, body, contentType: 'application/json', routes: ['r'] });
      const sender = new Sender();
      const worker = new Worker({ store: sqlite, sender, config: () => config!, log: pino({ level: 'silent' }), pollMs: 50 });
      worker.start();
      try {
        await expect.poll(async () => (await sqlite.deliveriesFor(eventId))[0]!.status, { timeout: 5000 }).toBe('dead');
        expect((await sqlite.deliveriesFor(eventId))[0]!.lastError).toBe('transform gave 51 items to send, more than server.maxFanout (50)');
        expect(sink.received.filter((r) => r.path === '/fanout')).toHaveLength(0);
      } finally {
        await worker.stop();
        await sender.close();
        await sqlite.close();
      }
    });
  });

  it.skipIf(pgUnreachable !== undefined)('PostgreSQL, two workers (as two processes), a 300 ms lease and a slow target: each delivery sent once', async () => {
    sink.script('/pg-slow', [], { kind: 'hang', ms: 120 });
    const { config } = load(`version: 1
sources:
  gh: { verify: { scheme: github, secret: test-secret-not-real } }
targets:
  sink: { url: "${sink.url}/pg-slow", concurrency: 1, timeout: 250ms }
routes:
  - { name: r, source: gh, transform: '{ "n": n }', target: sink }
`);
    const url = freshSchemaUrl();
    const a = await PostgresStore.open(url);
    const b = await PostgresStore.open(url);
    const n = 10;
    for (let i = 0; i < n; i++) {
      await a.ingest({ source: 'gh', topic: 't', receivedAt: Date.now(), headers: {}, body: Buffer.from(JSON.stringify({ n: i })), contentType: 'application/json', routes: ['r'] });
    }
    const senders = [new Sender(), new Sender()];
    const workers = [a, b].map((store, i) => new Worker({ store, sender: senders[i]!, config: () => config!, log: pino({ level: 'silent' }), leaseMs: 300, pollMs: 50 }));
    for (const w of workers) w.start();
    try {
      // 10 calls of 120 ms, one at a time per worker: ~600 ms of work each, two leases' worth
      await expect.poll(async () => (await a.queueStats(Date.now())).pending, { timeout: 15_000 }).toBe(0);
    } finally {
      for (const w of workers) await w.stop();
      for (const s of senders) await s.close();
      await a.close();
      await b.close();
    }
    const got = sink.received.filter((r) => r.path === '/pg-slow').map((r) => (JSON.parse(r.body) as { n: number }).n);
    expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});
