// Target limits across replicas: two `switchboard serve` processes on one
// PostgreSQL database send, together, at most a target's rateLimit and at most
// its concurrency at once — not each of them (issue 19, item 6).
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, freshSchemaUrl, PG_URL, postgresReachable } from '../helpers/postgres.js';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Received, type Sink } from '../helpers/sink.js';

const SECRET = 'replica-limits-secret-not-real';
const unreachable = await postgresReachable();
if (unreachable) console.warn(`SKIPPING the two-process limits test: no PostgreSQL at ${PG_URL} (${unreachable}). .ci/run starts one.`);

afterAll(dropSchemas);

const config = (rated: string, narrow: string) => `version: 1
defaults: { timeout: 3s }
sources:
  gh:
    verify: { scheme: github, secret: ${SECRET} }
targets:
  rated: { url: "${rated}/rated", rateLimit: 5/s }
  narrow: { url: "${narrow}/narrow", concurrency: 2 }
routes:
  - { name: to-rated, source: gh, transform: '{ "event": $eventId }', target: rated }
  - { name: to-narrow, source: gh, transform: '{ "event": $eventId }', target: narrow }
`;

async function send(server: Spawned, n: number): Promise<string | undefined> {
  const body = Buffer.from(JSON.stringify({ action: 'x', n }));
  const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'push', `limits-${n}-${Date.now()}`) });
  return res.ok ? ((await res.json()) as { id: string }).id : undefined;
}

/** The most calls in any one-second window [t, t + 1000) starting at a call. */
function busiestSecond(calls: readonly Received[]): number {
  const at = calls.map((c) => c.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (j < at.length && at[j]! < at[i]! + 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

const eventsOf = (calls: readonly Received[]) => calls.map((c) => (JSON.parse(c.body) as { event: string }).event);

describe.skipIf(unreachable !== undefined)('target limits across two processes on one PostgreSQL database', () => {
  const running: Spawned[] = [];
  const sinks: Sink[] = [];
  afterAll(async () => {
    for (const s of running) {
      s.proc.kill('SIGTERM');
      await s.exit;
    }
    for (const s of sinks) await s.close();
  });

  it('rateLimit 5/s and concurrency 2 hold for both together; every delivery is made once', async () => {
    const rated = await startSink();
    const narrow = await startSink();
    sinks.push(rated, narrow);
    narrow.script('/narrow', [], { kind: 'hang', ms: 300 }); // slow: calls overlap unless the slots hold them back
    const store = freshSchemaUrl();
    const a = await spawnServer(config(rated.url, narrow.url), { SWITCHBOARD_STORE: store });
    const b = await spawnServer(config(rated.url, narrow.url), { SWITCHBOARD_STORE: store });
    running.push(a, b);

    const ids = (await Promise.all(Array.from({ length: 40 }, (_, n) => send(n % 2 ? b : a, n)))).filter((id): id is string => id !== undefined);
    expect(ids).toHaveLength(40);
    // 40 calls at 5/s take about 8 s; 40 calls of 300 ms two at a time about 6 s
    await rated.waitFor((r) => r.length >= 40, 30_000);
    await narrow.waitFor((r) => r.length >= 40, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // no late duplicates

    // every delivery exactly once, at each target
    for (const sink of [rated, narrow]) {
      const got = eventsOf(sink.received);
      expect(got).toHaveLength(40);
      expect(new Set(got)).toEqual(new Set(ids));
    }
    // both processes made calls to both targets: the limits were kept together, not by one process doing all the work
    for (const server of [a, b]) {
      const done = server.logs.filter((l) => l.msg === 'delivery succeeded');
      expect(done.some((l) => l.route === 'to-rated')).toBe(true);
      expect(done.some((l) => l.route === 'to-narrow')).toBe(true);
    }
    expect(busiestSecond(rated.received)).toBeLessThanOrEqual(6); // 5, +1 for a call on the window's edge
    const span = Math.max(...rated.received.map((r) => r.at)) - Math.min(...rated.received.map((r) => r.at));
    expect(span).toBeGreaterThanOrEqual(7000); // 40 calls, 200 ms apart
    expect(narrow.maxConcurrent()).toBeLessThanOrEqual(2);
    expect(narrow.maxConcurrent()).toBe(2);
  });
});
