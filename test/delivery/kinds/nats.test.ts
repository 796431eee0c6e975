// kind: nats against the machine's real NATS JetStream (127.0.0.1:4222): a
// consumer this test creates receives exactly what was published (subject,
// body, headers, Nats-Msg-Id), JetStream's dedup answers a repeated delivery
// id with the first sequence, failures are classified (no stream → permanent,
// a full stream → retried, too large → permanent), timeouts are honoured, a
// connection cut through a TCP proxy fails publishes instead of hanging them,
// and a new connection after close works again.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nats, type NatsConnectionHandle, type NatsSettings } from '../../../src/delivery/kinds/nats.js';
import { PublishError, type Message } from '../../../src/delivery/kinds/types.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';

const PORT = 4222;
const START = [
  '--start',
  '--oknodo',
  '--background',
  '--exec',
  '/usr/sbin/nats-server',
  '--',
  '-a',
  '127.0.0.1',
  '-p',
  String(PORT),
  '-js',
  '-sd',
  '/var/lib/nats-server',
  '-l',
  '/var/log/nats-server.log',
];

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

async function ensureNats(): Promise<boolean> {
  if (await reachable(PORT)) return true;
  await new Promise<void>((resolve) => execFile('start-stop-daemon', START, () => resolve()));
  for (let i = 0; i < 50; i++) {
    if (await reachable(PORT)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

const up = await ensureNats();
if (!up) console.warn('SKIPPED: kind nats tests need NATS JetStream on 127.0.0.1:4222, which is down and could not be started (start-stop-daemon … nats-server -js)');

const run = randomBytes(4).toString('hex');
const STREAM = `sbtest_${run}`;
const BASE = `sbtest.${run}`;

function settings(over: Record<string, unknown> = {}): NatsSettings {
  const s = nats.compile({ url: `nats://127.0.0.1:${PORT}`, subject: `${BASE}.{{ topic }}`, ...over });
  if ('problems' in s) throw new Error(JSON.stringify(s.problems));
  return s;
}

let seq = 0;
function message(over: Partial<Message> = {}): Message {
  seq++;
  return {
    body: Buffer.from(JSON.stringify({ n: seq, text: 'héllo' })),
    contentType: 'application/json',
    values: { subject: `${BASE}.order.created` },
    headers: {},
    deliveryId: `dlv_${run}_${seq}`,
    topic: 'order.created',
    source: 'shop',
    eventId: `evt_${seq}`,
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<PublishError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PublishError);
    return err as PublishError;
  }
  throw new Error('expected a rejection');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('kind nats: compile', () => {
  it('takes url (user:pass, token, default port, tls) and subject', () => {
    const a = nats.compile({ url: 'nats://alice:s%40cret@broker.example:4333', subject: 'orders.{{ type }}' });
    expect(a).toEqual({ host: 'broker.example', port: 4333, tls: false, user: 'alice', pass: 's@cret', subject: 'orders.{{ type }}' });
    const b = nats.compile({ url: 'nats://tok123@10.0.0.5', subject: 'orders.created' });
    expect(b).toEqual({ host: '10.0.0.5', port: 4222, tls: false, token: 'tok123', subject: 'orders.created' });
    const c = nats.compile({ url: 'tls://[::1]:4443/', subject: 'a' }) as NatsSettings;
    expect(c).toMatchObject({ host: '::1', port: 4443, tls: true });
    expect(nats.endpoint!(c)).toEqual({ scheme: 'tls', host: '::1', port: 4443 });
    expect(nats.endpoint!(a as NatsSettings)).toEqual({ scheme: 'nats', host: 'broker.example', port: 4333 });
    expect(nats.describe(a as NatsSettings, message({ values: { subject: 'orders.paid' } }))).toEqual({ method: 'PUBLISH', url: 'nats://broker.example:4333 \u2192 subject orders.paid' });
    expect(nats.required).toEqual(['url', 'subject']);
    expect(nats.templated).toEqual(['subject']);
    expect(nats.credentialUrls).toEqual(['url']);
    for (const k of Object.values(nats.keys)) expect(k.description.length).toBeGreaterThan(20);
  });

  it.each([
    [{ subject: 'a' }, 'url', /required/],
    [{ url: 'http://127.0.0.1:4222', subject: 'a' }, 'url', /nats:\/\/ or tls:\/\//],
    [{ url: 'nats://{{ host }}:4222', subject: 'a' }, 'url', /static/],
    [{ url: 'nats://127.0.0.1:4222/orders', subject: 'a' }, 'url', /no path/],
    [{ url: 'nats://:pw@127.0.0.1', subject: 'a' }, 'url', /password but no user/],
    [{ url: 'not a url', subject: 'a' }, 'url', /not a URL/],
    [{ url: 'nats://127.0.0.1' }, 'subject', /required/],
    [{ url: 'nats://127.0.0.1', subject: 'orders created' }, 'subject', /spaces/],
    [{ url: 'nats://127.0.0.1', subject: 'orders.>' }, 'subject', /wildcards/],
    [{ url: 'nats://127.0.0.1', subject: 'orders.*.x' }, 'subject', /wildcards/],
    [{ url: 'nats://127.0.0.1', subject: 'orders..x' }, 'subject', /empty token/],
    [{ url: 'nats://127.0.0.1', subject: '$JS.API.STREAM.DELETE.X' }, 'subject', /server.s own/],
    [{ url: 'nats://127.0.0.1', subject: 'orders {{ type }}' }, 'subject', /spaces/],
    [{ url: 'nats://127.0.0.1', subject: 42 }, 'subject', /required/],
  ])('refuses %j (%s)', (raw, key, message) => {
    const r = nats.compile(raw);
    expect('problems' in r).toBe(true);
    const problems = (r as { problems: { key: string; message: string }[] }).problems;
    expect(problems.find((p) => p.key === key)?.message).toMatch(message);
  });

  it('accepts a templated subject whose literal text is fine (the rendered one is checked per delivery)', () => {
    expect(nats.compile({ url: 'nats://127.0.0.1', subject: '{{ topic }}' })).toMatchObject({ subject: '{{ topic }}' });
  });
});

describe.skipIf(!up)('kind nats: against NATS JetStream on 127.0.0.1:4222', () => {
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  let conn: NatsConnectionHandle;
  const s = settings();

  beforeAll(async () => {
    admin = await connect({ servers: `127.0.0.1:${PORT}` });
    jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: STREAM, subjects: [`${BASE}.>`], duplicate_window: 60_000_000_000 });
    await jsm.streams.add({ name: `${STREAM}_full`, subjects: [`sbfull.${run}.>`], max_msgs: 1, discard: 'new' as never });
    await jsm.streams.add({ name: `${STREAM}_small`, subjects: [`sbsmall.${run}.>`], max_msg_size: 16 });
    conn = await nats.connect!(s, 3000);
  });

  afterAll(async () => {
    if (conn) await nats.close!(conn);
    if (jsm) for (const name of [STREAM, `${STREAM}_full`, `${STREAM}_small`]) await jsm.streams.delete(name).catch(() => undefined);
    await admin?.close();
  });

  async function stored(seqNo: number) {
    const m = await jsm.streams.getMessage(STREAM, { seq: seqNo });
    if (!m) throw new Error(`no message at seq ${seqNo} in ${STREAM}`);
    return m;
  }

  it('publishes to the rendered subject, with headers and Nats-Msg-Id; a consumer receives exactly that', async () => {
    const msg = message({ headers: { 'X-Trace': 'abc 123', 'nats-MSG-id': 'forged' } });
    const before = (await jsm.streams.info(STREAM)).state.messages;
    const confirmation = await nats.publish(conn, msg, s, 3000);
    expect(confirmation.detail).toMatch(new RegExp(`^PubAck stream ${STREAM} seq \\d+$`));
    const seqNo = Number(/seq (\d+)/.exec(confirmation.detail)![1]);

    // A consumer of our own reads it back.
    const consumer = await jetstream(admin).consumers.get(STREAM, { opt_start_seq: seqNo });
    const got = await consumer.next({ expires: 3000 });
    expect(got).not.toBeNull();
    expect(got!.subject).toBe(`${BASE}.order.created`);
    expect(Buffer.from(got!.data).equals(msg.body)).toBe(true);
    expect(got!.headers?.get('X-Trace')).toBe('abc 123');
    expect(got!.headers?.values('Nats-Msg-Id')).toEqual([msg.deliveryId]);
    // The target's own (any case) cannot forge the id: one such header, the delivery id.
    expect(got!.headers?.keys().filter((k) => k.toLowerCase() === 'nats-msg-id')).toEqual(['Nats-Msg-Id']);
    expect(got!.headers?.get('Content-Type')).toBe('application/json');
    expect(got!.seq).toBe(seqNo);
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(before + 1);
  });

  it('a repeated delivery id is deduplicated by the stream: same sequence, marked duplicate, nothing stored twice', async () => {
    const msg = message();
    const first = await nats.publish(conn, msg, s, 3000);
    const count = (await jsm.streams.info(STREAM)).state.messages;
    const again = await nats.publish(conn, { ...msg, body: Buffer.from('changed') }, s, 3000);
    const seqNo = /seq (\d+)/.exec(first.detail)![1];
    expect(first.detail).not.toMatch(/duplicate/);
    expect(again.detail).toBe(`PubAck stream ${STREAM} seq ${seqNo} duplicate (already stored under this Nats-Msg-Id)`);
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(count);
    expect((await stored(Number(seqNo))).string()).toBe(msg.body.toString());
  });

  it('a static subject is used as written', async () => {
    const st = settings({ subject: `${BASE}.static` });
    const msg = message({ values: {} });
    const c = await nats.publish(conn, msg, st, 3000);
    const m = await stored(Number(/seq (\d+)/.exec(c.detail)![1]));
    expect(m.subject).toBe(`${BASE}.static`);
  });

  it('a subject no stream captures is permanent ("no responders"), and says so', async () => {
    const err = await rejection(nats.publish(conn, message({ values: { subject: `sbnostream.${run}.x` } }), s, 3000));
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/no responders.*no JetStream stream captures this subject/);
  });

  it('a rendered subject that cannot be published to is permanent, and nothing is sent', async () => {
    for (const bad of ['', 'a b', `${BASE}.>`, `${BASE}..x`, '$JS.API.STREAM.DELETE.' + STREAM]) {
      const err = await rejection(nats.publish(conn, message({ values: { subject: bad } }), s, 3000));
      expect(err.permanent).toBe(true);
    }
    expect((await jsm.streams.info(STREAM)).config.name).toBe(STREAM); // still there
  });

  it('a header value with a line break, or a name NATS cannot carry, is permanent', async () => {
    const err = await rejection(nats.publish(conn, message({ headers: { 'X-Bad': 'a\r\nNats-Expected-Stream: x' } }), s, 3000));
    expect(err.permanent).toBe(true);
    const name = await rejection(nats.publish(conn, message({ headers: { 'Bad:Name': 'v' } }), s, 3000));
    expect(name.permanent).toBe(true);
    expect(name.message).toMatch(/cannot be sent as NATS headers/);
  });

  it('a full stream (discard new) is retried; a message over the stream\u2019s size limit is permanent', async () => {
    const full = settings({ subject: `sbfull.${run}.x` });
    await nats.publish(conn, message({ values: {} }), full, 3000);
    const busy = await rejection(nats.publish(conn, message({ values: {} }), full, 3000));
    expect(busy.permanent).toBe(false);
    expect(busy.message).toMatch(/maximum messages exceeded.*503/);
    const small = settings({ subject: `sbsmall.${run}.x` });
    const big = await rejection(nats.publish(conn, message({ values: {}, body: Buffer.alloc(64, 'x') }), small, 3000));
    expect(big.permanent).toBe(true);
    expect(big.message).toMatch(/size/);
  });

  it('honours timeoutMs when nothing acks (a plain subscriber that never answers)', async () => {
    const slow = `sbslow.${run}.x`;
    const sub = admin.subscribe(slow);
    await admin.flush();
    try {
      const t0 = Date.now();
      const err = await rejection(nats.publish(conn, message({ values: { subject: slow } }), s, 400));
      const took = Date.now() - t0;
      expect(err.permanent).toBe(false);
      expect(err.message).toMatch(/no PubAck .*400 ms/);
      expect(took).toBeGreaterThanOrEqual(350);
      expect(took).toBeLessThan(1500);
    } finally {
      sub.unsubscribe();
    }
  });

  it('connect honours timeoutMs against a server that never speaks, and fails fast when refused', async () => {
    const sockets: Socket[] = [];
    const mute: Server = createServer((sock) => void sockets.push(sock));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      const err = await rejection(nats.connect!(settings({ url: `nats://127.0.0.1:${port}` }), 300));
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(err.permanent).toBe(false);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => mute.close(r));
    }
    const closed = await freePort();
    const refused = await rejection(nats.connect!(settings({ url: `nats://127.0.0.1:${closed}` }), 2000));
    expect(refused.permanent).toBe(false);
  });

  it('a connection cut mid-run fails publishes (not hangs, not crashes); after close + connect it works again', async () => {
    const proxy = await startTcpProxy(PORT);
    const ps = settings({ url: `nats://127.0.0.1:${proxy.port}` });
    let c = await nats.connect!(ps, 3000);
    try {
      const ok = await nats.publish(c, message(), ps, 3000);
      expect(ok.detail).toMatch(/^PubAck/);

      // Cut while a publish waits for its ack: it fails at once, well before its timeout.
      const slow = `sbslow.${run}.cut`;
      const sub = admin.subscribe(slow);
      await admin.flush();
      const t0 = Date.now();
      const pending = rejection(nats.publish(c, message({ values: { subject: slow } }), ps, 8000));
      await new Promise((r) => setTimeout(r, 100));
      proxy.cut();
      const lost = await pending;
      sub.unsubscribe();
      expect(Date.now() - t0).toBeLessThan(4000);
      expect(lost.permanent).toBe(false);
      expect(lost.message).toMatch(/connection was lost/);

      // While down: the next publish fails fast too, and reconnecting fails.
      const down = await rejection(nats.publish(c, message(), ps, 3000));
      expect(down.permanent).toBe(false);
      expect(down.message).toMatch(/closed|lost/);
      await nats.close!(c);
      await rejection(nats.connect!(ps, 1000));

      proxy.restore();
      c = await nats.connect!(ps, 3000);
      const msg = message();
      const back = await nats.publish(c, msg, ps, 3000);
      const m = await stored(Number(/seq (\d+)/.exec(back.detail)![1]));
      expect(m.header?.get('Nats-Msg-Id')).toBe(msg.deliveryId);
    } finally {
      await nats.close!(c);
      await proxy.close();
    }
  });

  it('close closes the connection; a publish after it fails (retryable); closing twice is fine', async () => {
    const c = await nats.connect!(s, 3000);
    await nats.close!(c);
    expect(c.nc.isClosed()).toBe(true);
    const err = await rejection(nats.publish(c, message(), s, 1000));
    expect(err.permanent).toBe(false);
    await nats.close!(c);
  });
});

