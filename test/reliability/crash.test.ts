// Crash under load: a client sends webhooks as fast as it can while the server
// is killed with SIGKILL at random moments and restarted, three times. At the
// end every event that got a 200 has reached the sink at least once.
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, freshSchemaUrl, PG_URL, postgresReachable } from '../helpers/postgres.js';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';
import { sinkConfig } from '../helpers/sink-config.js';
import { startSink } from '../helpers/sink.js';

const SECRET = 'crash-secret-not-real';
const unreachable = await postgresReachable();
if (unreachable) console.warn(`SKIPPING the PostgreSQL crash test: no PostgreSQL at ${PG_URL} (${unreachable}). .ci/run starts one.`);
afterAll(dropSchemas);

const config = (sink: string) => sinkConfig(sink, SECRET);

async function crashUnderLoad(env: Record<string, string>) {
  const sink = await startSink();
  const cfg = config(sink.url);
  let server: Spawned = await spawnServer(cfg, env);
  const dir = server.dir;
  const acked = new Set<string>();
  let sent = 0;
  let current = server;
  let stop = false;
  const client = async () => {
    while (!stop) {
      const body = Buffer.from(JSON.stringify({ action: 'x', n: ++sent }));
      try {
        const res = await fetch(`${current.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'push', `crash-${sent}-${Date.now()}`) });
        if (res.status === 200) acked.add(((await res.json()) as { id: string }).id);
        else await res.arrayBuffer();
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // the server is down: not acknowledged, try the next
      }
    }
  };
  try {
    const clients = Array.from({ length: 8 }, client);
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 500));
      current.proc.kill('SIGKILL');
      await current.exit;
      server = await spawnServer(cfg, env, dir);
      current = server;
    }
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);
    expect(acked.size).toBeGreaterThan(50);
    await sink.waitFor((r) => {
      const seen = new Set(r.map((x) => (JSON.parse(x.body) as { event: string }).event));
      return [...acked].every((id) => seen.has(id));
    }, 45_000);
  } finally {
    stop = true;
    current.proc.kill('SIGTERM');
    await current.exit;
    await sink.close();
  }
}

// With one event loop (workers: 1) and with deliveries on a thread of their own (workers: 2, SPEC §6).
describe.each([1, 2])('kill -9 under load, three times, server.workers: %i', (workers) => {
  const threads = { SWITCHBOARD_WORKERS: String(workers) };
  it('SQLite: every acknowledged event is delivered', async () => {
    await crashUnderLoad(threads);
  }, 90_000);

  it.skipIf(unreachable !== undefined)(
    'PostgreSQL: every acknowledged event is delivered',
    async () => {
      await crashUnderLoad({ ...threads, SWITCHBOARD_STORE: freshSchemaUrl() });
    },
    90_000,
  );
});
