// Egress against the real server (SPEC guarantee 8): a payload that controls a
// templated URL, or a target that answers with a redirect, cannot make
// Switchboard call another port, another spelling of the same address, or a name
// that resolves to loopback. A second listener (`other`) plays the internal
// service an attacker is after: it must receive nothing, and every refused
// delivery is dead with the reason in its attempt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDb, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

let sink: Sink;
let other: Sink;
let server: Spawned;
let seq = 0;

function config(sinkUrl: string, otherPort: number) {
  return `version: 1
defaults:
  timeout: 2s
  retry: { attempts: 2, initialDelay: 20ms, maxDelay: 50ms }
egress:
  # Any public host on the other listener's port, so that what stops a call to it is the address itself.
  allow: ["http://*:${otherPort}"]
sources:
  in:
    verify: { scheme: none }
    topic: kind
targets:
  literal: { url: "${sinkUrl}/literal" }
  dyn: { url: "{{ callback }}" }
  hostport: { url: "http://{{ host }}:{{ port }}/x" }
  query: { url: "${sinkUrl}/q?u={{ q }}&v=1" }
  path: { url: "${sinkUrl}/p/{{ id }}/end" }
  follow302: { url: "${sinkUrl}/r302", followRedirects: true }
  follow307: { url: "${sinkUrl}/r307", followRedirects: true }
  followLocalhost: { url: "${sinkUrl}/r-localhost", followRedirects: true }
  followOk: { url: "${sinkUrl}/r-ok", followRedirects: true }
routes:
  - { name: literal, source: in, topics: [literal], target: literal }
  - { name: dyn, source: in, topics: [dyn], target: dyn }
  - { name: hostport, source: in, topics: [hostport], target: hostport }
  - { name: query, source: in, topics: [query], target: query }
  - { name: path, source: in, topics: [path], target: path }
  - { name: follow302, source: in, topics: [follow302], target: follow302 }
  - { name: follow307, source: in, topics: [follow307], target: follow307 }
  - { name: followLocalhost, source: in, topics: [followLocalhost], target: followLocalhost }
  - { name: followOk, source: in, topics: [followOk], target: followOk }
`;
}

type DeliveryRow = { id: string; route: string; status: string; attempts: number; last_error: string | null };