// A server of the test's own with credentials and no JetStream: refused
// credentials are permanent (and the message holds no password); JetStream
// not enabled is permanent.
describe.skipIf(!up)('kind nats: a test-owned nats-server with user/password and no JetStream', () => {
  let proc: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    proc = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '--user', 'sb', '--pass', 'pw-Xq9'], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 100));
    if (!(await reachable(port))) throw new Error(`the test-owned nats-server on port ${port} did not start`);
  });

  afterAll(() => {
    if (proc?.pid && proc.exitCode === null) process.kill(proc.pid);
  });

  it('wrong credentials: permanent, password not in the message', async () => {
    const err = await rejection(nats.connect!(settings({ url: `nats://sb:wrong-Zz7@127.0.0.1:${port}` }), 3000));
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/refused the credentials/);
    expect(err.message).not.toContain('wrong-Zz7');
  });

  it('right credentials connect; a server without JetStream is permanent', async () => {
    const st = settings({ url: `nats://sb:pw-Xq9@127.0.0.1:${port}` });
    const c = await nats.connect!(st, 3000);
    try {
      const err = await rejection(nats.publish(c, message(), st, 3000));
      expect(err.permanent).toBe(true);
      expect(err.message).toMatch(/JetStream is not enabled/);
    } finally {
      await nats.close!(c);
    }
  });
});
