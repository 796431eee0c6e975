// Bounded metric labels (SPEC §8): on an open (`scheme: none`) source a sender
// chooses the topic and the body, so neither may become a label value — else
// every new topic or parse-error text is one more series and /metrics (and the
// memory behind it) grows without bound. 2,000 requests with distinct random
// topics and distinct malformed bodies must leave the series as they were
// after the first few, with no fragment of any body in /metrics or the log.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type Spawned } from '../helpers/server.js';

const CONFIG = `version: 1
sources:
  open:
    verify: { scheme: none }
    topic: type
targets:
  nowhere: { url: "http://127.0.0.1:1/never", retry: { attempts: 1 } }
routes:
  - { name: orders, source: open, topics: ["order.*"], target: nowhere, filter: "false" }
  - { name: pings, source: open, topics: [ping], target: nowhere, filter: "false" }
`;

let server: Spawned;
beforeAll(async () => {
  server = await spawnServer(CONFIG);
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
});

const marker = () => `zq${randomBytes(6).toString('hex')}`;

/** One of four kinds in turn: an unrouted random topic, a random topic under a route's glob, malformed JSON, invalid UTF-8. */
function request(i: number, markers: string[]): RequestInit {
  const m = marker();
  markers.push(m);
  const headers = { 'Content-Type': 'application/json' };
  switch (i % 4) {
    case 0:
      return { method: 'POST', headers, body: JSON.stringify({ type: `${m}.${'x'.repeat(i % 50)}` }) };
    case 1:
      return { method: 'POST', headers, body: JSON.stringify({ type: `order.${m}` }) };
    case 2:
      return { method: 'POST', headers, body: `{"type": ${m}${'y'.repeat(i % 300)} }` };
    default:
      return { method: 'POST', headers, body: Buffer.concat([Buffer.from(`{"type": "${m}`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) };
  }
}

async function send(from: number, to: number, markers: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = from; i < to; i += 20) {
    const batch = [];
    for (let j = i; j < Math.min(to, i + 20); j++) batch.push(fetch(`${server.url}/hooks/open`, request(j, markers)).then((r) => r.status));
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

const series = (text: string) => text.split('\n').filter((l) => l.startsWith('switchboard_'));

/**
 * /metrics once the worker has settled every delivery (so no series is still about to appear): the
 * queue is empty, and the series are the same as 100 ms before (delivery threads hand their counts
 * to the main thread just after they commit).
 */
async function settledMetrics(): Promise<string> {
  const deadline = Date.now() + 20_000;
  let previous: number | undefined;
  for (;;) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const drained = /^switchboard_queue_depth 0$/m.test(text);
    if (drained && previous === series(text).length) return text;
    previous = drained ? series(text).length : undefined;
    if (Date.now() > deadline) throw new Error('the queue did not drain');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('metric labels stay bounded', () => {
  it('2,000 requests with distinct topics and malformed bodies add no series and leak no body fragment', async () => {
    const markers: string[] = [];
    const warmup = await send(0, 8, markers);
    expect(warmup.filter((s) => s === 200)).toHaveLength(4);
    expect(warmup.filter((s) => s === 400)).toHaveLength(4);
    const before = await settledMetrics();

    await send(8, 2000, markers);
    const after = await settledMetrics();

    expect(series(after).length).toBe(series(before).length);
    // Only counts grew (a few digits each), and the process metrics moved.
    expect(after.length).toBeLessThan(before.length + 4096);
    expect(series(after).join('\n')).toMatch(/^switchboard_webhooks_total\{source="open",topic="other",outcome="accepted"\} 500$/m);
    expect(series(after).join('\n')).toMatch(/^switchboard_webhooks_total\{source="open",topic="order\.\*",outcome="accepted"\} 500$/m);
    expect(series(after).join('\n')).toMatch(/^switchboard_verification_failures_total\{source="open",reason="bad_body"\} 1000$/m);
    const leaked = markers.filter((m) => after.includes(m));
    expect(leaked).toEqual([]);
  }, 120_000);

  it('the log lines for refused bodies are short and quote no body', async () => {
    await new Promise((r) => setTimeout(r, 300)); // logs trail the answers
    const rejected = server.logs.filter((l) => l.msg === 'webhook rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(1000);
    for (const l of rejected) {
      expect(l.code).toBe('bad_body');
      expect(String(l.reason).length).toBeLessThanOrEqual(250);
      expect(String(l.reason)).not.toMatch(/zq[0-9a-f]{12}/);
    }
  });
});