/** Posts an event of `kind` (its topic); returns its delivery once settled. */
async function deliver(kind: string, payload: Record<string, unknown> = {}): Promise<DeliveryRow> {
  const res = await fetch(`${server.url}/hooks/in`, {
    method: 'POST',
    body: JSON.stringify({ kind, n: ++seq, ...payload }),
    headers: { 'Content-Type': 'application/json' },
  });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const d = readDb<DeliveryRow>(server.dbPath, 'SELECT * FROM deliveries WHERE event_id = ?', id)[0];
    if (d && d.status !== 'pending') return d;
    if (Date.now() > deadline) throw new Error(`delivery for ${kind} still ${d?.status ?? 'missing'}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const attemptErrors = (deliveryId: string) => readDb<{ error: string | null }>(server.dbPath, 'SELECT error FROM attempts WHERE delivery_id = ? ORDER BY id', deliveryId).map((a) => a.error);

/** Dead at the first attempt, with `reason` as its error (a refusal is permanent: never retried). */
async function expectRefused(kind: string, payload: Record<string, unknown>, reason: string | RegExp) {
  const d = await deliver(kind, payload);
  expect(d.status, JSON.stringify(d)).toBe('dead');
  if (typeof reason === 'string') expect(d.last_error).toBe(reason);
  else expect(d.last_error).toMatch(reason);
  expect(attemptErrors(d.id)).toEqual([d.last_error]);
  return d;
}

let otherPort: number;
let sinkPort: number;

beforeAll(async () => {
  sink = await startSink();
  other = await startSink();
  otherPort = Number(new URL(other.url).port);
  sinkPort = Number(new URL(sink.url).port);
  server = await spawnServer(config(sink.url, otherPort));
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
  await other?.close();
});

describe('templated URLs', () => {
  it('a literal target URL on 127.0.0.1 is delivered to (the control)', async () => {
    expect((await deliver('literal')).status).toBe('succeeded');
    expect(sink.received.some((r) => r.path === '/literal')).toBe(true);
  });

  it.each([
    ['the plain address', '127.0.0.1'],
    ['hex', '0x7f000001'],
    ['one decimal number', '2130706433'],
    ['octal', '0177.0.0.1'],
    ['short form', '127.1'],
    ['a trailing dot', '127.0.0.1.'],
  ])("another port of the literal target's host, written as %s, is refused", async (_, host) => {
    await expectRefused('dyn', { callback: `http://${host}:${otherPort}/stolen` }, `egress to http://127.0.0.1:${otherPort} refused: loopback address; add it to egress.allow if intended`);
  });

  it('an IPv4-mapped IPv6 address is refused, even on the literal port', async () => {
    await expectRefused(
      'dyn',
      { callback: `http://[::ffff:127.0.0.1]:${otherPort}/stolen` },
      `egress to http://[::ffff:7f00:1]:${otherPort} refused: loopback address; add it to egress.allow if intended`,
    );
    await expectRefused('dyn', { callback: `http://[::ffff:127.0.0.1]:${sinkPort}/stolen` }, /refused: loopback address/);
  });

  it('userinfo cannot smuggle the host', async () => {
    await expectRefused('dyn', { callback: `http://127.0.0.1:${sinkPort}@127.0.0.1:${otherPort}/stolen` }, /^egress to http:\/\/127\.0\.0\.1:\d+ refused: the URL holds a user name or password/);
  });

  it('a payload-chosen host and port: only the literal origin gets through', async () => {
    await expectRefused('hostport', { host: '0x7f000001', port: otherPort }, `egress to http://127.0.0.1:${otherPort} refused: loopback address; add it to egress.allow if intended`);
    await expectRefused('hostport', { host: `127.0.0.1:${otherPort}@x`, port: 80 }, /template failed: \{\{ host \}\} gave .*, which is not a host name/);
    // The exact origin a target names stays reachable through a template too.
    expect((await deliver('hostport', { host: '127.0.0.1', port: sinkPort })).status).toBe('succeeded');
  });

  it('a name that resolves to loopback is refused when connecting (localhost)', async () => {
    // http://*:<other port> lets the URL through: it is the resolved address that is refused.
    await expectRefused(
      'dyn',
      { callback: `http://localhost:${otherPort}/stolen` },
      `egress to http://localhost:${otherPort} refused: localhost resolves to 127.0.0.1, a loopback address; add it to egress.allow if intended`,
    );
    // localhost on the sink's port is not the origin a target names (127.0.0.1 is), nor allowed.
    await expectRefused(
      'dyn',
      { callback: `http://localhost:${sinkPort}/stolen` },
      /^egress to http:\/\/localhost:\d+ refused: not the scheme, host and port of a configured target, nor in egress\.allow/,
    );
  });

  it('query and path values cannot add parameters, segments or a fragment', async () => {
    expect((await deliver('query', { q: '1&admin=true#frag' })).status).toBe('succeeded');
    expect((await deliver('path', { id: '../../literal?admin=1#x' })).status).toBe('succeeded');
    await expectRefused('path', { id: '..' }, 'target path: template failed: {{ id }} gave "..", which would make a "." or ".." path segment');
    const paths = sink.received.map((r) => r.path);
    expect(paths).toContain('/p/..%2F..%2Fliteral%3Fadmin%3D1%23x/end');
    expect(paths.filter((p) => p.startsWith('/q'))).toEqual(['/q']);
    // the sink records the path only: the query arrives as one value
    expect(sink.received.filter((r) => r.path === '/literal')).toHaveLength(1);
  });
});

describe('redirects (followRedirects: true)', () => {
  it('a 302 from an allowed target to another port of 127.0.0.1 is not followed', async () => {
    sink.script('/r302', [], { kind: 'status', status: 302, headers: { Location: `http://127.0.0.1:${otherPort}/stolen` } });
    await expectRefused('follow302', {}, `egress to http://127.0.0.1:${otherPort} refused (a 302 redirect from http://127.0.0.1:${sinkPort}): loopback address; add it to egress.allow if intended`);
  });

  it('a 307 to localhost is not followed: it resolves to loopback', async () => {
    sink.script('/r307', [], { kind: 'status', status: 307, headers: { Location: `http://localhost:${otherPort}/stolen` } });
    await expectRefused(
      'follow307',
      {},
      `egress to http://localhost:${otherPort} refused (a 307 redirect from http://127.0.0.1:${sinkPort}): localhost resolves to 127.0.0.1, a loopback address; add it to egress.allow if intended`,
    );
  });

  it("a redirect to localhost on the target's own port is another origin, refused", async () => {
    sink.script('/r-localhost', [], { kind: 'status', status: 302, headers: { Location: `http://localhost:${sinkPort}/literal` } });
    await expectRefused('followLocalhost', {}, /^egress to http:\/\/localhost:\d+ refused \(a 302 redirect from http:\/\/127\.0\.0\.1:\d+\): not the scheme, host and port/);
  });

  it('a redirect within the allowed origin is still followed, the 307 repeating the POST', async () => {
    sink.script('/r-ok', [{ kind: 'status', status: 307, headers: { Location: '/landed-ok' } }]);
    expect((await deliver('followOk', { marker: 'followed' })).status).toBe('succeeded');
    const landed = sink.received.find((r) => r.path === '/landed-ok');
    expect(landed).toMatchObject({ method: 'POST' });
    expect(landed!.body).toContain('followed');
  });
});

describe('the internal listener', () => {
  it('received nothing at all', () => {
    expect(other.received).toEqual([]);
  });
});
