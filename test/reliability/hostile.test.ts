// Hostile input against the real server: each request gets the right answer,
// quickly, and a genuine webhook still goes through afterwards.
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';

const SECRET = 'hostile-secret-not-real';
let server: Spawned;

beforeAll(async () => {
  server = await spawnServer(`version: 1
server: { maxBodySize: 256kb }
sources:
  gh:
    verify: { scheme: github, secret: ${SECRET} }
  stripe:
    verify: { scheme: stripe, secret: whsec_hostile_not_real }
  limited:
    verify: { scheme: none }
    rateLimit: 5/s
routes: []
`);
});
afterAll(async () => {
  server.proc.kill('SIGTERM');
  await server.exit;
});

let n = 0;
const signedPost = (body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: { ...githubHeaders(body, SECRET, 'push', `hostile-${++n}`), ...headers } });

async function stillServing() {
  const res = await signedPost(JSON.stringify({ ok: true }));
  expect(res.status).toBe(200);
}

describe('hostile requests', () => {
  it('deeply nested JSON: refused or parsed, never a crash', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await signedPost(deep);
    expect([200, 400]).toContain(res.status);
    await stillServing();
  });

  it('a huge number of keys within the size limit is just a payload', async () => {
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 12_000 }, (_, i) => [`k${i}`, i])));
    expect((await signedPost(many)).status).toBe(200);
    await stillServing();
  });

  it('invalid UTF-8 in a JSON body: 400', async () => {
    const res = await signedPost(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/not valid UTF-8/);
  });

  it('a form body with repeated keys is accepted (values become a list)', async () => {
    const res = await signedPost('a=1&a=2&b=3', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
  });

  it('signatures of the wrong length or encoding: 401', async () => {
    const body = '{"x":1}';
    const good = createHmac('sha256', SECRET).update(body).digest('hex');
    for (const sig of [`sha256=${good.slice(0, 40)}`, `sha256=${good}00`, `sha256=${Buffer.from(good, 'hex').toString('base64')}`, `sha256=${'z'.repeat(64)}`, 'sha256=', good]) {
      const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': sig } });
      expect(res.status, sig).toBe(401);
    }
    await stillServing();
  });

  it('a replayed (stale) or future timestamp: 401', async () => {
    const body = '{"id":"evt_1","type":"x"}';
    for (const t of [Math.floor(Date.now() / 1000) - 3600, Math.floor(Date.now() / 1000) + 3600]) {
      const sig = createHmac('sha256', 'whsec_hostile_not_real').update(`${t}.${body}`).digest('hex');
      const res = await fetch(`${server.url}/hooks/stripe`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': `t=${t},v1=${sig}` } });
      expect(res.status).toBe(401);
    }
  });

  it('a body over the limit: 413, and the server keeps serving', async () => {
    const big = Buffer.alloc(300 * 1024, 'a');
    expect((await signedPost(big)).status).toBe(413);
    // (the chunked case, cut off at the limit while reading, is in test/e2e/server.test.ts)
    await stillServing();
  });

  it('slow-loris connections do not stop others being served', async () => {
    const sockets = Array.from({ length: 30 }, () => {
      const s = connect(Number(new URL(server.url).port), '127.0.0.1');
      s.on('error', () => undefined);
      s.write('POST /hooks/gh HTTP/1.1\r\nHost: x\r\n');
      return s;
    });
    const drip = setInterval(() => sockets.forEach((s) => s.write('X-Slow: 1\r\n')), 100);
    try {
      for (let i = 0; i < 5; i++) await stillServing();
    } finally {
      clearInterval(drip);
      sockets.forEach((s) => s.destroy());
    }
  });

  it("past a source's rateLimit: 429 with Retry-After; other sources unaffected", async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => fetch(`${server.url}/hooks/limited`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
    const limited = answers.find((r) => r.status === 429)!;
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.json()).toEqual({ error: 'rate limited' });
    await stillServing();
  });

  it('garbage that is not HTTP closes that connection only', async () => {
    await new Promise<void>((resolve) => {
      const s = connect(Number(new URL(server.url).port), '127.0.0.1', () => s.write('\x00\x01\x02 not http at all\r\n\r\n'));
      s.on('data', () => undefined);
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    await stillServing();
  });
});
