// A delivery thread that dies (server.workers > 1): the deliveries it held are
// released as soon as it has exited, so the thread started in its place sends
// them at once, not a lease later. Real thread (dist/delivery/thread.js), real
// SQLite file, real sink; the thread is ended with terminate(), as a crash ends it.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { DeliveryThreads, threadModule } from '../../src/delivery/threads.js';
import { createLogger } from '../../src/observe/log.js';
import { Metrics } from '../../src/observe/metrics.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers/config.js';
import { startSink, type Sink } from '../helpers/sink.js';

const module = threadModule();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const configText = (store: string, sink: string) => `version: 1
store: ${store}
server: { lease: 60s }
sources:
  open: { verify: { scheme: none } }
targets:
  sink: { url: "${sink}/t", timeout: 30s, retry: { attempts: 3, initialDelay: 10ms } }
routes:
  - { name: r, source: open, target: sink }
`;

describe.skipIf(!module)('a delivery thread that dies', () => {
  if (!module) console.warn('threads.test.ts skipped: dist/delivery/thread.js is not built (npm run build)');

  it('its deliveries are released when it exits and sent again by the thread started in its place, long before their 60 s leases run out', async () => {
    const sink: Sink = await startSink();
    cleanups.push(() => sink.close());
    // The first five calls hang (the thread holds them, leased for 60 s); the calls after them are answered.
    sink.script(
      '/t',
      Array.from({ length: 5 }, () => ({ kind: 'hang' as const, ms: 20_000 })),
      { kind: 'status', status: 200 },
    );
    const dir = tempDir();
    const url = `sqlite:${join(dir, 'store.db')}`;
    const loaded = loadConfigText(join(dir, 'routes.yaml'), configText(url, sink.url), {});
    expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const config = loaded.config!;
    const store = new SqliteStore(url);
    cleanups.push(() => store.close());
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ LOG_LEVEL: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } as unknown as NodeJS.WritableStream);
    const threads = new DeliveryThreads({
      count: 1,
      config,
      env: { LOG_LEVEL: 'warn' },
      log,
      metrics: new Metrics(() => store.queueStats(Date.now())),
      split: true,
      module: module!,
      releaseLeasesOf: (owner) => store.releaseLeasesOf(owner),
    });
    await threads.start();
    cleanups.push(() => threads.stop(0));

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await store.ingest({ source: 'open', topic: 'x', receivedAt: Date.now(), headers: {}, body: Buffer.from(`{"n":${i}}`), contentType: 'application/json', routes: ['r'] });
      ids.push(r.eventId);
    }
    threads.wake();
    await sink.waitFor((r) => r.length >= 5, 10_000);
    const killedAt = Date.now();
    await threads.kill(0);

    // Sent again by the new thread (started a second later), and recorded as delivered.
    await sink.waitFor((r) => r.length >= 10, 15_000);
    const states = await Promise.all(ids.map(async (id) => (await store.deliveriesFor(id))[0]!.status));
    for (let i = 0; i < 100 && states.some((s) => s !== 'succeeded'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      for (const [k, id] of ids.entries()) states[k] = (await store.deliveriesFor(id))[0]!.status;
    }
    expect(states).toEqual(Array(5).fill('succeeded'));
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(lines.some((l) => l.msg === 'a delivery thread stopped; starting it again')).toBe(true);
    expect(lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('released the deliveries'))).toMatchObject({ deliveries: 5 });
  }, 40_000);
});
