// Scaling out: two `switchboard serve` processes on one PostgreSQL database.
// With a healthy sink every event is delivered exactly once; when one process
// is killed mid-load, the other takes over its claims after their lease, and
// nothing acknowledged is lost.
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, freshSchemaUrl, PG_URL, postgresReachable } from '../helpers/postgres.js';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';
import { sinkConfig } from '../helpers/sink-config.js';
import { startSink, type Sink } from '../helpers/sink.js';

const SECRET = 'scale-secret-not-real';
const unreachable = await postgresReachable();
if (unreachable) console.warn(`SKIPPING the two-process PostgreSQL tests: no PostgreSQL at ${PG_URL} (${unreachable}). .ci/run starts one.`);

afterAll(dropSchemas);

const config = (sink: string) => sinkConfig(sink, SECRET, '{ "event": $eventId, "n": n }');

let seq = 0;
async function send(server: Spawned, n: number, delivery = `scale-${++seq}-${Date.now()}`): Promise<{ status: number; id?: string }> {
  const body = Buffer.from(JSON.stringify({ action: 'x', n }));
  const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'push', delivery) });
  return { status: res.status, ...(res.ok ? { id: ((await res.json()) as { id: string }).id } : {}) };
}

/** Sends `count` webhooks, spread over the servers, `parallel` at a time; returns the acknowledged event ids. */
async function load(servers: Spawned[], count: number, parallel = 10): Promise<string[]> {
  const acked: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const n = next++;
        const r = await send(servers[n % servers.length]!, n).catch(() => ({ status: 0 }) as { status: number; id?: string });
        if (r.status === 200 && r.id) acked.push(r.id);
      }
    }),
  );
  return acked;
}

const eventsAt = (sink: Sink) => sink.received.filter((r) => r.path === '/sink').map((r) => (JSON.parse(r.body) as { event: string }).event);

describe.skipIf(unreachable !== undefined)('two processes, one PostgreSQL database', () => {
  const running: Spawned[] = [];
  let sink: Sink | undefined;
  afterAll(async () => {
    for (const s of running) {
      s.proc.kill('SIGTERM');
      await s.exit;
    }
    await sink?.close();
  });

  it('every accepted event is delivered exactly once with a healthy sink', async () => {
    sink = await startSink();
    const store = freshSchemaUrl();
    // One loop per process: with delivery threads too, four threads and the sink share two cores under the
    // full suite, and the 1 s target timeout fired (a genuine retry, at least once). Open in issue 16's notes.
    const a = await spawnServer(config(sink.url), { SWITCHBOARD_STORE: store, SWITCHBOARD_WORKERS: '1' });
    const b = await spawnServer(config(sink.url), { SWITCHBOARD_STORE: store, SWITCHBOARD_WORKERS: '1' });
    running.push(a, b);
    const acked = await load([a, b], 300);
    expect(acked).toHaveLength(300);
    const s = sink;
    await s.waitFor(() => new Set(eventsAt(s)).size >= 300, 30_000);
    const seen = eventsAt(s);
    const counts = new Map<string, number>();
    for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]); // no duplicates
    expect(acked.every((id) => counts.get(id) === 1)).toBe(true);

    // the same delivery id, sent to both at once, is queued once
    const same = await Promise.all([send(a, 999, 'same-on-both'), send(b, 999, 'same-on-both'), send(a, 999, 'same-on-both')]);
    expect(new Set(same.map((r) => r.id)).size).toBe(1);
    await s.waitFor(() => eventsAt(s).includes(same[0]!.id!));
    await new Promise((r) => setTimeout(r, 300));
    expect(eventsAt(s).filter((id) => id === same[0]!.id).length).toBe(1);
  });

  it('one process killed mid-load: the other delivers what it had claimed; nothing acknowledged is lost', async () => {
    const local = await startSink();
    const store = freshSchemaUrl();
    // A slow sink, so that deliveries are claimed and in flight when the process dies.
    local.script('/sink', [], { kind: 'hang', ms: 300 });
    const a = await spawnServer(config(local.url), { SWITCHBOARD_STORE: store });
    const b = await spawnServer(config(local.url), { SWITCHBOARD_STORE: store });
    running.push(b);
    const first = await load([a, b], 100);
    await local.waitFor((r) => r.length >= 10);
    a.proc.kill('SIGKILL');
    await a.exit;
    local.script('/sink', [], { kind: 'status', status: 200 });
    const rest = await load([b], 50);
    const acked = [...first, ...rest];
    expect(acked.length).toBe(150);
    await local.waitFor(() => {
      const seen = new Set(eventsAt(local));
      return acked.every((id) => seen.has(id));
    }, 60_000);
    await local.close();
  });
});
