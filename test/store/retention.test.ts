// Retention (src/store/retention.ts): the loop that prunes settled events past
// their retention, on a real SQLite store; and the server stopping it on close.
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { createLogger } from '../../src/observe/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { startPruning, type Pruner, type RetentionLog } from '../../src/store/retention.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { NewEvent } from '../../src/store/types.js';

const DAY = 86_400_000;

const event = (receivedAt: number, routes: string[] = []): NewEvent => ({
  source: 'github',
  topic: 'push',
  deliveryId: `d-${Math.random().toString(36).slice(2)}`,
  receivedAt,
  headers: {},
  body: Buffer.from('{}'),
  routes,
});

function recordingLog() {
  const lines: { level: 'info' | 'warn'; fields: Record<string, unknown>; message: string }[] = [];
  const log: RetentionLog = {
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
  };
  return { log, lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function openStore(): SqliteStore {
  const store = new SqliteStore('sqlite::memory:');
  cleanups.push(() => store.close());
  return store;
}

function started(pruner: Pruner): Pruner {
  cleanups.push(() => pruner.stop());
  return pruner;
}

describe('retention', () => {
  it('prunes settled events past retention in batches, logs the total, keeps recent and pending ones', async () => {
    const store = openStore();
    const old: string[] = [];
    for (let i = 0; i < 7; i++) old.push((await store.ingest(event(Date.now() - 3 * DAY))).eventId);
    const pendingOld = (await store.ingest(event(Date.now() - 3 * DAY, ['a']))).eventId;
    const recent = (await store.ingest(event(Date.now() - 1000))).eventId;
    const prune = vi.spyOn(store, 'prune');
    const { log, lines } = recordingLog();
    started(startPruning(store, { retentionMs: () => DAY, log, everyMs: 20, batch: 3 }));
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(await Promise.all(prune.mock.results.slice(0, 3).map((r) => r.value as Promise<number>))).toEqual([3, 3, 1]);
    expect(lines[0]).toMatchObject({ level: 'info', fields: { pruned: 7 }, message: 'pruned settled events past retention' });
    for (const id of old) expect(await store.getEvent(id)).toBeUndefined();
    expect(await store.getEvent(pendingOld)).toBeDefined();
    expect(await store.getEvent(recent)).toBeDefined();
  });

  it('reads the retention at each run (a reload may change it)', async () => {
    const store = openStore();
    const id = (await store.ingest(event(Date.now() - 2 * DAY))).eventId;
    let retentionMs = 7 * DAY;
    const prune = vi.spyOn(store, 'prune');
    const { log } = recordingLog();
    started(startPruning(store, { retentionMs: () => retentionMs, log, everyMs: 20 }));
    await vi.waitFor(() => expect(prune).toHaveBeenCalled());
    expect(await store.getEvent(id)).toBeDefined();
    retentionMs = DAY;
    await vi.waitFor(async () => expect(await store.getEvent(id)).toBeUndefined());
  });

  it('a failing store is a warning, and the next run tries again', async () => {
    const store = openStore();
    const prune = vi.spyOn(store, 'prune').mockRejectedValueOnce(new Error('database is locked'));
    const { log, lines } = recordingLog();
    started(startPruning(store, { retentionMs: () => DAY, log, everyMs: 20 }));
    await vi.waitFor(() => expect(prune.mock.calls.length).toBeGreaterThanOrEqual(2));
    expect(lines[0]).toEqual({ level: 'warn', fields: { err: 'database is locked' }, message: 'pruning failed; will try again' });
  });

  it('stop(): no run starts after it, the first one included; a run in progress finishes its batch first', async () => {
    const store = openStore();
    const prune = vi.spyOn(store, 'prune');
    const { log } = recordingLog();
    await started(startPruning(store, { retentionMs: () => DAY, log, everyMs: 30 })).stop();
    await sleep(120);
    expect(prune).not.toHaveBeenCalled();

    let release!: () => void;
    prune.mockImplementationOnce(() => new Promise<number>((r) => (release = () => r(0))));
    const pruner = started(startPruning(store, { retentionMs: () => DAY, log, everyMs: 20 }));
    await vi.waitFor(() => expect(prune).toHaveBeenCalledTimes(1));
    let stopped = false;
    const stopping = pruner.stop().then(() => (stopped = true));
    await sleep(50);
    expect(stopped).toBe(false);
    release();
    await stopping;
    await sleep(60);
    expect(prune).toHaveBeenCalledTimes(1);
  });
});

describe('the server and retention', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('close() stops pruning: nothing prunes the closed store afterwards (not even the first run, still pending)', async () => {
    const { config } = loadConfigText('routes.yaml', 'version: 1\nsources:\n  open: { verify: { scheme: none } }\nroutes: []\n', { PORT: '0' });
    const quiet = createLogger({ LOG_LEVEL: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
    const store = new SqliteStore('sqlite::memory:');
    const prune = vi.spyOn(store, 'prune');
    server = await startServer({ config: config!, log: quiet, store, host: '127.0.0.1', worker: false, pruneEveryMs: 100 });
    await server.close();
    server = undefined;
    await sleep(250);
    expect(prune).not.toHaveBeenCalled();
  });
});
