// The delivery half, whole-process: `switchboard serve` in a child process, real
// signed webhooks in, and a real sink server as the target that answers as each
// test tells it to. Retry schedules are shortened; no test waits on a clock
// threshold, only on the sink receiving what it should.
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeFile } from '../helpers/config.js';
import { githubHeaders, readDb, spawnServer, waitForLog, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const ROOT = resolve(__dirname, '../..');
const SECRET = 'delivery-e2e-secret-not-real';
const SIGNING = 'whsec_ZGVsaXZlcnktZTJlLXNpZ25pbmcta2V5'; // base64 of a fake key
const COMMENT = readFileSync(join(ROOT, 'fixtures/github/issue_comment.created.json'));

function config(sink: string) {
  return `version: 1
defaults:
  timeout: 300ms
  retry: { attempts: 3, initialDelay: 20ms, maxDelay: 50ms }
egress:
  allow: [allowed.invalid]
sources:
  gh:
    verify: { scheme: github, secret: ${SECRET} }
    topic: $headers."x-github-event" & "." & action
targets:
  slack:
    url: ${sink}/slack
    headers: { Authorization: "Bearer target-token-not-real" }
  flaky: { url: "${sink}/flaky" }
  limited:
    url: ${sink}/limited
    retry: { attempts: 2 }
  hanging: { url: "${sink}/hanging", concurrency: 1 }
  narrow: { url: "${sink}/narrow", concurrency: 2 }
  signed:
    url: ${sink}/signed
    sign: { secret: ${SIGNING} }
  templated: { url: "{{ callback }}" }
  moved: { url: "${sink}/moved" }
  following: { url: "${sink}/moved-too", followRedirects: true }
  huge: { url: "${sink}/huge" }
  rated: { url: "${sink}/rated", rateLimit: 5/s }
routes:
  - name: to-slack
    source: gh
    topics: [issue_comment.created]
    filter: comment.author_association = "MEMBER"
    transform: |
      { "text": sender.login & " on " & issue.title & ": " & comment.body }
    target: slack
  - { name: flaky, source: gh, topics: [flaky.*], transform: '{ "n": n }', target: flaky }
  - { name: limited, source: gh, topics: [limited.*], transform: '{ "n": n }', target: limited }
  - { name: hanging, source: gh, topics: [hang.*], transform: '{ "n": n }', target: hanging }
  - { name: narrow, source: gh, topics: [narrow.*], transform: '{ "n": n }', target: narrow }
  - { name: signed, source: gh, topics: [signed.*], transform: '{ "n": n }', target: signed }
  - { name: templated, source: gh, topics: [templated.*], transform: '{ "n": n }', target: templated }
  - { name: broken, source: gh, topics: [broken.*], transform: '$number("not a number")', target: flaky }
  - { name: runaway, source: gh, topics: [runaway.*], transform: '($f := function($x) { $f($x + 1) }; $f(0))', target: flaky }
  - { name: batch, source: gh, topics: [batch.*], each: true, transform: 'items.{ "id": id }', target: flaky }
  - { name: moved, source: gh, topics: [redirect.*], transform: '{ "n": n }', target: moved }
  - { name: following, source: gh, topics: [redirect.*], transform: '{ "n": n }', target: following }
  - { name: huge, source: gh, topics: [huge.*], transform: '{ "n": n }', target: huge }
  - { name: rated, source: gh, topics: [rated.*], transform: '{ "n": n }', target: rated }
`;
}

let sink: Sink;
let server: Spawned;
let seq = 0;

/** Sends a signed webhook whose topic is `<event>.<action>`; returns the event id. */
async function send(event: string, action: string, payload: Record<string, unknown> = {}): Promise<string> {
  const body = Buffer.from(JSON.stringify({ action, ...payload }));
  const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, event, `d-${++seq}-${Date.now()}`) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

type DeliveryRow = { id: string; route: string; status: string; attempts: number; last_status: number | null; last_error: string | null };
const deliveriesOf = (eventId: string) => readDb<DeliveryRow>(server.dbPath, 'SELECT * FROM deliveries WHERE event_id = ? ORDER BY rowid', eventId);
const attemptsOf = (deliveryId: string) =>
  readDb<{ started_at: number; response_status: number | null; error: string | null; request: string; response_body: string | null }>(
    server.dbPath,
    'SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id',
    deliveryId,
  );

/** Waits until the event's delivery for `route` settles (anything but pending). */
async function settled(eventId: string, route: string, timeoutMs = 10_000): Promise<DeliveryRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = deliveriesOf(eventId).find((x) => x.route === route);
    if (d && d.status !== 'pending') return d;
    if (Date.now() > deadline) throw new Error(`delivery for ${route} still ${d?.status ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  sink = await startSink();
  server = await spawnServer(config(sink.url));
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

describe('delivering', () => {
  it('the sink receives exactly what `switchboard try` printed', async () => {
    const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body: COMMENT, headers: githubHeaders(COMMENT, SECRET, 'issue_comment', 'try-vs-real') });
    const { id } = (await res.json()) as { id: string };
    const [got] = await sink.waitFor((r) => r.some((x) => x.path === '/slack'));
    const received = sink.received.find((x) => x.path === '/slack')!;
    expect(got).toBeDefined();

    // The dry run, on the same config and payload
    const dir = tempDir();
    writeFile(dir, 'routes.yaml', config(sink.url));
    const payload = writeFile(dir, 'comment.json', COMMENT.toString());
    const dry = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'try', 'gh', payload, '-H', 'X-GitHub-Event: issue_comment'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    const lines = dry.stdout.split('\n');
    const start = lines.findIndex((l) => l.trim().startsWith('POST '));
    expect(lines[start]!.trim()).toBe(`POST ${sink.url}/slack`);
    const bodyStart = lines.indexOf('', start) + 1;
    const bodyEnd = lines.indexOf('', bodyStart);
    const printed = JSON.parse(lines.slice(bodyStart, bodyEnd).join('\n')) as unknown;

    expect(JSON.parse(received.body)).toEqual(printed);
    expect(printed).toEqual({ text: 'octocat on Spelling error in the README file: Hello' });
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers.authorization).toBe('Bearer target-token-not-real');
    expect(received.headers['user-agent']).toMatch(/^Switchboard\//);
    const [delivery] = deliveriesOf(id);
    expect(received.headers['idempotency-key']).toBe(delivery!.id);
    expect(received.headers['webhook-id']).toBe(delivery!.id);
    expect((await settled(id, 'to-slack')).status).toBe('succeeded');
    // the recorded attempt masks the credential it sent
    const [attempt] = attemptsOf(delivery!.id);
    expect(JSON.parse(attempt!.request).headers.Authorization).toBe('Bearer ***');
    expect(attempt!.response_status).toBe(200);
  });

  it('retries 5xx with a stable idempotency key, then succeeds', async () => {
    sink.script('/flaky', [
      { kind: 'status', status: 500, body: 'boom' },
      { kind: 'status', status: 503 },
    ]);
    const id = await send('flaky', 'one', { n: 1 });
    const d = await settled(id, 'flaky');
    expect(d).toMatchObject({ status: 'succeeded', attempts: 3, last_status: 200 });
    const calls = sink.received.filter((r) => r.path === '/flaky' && JSON.parse(r.body).n === 1);
    expect(calls.length).toBe(3);
    expect(new Set(calls.map((c) => c.headers['idempotency-key']))).toEqual(new Set([d.id]));
    const attempts = attemptsOf(d.id);
    expect(attempts.map((a) => a.response_status)).toEqual([500, 503, 200]);
    expect(attempts[0]!.response_body).toBe('boom');
    // never sooner than the policy's initial delay
    expect(attempts[1]!.started_at - attempts[0]!.started_at).toBeGreaterThanOrEqual(20);
  });

  it('honours Retry-After on a 429', async () => {
    sink.script('/flaky', [{ kind: 'status', status: 429, headers: { 'Retry-After': '1' } }]);
    const id = await send('flaky', 'two', { n: 2 });
    const d = await settled(id, 'flaky');
    expect(d.status).toBe('succeeded');
    const attempts = attemptsOf(d.id);
    expect(attempts.map((a) => a.response_status)).toEqual([429, 200]);
    expect(attempts[1]!.started_at - attempts[0]!.started_at).toBeGreaterThanOrEqual(1000);
  });

  it('a timeout and a reset connection are retried', async () => {
    sink.script('/flaky', [{ kind: 'hang', ms: 2000 }, { kind: 'reset' }]);
    const id = await send('flaky', 'three', { n: 3 });
    const d = await settled(id, 'flaky');
    expect(d).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(attemptsOf(d.id).map((a) => a.error)).toEqual(['timeout: no answer within 300 ms', 'connection reset by the target', null]);
  });

  it('a target that answers 200 then drips its body byte by byte: success, the body read only until the time limit', async () => {
    sink.script('/flaky', [{ kind: 'drip', bytes: 100, everyMs: 50 }]);
    const id = await send('flaky', 'drip', { n: 11 });
    const d = await settled(id, 'flaky');
    expect(d).toMatchObject({ status: 'succeeded', attempts: 1, last_status: 200 });
    const [attempt] = attemptsOf(d.id);
    // 100 bytes at 50 ms each would take 5 s; the 300 ms limit stops the reading long before
    expect(attempt!.response_body!.length).toBeGreaterThan(0);
    expect(attempt!.response_body!.length).toBeLessThan(100);
  });

  it('dead-letters after the last attempt, keeping the last status and error', async () => {
    sink.script('/limited', [], { kind: 'status', status: 502 });
    const id = await send('limited', 'x', { n: 4 });
    const d = await settled(id, 'limited');
    expect(d).toMatchObject({ status: 'dead', attempts: 2, last_status: 502, last_error: 'target answered 502; gave up after 2 attempts' });
    await waitForLog(server, (l) => l.delivery === d.id && l.status === 'dead');
  });

  it('a 4xx is permanent: dead at once, no retry', async () => {
    sink.script('/flaky', [{ kind: 'status', status: 422, body: 'invalid field' }]);
    const id = await send('flaky', 'four', { n: 5 });
    const d = await settled(id, 'flaky');
    expect(d).toMatchObject({ status: 'dead', attempts: 1, last_status: 422, last_error: 'target answered 422' });
  });

  it('a false filter records "filtered" and calls nothing', async () => {
    const body = Buffer.from(COMMENT.toString().replace('"author_association": "MEMBER"', '"author_association": "NONE"'));
    const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'issue_comment', 'outsider') });
    const { id } = (await res.json()) as { id: string };
    const d = await settled(id, 'to-slack');
    expect(d).toMatchObject({ status: 'filtered', attempts: 0, last_error: 'filter gave false' });
    expect(attemptsOf(d.id)).toEqual([]);
  });

  it('a transform that throws, or runs away, fails its delivery, never the server', async () => {
    const broken = await settled(await send('broken', 'x'), 'broken');
    expect(broken.status).toBe('dead');
    expect(broken.last_error).toMatch(/^transform failed: Unable to cast value to a number/);
    const runaway = await settled(await send('runaway', 'x'), 'runaway');
    expect(runaway.status).toBe('dead');
    expect(runaway.last_error).toMatch(/^transform failed: /);
    // and the server still works
    const id = await send('flaky', 'after-runaway', { n: 6 });
    expect((await settled(id, 'flaky')).status).toBe('succeeded');
  });

  it('each: one call per element, each with its own idempotency key', async () => {
    const id = await send('batch', 'x', { items: [{ id: 'a' }, { id: 'b' }] });
    const d = await settled(id, 'batch');
    expect(d.status).toBe('succeeded');
    const calls = sink.received.filter((r) => r.headers['idempotency-key']?.toString().startsWith(d.id));
    expect(calls.map((c) => [c.body, c.headers['idempotency-key']])).toEqual([
      ['{"id":"a"}', `${d.id}-0`],
      ['{"id":"b"}', `${d.id}-1`],
    ]);
  });

  it('refuses a templated URL whose host is not allowed, with the reason recorded', async () => {
    const before = sink.received.length;
    const id = await send('templated', 'x', { callback: 'http://169.254.169.254/latest/meta-data', n: 7 });
    const d = await settled(id, 'templated');
    expect(d).toMatchObject({ status: 'dead', last_error: 'egress to http://169.254.169.254 refused: link-local address; add it to egress.allow if intended' });
    expect(attemptsOf(d.id)[0]!.error).toBe(d.last_error);
    expect(sink.received.length).toBe(before);
  });

  it('redirects: not followed unless the target says so', async () => {
    sink.script('/moved', [{ kind: 'status', status: 302, headers: { Location: '/landed' } }]);
    sink.script('/moved-too', [{ kind: 'status', status: 307, headers: { Location: '/landed' } }]);
    const id = await send('redirect', 'x', { n: 9 });
    const moved = await settled(id, 'moved');
    expect(moved).toMatchObject({ status: 'dead', last_status: 302, last_error: 'target answered 302 (a redirect: set followRedirects: true to follow it)' });
    const following = await settled(id, 'following');
    expect(following).toMatchObject({ status: 'succeeded', last_status: 200 });
    expect(sink.received.filter((r) => r.path === '/landed').length).toBe(1);
  });

  it('reads at most 4 KiB of an answer, whatever its size, and memory stays bounded', async () => {
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    const before = rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 5);
    try {
      sink.script('/huge', [{ kind: 'huge', bytes: 50 * 1024 * 1024 }]);
      const id = await send('huge', 'x', { n: 10 });
      const d = await settled(id, 'huge');
      expect(d.status).toBe('succeeded');
      expect(attemptsOf(d.id)[0]!.response_body).toBe('x'.repeat(4096));
    } finally {
      clearInterval(sampler);
    }
    // buffering the 50 MB answer would add at least 50 MB
    expect(peak - before).toBeLessThan(25 * 1024 * 1024);
  });

  it('rateLimit spaces the calls out: 10 calls at 5/s take at least a second', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, n) => send('rated', 'x', { n })));
    const calls = await sink.waitFor((r) => r.filter((x) => x.path === '/rated').length >= 10);
    const times = calls.filter((x) => x.path === '/rated').map((x) => x.at);
    // a burst of 5, then one every 200 ms: the last can never come sooner than ~1 s after the first
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(900);
  });

  it('signs calls the Standard Webhooks way when the target has sign:', async () => {
    const id = await send('signed', 'x', { n: 8 });
    await settled(id, 'signed');
    const call = sink.received.find((r) => r.path === '/signed')!;
    const msgId = String(call.headers['webhook-id']);
    const ts = String(call.headers['webhook-timestamp']);
    const key = Buffer.from(SIGNING.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${msgId}.${ts}.${call.body}`).digest('base64');
    expect(call.headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('a hanging target does not hold up the others; concurrency per target is respected', async () => {
    sink.script('/hanging', [], { kind: 'hang', ms: 5000 });
    sink.script('/narrow', [], { kind: 'hang', ms: 100 });
    const hanging = await Promise.all([1, 2, 3].map((n) => send('hang', 'x', { n })));
    const narrow = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => send('narrow', 'x', { n })));
    for (const id of narrow) expect((await settled(id, 'narrow')).status).toBe('succeeded');
    // all six narrow deliveries went through while the hanging target still holds its one slot
    expect(sink.received.filter((r) => r.path === '/narrow').length).toBe(6);
    expect(sink.received.filter((r) => r.path === '/hanging').length).toBeLessThanOrEqual(3);
    expect(deliveriesOf(hanging[2]!)[0]!.status).toBe('pending');
  });
});

