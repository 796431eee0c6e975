// Guarantees 7 and 9 through the real server: with a short lease, a slow or
// rate-limited target gets each delivery exactly once; a hostile payload (nested
// 100,000 deep, or a million-element fan-out) ends with a clear answer or a
// dead delivery and its reason, while other webhooks keep being served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const SECRET = 'trust-e2e-secret-not-real';

let sink: Sink;
let server: Spawned;

beforeAll(async () => {
  sink = await startSink();
  sink.script('/slow', [], { kind: 'hang', ms: 200 });
  server = await spawnServer(`version: 1
server:
  lease: 1s
  maxFanout: 1000
defaults:
  timeout: 500ms
  retry: { attempts: 2, initialDelay: 20ms, maxDelay: 50ms }
sources:
  gh:
    verify: { scheme: github, secret: ${SECRET} }
    topic: $headers."x-github-event"
targets:
  rated: { url: "${sink.url}/rated", rateLimit: 4/s }
  slow: { url: "${sink.url}/slow", concurrency: 1 }
  fan: { url: "${sink.url}/fan" }
  plain: { url: "${sink.url}/plain" }
routes:
  - { name: rated, source: gh, topics: [rated], transform: '{ "n": n }', target: rated }
  - { name: slow, source: gh, topics: [slow], transform: '{ "n": n }', target: slow }
  - { name: fan, source: gh, topics: [fan], each: true, transform: '$', target: fan }
  - { name: deep, source: gh, topics: [deep], transform: '{ "data": $ }', target: plain }
  - { name: plain, source: gh, topics: [plain], transform: '{ "n": n }', target: plain }
`);
});

afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

async function post(event: string, body: string): Promise<Response> {
  return fetch(`${server.url}/hooks/gh`, { method: 'POST', headers: githubHeaders(body, SECRET, event), body });
}

async function deliveryOf(eventId: string): Promise<{ status: string; lastError?: string; attempts: number }> {
  const detail = (await (await fetch(`${server.url}/admin/events/${eventId}`)).json()) as { deliveries: { status: string; lastError?: string; attempts: number }[] };
  return detail.deliveries[0]!;
}

describe('one send per attempt under a 1 s lease', () => {
  it('12 deliveries to a 4/s target (3 s of waiting for tokens): 12 calls', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 12; n++) {
      const res = await post('rated', JSON.stringify({ n }));
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as { id: string }).id);
    }
    for (const id of ids) await expect.poll(async () => (await deliveryOf(id)).status, { timeout: 10_000 }).toBe('succeeded');
    // Late duplicates would come from re-claims after a lease: give them a lease's time to show.
    await new Promise((r) => setTimeout(r, 1200));
    const got = sink.received.filter((r) => r.path === '/rated');
    expect(got.map((r) => (JSON.parse(r.body) as { n: number }).n).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('8 deliveries to a target answering in 200 ms with concurrency 1 (1.6 s in all): 8 calls', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 8; n++) ids.push(((await (await post('slow', JSON.stringify({ n }))).json()) as { id: string }).id);
    for (const id of ids) await expect.poll(async () => (await deliveryOf(id)).status, { timeout: 10_000 }).toBe('succeeded');
    await new Promise((r) => setTimeout(r, 1200));
    expect(sink.received.filter((r) => r.path === '/slow')).toHaveLength(8);
  });
});

describe('bounded work per event', () => {
  it('a signed body nested 100,000 levels deep is refused with 400 and stored as nothing', async () => {
    const before = ((await (await fetch(`${server.url}/admin/events?limit=500`)).json()) as { events: unknown[] }).events.length;
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const res = await post('deep', deep);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/nested more than 512 levels/);
    const after = ((await (await fetch(`${server.url}/admin/events?limit=500`)).json()) as { events: unknown[] }).events.length;
    expect(after).toBe(before);
    // 512 levels is still fine
    const ok = await post('deep', '['.repeat(511) + ']'.repeat(511));
    expect(ok.status).toBe(200);
  });

  it('a 1 MB array of 400,000 items on an each route is dead with the maxFanout reason; other webhooks are served meanwhile', async () => {
    const big = `[${new Array(400_000).fill('0').join(',')}]`;
    const res = await post('fan', big);
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const other = await post('plain', JSON.stringify({ n: 'after-fanout' }));
    expect(other.status).toBe(200);
    await expect.poll(async () => (await deliveryOf(id)).status, { timeout: 10_000 }).toBe('dead');
    expect((await deliveryOf(id)).lastError).toBe('transform gave 400000 items to send, more than server.maxFanout (1000)');
    expect(sink.received.filter((r) => r.path === '/fan')).toHaveLength(0);
    await sink.waitFor((r) => r.some((x) => x.path === '/plain' && x.body.includes('after-fanout')));
  });
});