describe('narrow target concurrency', () => {
  it('never has more calls open than its concurrency', async () => {
    const local = await startSink();
    const srv = await spawnServer(config(local.url));
    try {
      local.script('/narrow', [], { kind: 'hang', ms: 80 });
      const body = (n: number) => Buffer.from(JSON.stringify({ action: 'x', n }));
      await Promise.all(Array.from({ length: 10 }, (_, n) => fetch(`${srv.url}/hooks/gh`, { method: 'POST', body: body(n), headers: githubHeaders(body(n), SECRET, 'narrow', `narrow-${n}`) })));
      await local.waitFor((r) => r.filter((x) => x.path === '/narrow').length >= 10);
      expect(local.maxConcurrent()).toBeLessThanOrEqual(2);
    } finally {
      srv.proc.kill('SIGTERM');
      await srv.exit;
      await local.close();
    }
  });
});

describe('crashes and restarts', () => {
  it('kill -9 mid-delivery, restart: every acknowledged event reaches the sink at least once', async () => {
    const local = await startSink();
    // The target is slow: deliveries are in flight (claimed) when the server dies.
    local.script('/narrow', [], { kind: 'hang', ms: 400 });
    const first = await spawnServer(config(local.url));
    const acked: string[] = [];
    for (let n = 0; n < 12; n++) {
      const body = Buffer.from(JSON.stringify({ action: 'x', n }));
      const res = await fetch(`${first.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'narrow', `crash-${n}`) });
      expect(res.status).toBe(200);
      acked.push(String(n));
    }
    await local.waitFor((r) => r.some((x) => x.path === '/narrow'));
    first.proc.kill('SIGKILL');
    await first.exit;

    local.script('/narrow', [], { kind: 'status', status: 200 });
    const second = await spawnServer(config(local.url), {}, first.dir);
    try {
      await local.waitFor((r) => {
        const seen = new Set(r.filter((x) => x.path === '/narrow').map((x) => String(JSON.parse(x.body).n)));
        return acked.every((n) => seen.has(n));
      }, 20_000);
      expect(readDb<{ n: number }>(second.dbPath, `SELECT count(*) AS n FROM deliveries WHERE route = 'narrow'`)[0]!.n).toBe(12);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exit;
      await local.close();
    }
  });

  it('a delivery whose route is gone from the config is cancelled, with the reason', async () => {
    const local = await startSink();
    local.script('/flaky', [], { kind: 'status', status: 503 });
    const cfg = config(local.url).replace('retry: { attempts: 3, initialDelay: 20ms, maxDelay: 50ms }', 'retry: { attempts: 3, initialDelay: 1s, maxDelay: 1s }');
    const first = await spawnServer(cfg);
    const body = Buffer.from(JSON.stringify({ action: 'x', n: 1 }));
    const res = await fetch(`${first.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'flaky', 'cancel-1') });
    const { id } = (await res.json()) as { id: string };
    await local.waitFor((r) => r.some((x) => x.path === '/flaky'));
    first.proc.kill('SIGTERM');
    await first.exit;
    const second = await spawnServer(cfg.replace(/ {2}- \{ name: flaky,.*\n/, ''), {}, first.dir);
    try {
      const deadline = Date.now() + 10_000;
      let row: { status: string; last_error: string | null } | undefined;
      do {
        row = readDb<{ status: string; last_error: string | null }>(second.dbPath, 'SELECT status, last_error FROM deliveries WHERE event_id = ?', id)[0];
        if (row?.status === 'cancelled') break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
      expect(row).toEqual({ status: 'cancelled', last_error: 'route "flaky" is no longer in the config' });
    } finally {
      second.proc.kill('SIGTERM');
      await second.exit;
      await local.close();
    }
  });
});
