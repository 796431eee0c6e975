// kind: mqtt against the machine's real Mosquitto (127.0.0.1:1883): a
// subscriber of this test's own receives exactly what was published (topic,
// body, QoS 1, retain, MQTT 5 content type and user properties with the
// delivery id), a PUBACK confirms it, MQTT 3.1.1 works without headers,
// timeouts are honoured against a broker that never acks, a dropped connection
// fails a waiting publish at once, a connection cut through a TCP proxy fails
// publishes and a new connection after close works again. A Mosquitto of the
// test's own (password file, ACL, max_packet_size, no retain) shows which
// refusals are permanent.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqtt, type MqttConnection, type MqttSettings } from '../../../src/delivery/kinds/mqtt.js';
import { PublishError, type Message } from '../../../src/delivery/kinds/types.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';

const PORT = 1883;

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

async function ensureMosquitto(): Promise<boolean> {
  if (await reachable(PORT)) return true;
  await new Promise<void>((resolve) => execFile('mosquitto', ['-d', '-c', '/etc/mosquitto/mosquitto.conf'], () => resolve()));
  for (let i = 0; i < 50; i++) {
    if (await reachable(PORT)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

const up = await ensureMosquitto();
if (!up) console.warn('SKIPPED: kind mqtt tests need Mosquitto on 127.0.0.1:1883, which is down and could not be started (mosquitto -d -c /etc/mosquitto/mosquitto.conf)');

const run = randomBytes(4).toString('hex');
const BASE = `sbtest/${run}`;

function settings(over: Record<string, unknown> = {}): MqttSettings {
  const s = mqtt.compile({ url: `mqtt://127.0.0.1:${PORT}`, topic: `${BASE}/{{ topic }}`, ...over });
  if ('problems' in s) throw new Error(JSON.stringify(s.problems));
  return s;
}

let seq = 0;
function message(over: Partial<Message> = {}): Message {
  seq++;
  return {
    body: Buffer.from(JSON.stringify({ n: seq, text: 'héllo' })),
    contentType: 'application/json',
    values: { topic: `${BASE}/order.created` },
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

/** A TCP server of the test's own; `onData` decides what it answers (nothing: a broker that never speaks). */
async function fakeBroker(onData?: (sock: Socket, data: Buffer) => void): Promise<{ port: number; sockets: Socket[]; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => undefined);
    if (onData) sock.on('data', (d) => onData(sock, d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

// CONNACK for MQTT 5: no session present, reason 0, no properties.
const CONNACK_V5 = Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]);
/** A broker that accepts the connection and never acknowledges a publish. */
function silentBroker() {
  let connacked = new WeakSet<Socket>();
  return fakeBroker((sock, data) => {
    if (!connacked.has(sock) && data[0] === 0x10) {
      connacked = connacked.add(sock);
      sock.write(CONNACK_V5);
    }
  });
}

describe('kind mqtt: compile', () => {
  it('takes url (user:pass, default ports, mqtts), topic, qos 1, retain, version', () => {
    const a = mqtt.compile({ url: 'mqtt://alice:s%40cret@broker.example', topic: 'shop/{{ topic }}' });
    expect(a).toEqual({ host: 'broker.example', port: 1883, tls: false, username: 'alice', password: 's@cret', topic: 'shop/{{ topic }}', qos: 1, retain: false, protocolVersion: 5 });
    const b = mqtt.compile({ url: 'mqtts://[::1]/', topic: 'a/b', qos: 1, retain: true, version: '3.1.1' }) as MqttSettings;
    expect(b).toEqual({ host: '::1', port: 8883, tls: true, topic: 'a/b', qos: 1, retain: true, protocolVersion: 4 });
    expect(mqtt.compile({ url: 'mqtt://u@h:1999', topic: 'a', version: 5 })).toMatchObject({ username: 'u', port: 1999, protocolVersion: 5 });
    expect(mqtt.endpoint!(b)).toEqual({ scheme: 'mqtts', host: '::1', port: 8883 });
    expect(mqtt.describe(b, message({ values: {} }))).toEqual({ method: 'PUBLISH', url: 'mqtts://[::1]:8883 \u2192 topic a/b, qos 1, retain' });
    expect(mqtt.describe(a as MqttSettings, message({ values: { topic: 'shop/paid' } }))).toEqual({ method: 'PUBLISH', url: 'mqtt://broker.example:1883 \u2192 topic shop/paid, qos 1' });
    expect(mqtt.required).toEqual(['url', 'topic']);
    expect(mqtt.templated).toEqual(['topic']);
    expect(mqtt.credentialUrls).toEqual(['url']);
    for (const k of Object.values(mqtt.keys)) expect(k.description.length).toBeGreaterThan(20);
  });

  it.each([
    [{ topic: 'a' }, 'url', /required/],
    [{ url: 'http://127.0.0.1:1883', topic: 'a' }, 'url', /mqtt:\/\/ or mqtts:\/\//],
    [{ url: 'mqtt://{{ host }}', topic: 'a' }, 'url', /static/],
    [{ url: 'mqtt://127.0.0.1/shop', topic: 'a' }, 'url', /no path/],
    [{ url: 'mqtt://:pw@127.0.0.1', topic: 'a' }, 'url', /password but no user/],
    [{ url: 'mqtt://127.0.0.1' }, 'topic', /required/],
    [{ url: 'mqtt://127.0.0.1', topic: 'shop/+/x' }, 'topic', /wildcards/],
    [{ url: 'mqtt://127.0.0.1', topic: 'shop/#' }, 'topic', /wildcards/],
    [{ url: 'mqtt://127.0.0.1', topic: '$SYS/broker' }, 'topic', /\$SYS/],
    [{ url: 'mqtt://127.0.0.1', topic: 'shop/{{ x }}/#' }, 'topic', /wildcards/],
    [{ url: 'mqtt://127.0.0.1', topic: 'a', qos: 0 }, 'qos', /no acknowledgement/],
    [{ url: 'mqtt://127.0.0.1', topic: 'a', qos: 2 }, 'qos', /qos must be 1/],
    [{ url: 'mqtt://127.0.0.1', topic: 'a', retain: 'yes' }, 'retain', /true or false/],
    [{ url: 'mqtt://127.0.0.1', topic: 'a', version: 3 }, 'version', /5 or "3.1.1"/],
    [{ url: 'mqtt://127.0.0.1', topic: 'a', version: '3.1.1', headers: { 'X-A': 'b' } }, 'headers', /3.1.1 has no message properties/],
  ])('refuses %j (%s)', (raw, key, text) => {
    const r = mqtt.compile(raw);
    expect('problems' in r).toBe(true);
    const problems = (r as { problems: { key: string; message: string }[] }).problems;
    expect(problems.find((p) => p.key === key)?.message).toMatch(text);
  });
});

describe.skipIf(!up)('kind mqtt: against Mosquitto on 127.0.0.1:1883', () => {
  let sub: MqttClient;
  const received: IPublishPacket[] = [];
  let conn: MqttConnection;
  const s = settings();

  async function arrival(topic: string, count = 1, ms = 3000): Promise<IPublishPacket[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const got = received.filter((p) => p.topic === topic);
      if (got.length >= count || Date.now() > deadline) return got;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    sub = await connectAsync({ host: '127.0.0.1', port: PORT, protocolVersion: 5, reconnectPeriod: 0 });
    sub.on('packetreceive', (p) => {
      if (p.cmd === 'publish') received.push(p);
    });
    await sub.subscribeAsync(`${BASE}/#`, { qos: 1 });
    conn = await mqtt.connect!(s, 3000);
  });

  afterAll(async () => {
    if (conn) await mqtt.close!(conn);
    await sub?.endAsync();
  });

  it('MQTT 5: the subscriber receives topic, body, QoS 1, content type, the headers and the delivery id as user properties', async () => {
    const msg = message({ headers: { 'X-Trace': 'abc 123' } });
    const c = await mqtt.publish(conn, msg, s, 3000);
    expect(c.detail).toMatch(/^PUBACK \(packet id \d+\)$/);
    const [got, ...more] = await arrival(`${BASE}/order.created`);
    expect(more).toEqual([]);
    expect(got).toBeDefined();
    expect(Buffer.from(got!.payload).equals(msg.body)).toBe(true);
    expect(got!.qos).toBe(1);
    expect(got!.retain).toBe(false);
    expect(got!.properties?.contentType).toBe('application/json');
    expect(got!.properties?.userProperties).toEqual({ 'Idempotency-Key': msg.deliveryId, 'X-Trace': 'abc 123' });
  });

  it('a static topic is used as written; a PUBACK with no subscriber says so', async () => {
    const st = settings({ topic: `sbnosub/${run}/x` });
    const c = await mqtt.publish(conn, message({ values: {} }), st, 3000);
    expect(c.detail).toMatch(/^PUBACK \(packet id \d+, no matching subscribers\)$/);
    const st2 = settings({ topic: `${BASE}/static` });
    await mqtt.publish(conn, message({ values: {} }), st2, 3000);
    expect(await arrival(`${BASE}/static`)).toHaveLength(1);
  });

  it('MQTT 3.1.1: the body arrives (no properties); headers are refused as permanent', async () => {
    const s4 = settings({ version: '3.1.1', topic: `${BASE}/v4` });
    const c4 = await mqtt.connect!(s4, 3000);
    try {
      const msg = message({ values: {} });
      expect((await mqtt.publish(c4, msg, s4, 3000)).detail).toMatch(/^PUBACK/);
      const [got] = await arrival(`${BASE}/v4`);
      expect(Buffer.from(got!.payload).equals(msg.body)).toBe(true);
      expect(got!.properties?.userProperties).toBeUndefined();
      const err = await rejection(mqtt.publish(c4, message({ values: {}, headers: { 'X-A': 'b' } }), s4, 3000));
      expect(err.permanent).toBe(true);
    } finally {
      await mqtt.close!(c4);
    }
  });

  it('retain: true leaves the message retained for a later subscriber', async () => {
    const topic = `${BASE}/retained`;
    const sr = settings({ topic, retain: true });
    const msg = message({ values: {} });
    await mqtt.publish(conn, msg, sr, 3000);
    const late = await connectAsync({ host: '127.0.0.1', port: PORT, protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const got = new Promise<IPublishPacket>((resolve) => late.on('message', (_t, _p, packet) => resolve(packet)));
      await late.subscribeAsync(topic, { qos: 1 });
      const packet = await got;
      expect(packet.retain).toBe(true);
      expect(Buffer.from(packet.payload).equals(msg.body)).toBe(true);
    } finally {
      await late.publishAsync(topic, '', { qos: 1, retain: true }); // clears the retained message
      await late.endAsync();
    }
  });

  it('a rendered topic that cannot be published to is permanent, and nothing is sent', async () => {
    const before = received.length;
    for (const bad of ['', `${BASE}/+/x`, `${BASE}/#`, '$SYS/broker/x']) {
      const err = await rejection(mqtt.publish(conn, message({ values: { topic: bad } }), s, 3000));
      expect(err.permanent).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBe(before);
  });

  it('honours timeoutMs against a broker that never acks, and fails at once when the connection drops', async () => {
    const broker = await silentBroker();
    try {
      const sb = settings({ url: `mqtt://127.0.0.1:${broker.port}` });
      const c = await mqtt.connect!(sb, 2000);
      const t0 = Date.now();
      const err = await rejection(mqtt.publish(c, message(), sb, 400));
      const took = Date.now() - t0;
      expect(err.permanent).toBe(false);
      expect(err.message).toMatch(/no PUBACK within 400 ms/);
      expect(took).toBeGreaterThanOrEqual(350);
      expect(took).toBeLessThan(1500);

      const t1 = Date.now();
      const pending = rejection(mqtt.publish(c, message(), sb, 8000));
      await new Promise((r) => setTimeout(r, 100));
      for (const sock of broker.sockets) sock.destroy();
      const lost = await pending;
      expect(Date.now() - t1).toBeLessThan(2000);
      expect(lost.permanent).toBe(false);
      expect(lost.message).toMatch(/connection was lost before the PUBACK/);
      await mqtt.close!(c);
    } finally {
      await broker.close();
    }
  });

  it('connect honours timeoutMs against a server that never speaks, and fails fast when refused', async () => {
    const mute = await fakeBroker();
    try {
      const t0 = Date.now();
      const err = await rejection(mqtt.connect!(settings({ url: `mqtt://127.0.0.1:${mute.port}` }), 300));
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(err.permanent).toBe(false);
    } finally {
      await mute.close();
    }
    const closed = await freePort();
    const t1 = Date.now();
    const refused = await rejection(mqtt.connect!(settings({ url: `mqtt://127.0.0.1:${closed}` }), 3000));
    expect(Date.now() - t1).toBeLessThan(1500);
    expect(refused.permanent).toBe(false);
  });

  it('a connection cut mid-run fails publishes (not hangs, not crashes); after close + connect it works again', async () => {
    const proxy = await startTcpProxy(PORT);
    const ps = settings({ url: `mqtt://127.0.0.1:${proxy.port}`, topic: `${BASE}/proxied` });
    let c = await mqtt.connect!(ps, 3000);
    try {
      await mqtt.publish(c, message({ values: {} }), ps, 3000);
      expect(await arrival(`${BASE}/proxied`)).toHaveLength(1);

      proxy.cut();
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      const down = await rejection(mqtt.publish(c, message({ values: {} }), ps, 3000));
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(down.permanent).toBe(false);
      expect(down.message).toMatch(/closed|lost/);
      await mqtt.close!(c);
      await rejection(mqtt.connect!(ps, 1000));

      proxy.restore();
      c = await mqtt.connect!(ps, 3000);
      const msg = message({ values: {} });
      await mqtt.publish(c, msg, ps, 3000);
      const got = await arrival(`${BASE}/proxied`, 2);
      expect(got).toHaveLength(2);
      expect(got[1]!.properties?.userProperties).toEqual({ 'Idempotency-Key': msg.deliveryId });
    } finally {
      await mqtt.close!(c);
      await proxy.close();
    }
  });

  it('close disconnects; a publish after it fails (retryable); closing twice is fine', async () => {
    const c = await mqtt.connect!(s, 3000);
    await mqtt.close!(c);
    expect(c.client.connected).toBe(false);
    const err = await rejection(mqtt.publish(c, message(), s, 1000));
    expect(err.permanent).toBe(false);
    await mqtt.close!(c);
  });
});

// A Mosquitto of the test's own: a password file, an ACL allowing sbok/#, a
// maximum packet size and no retained messages.
describe.skipIf(!up)('kind mqtt: a test-owned Mosquitto with credentials, ACL and limits', () => {
  let proc: ChildProcess;
  let port: number;
  let dir: string;
  const url = (cred: string) => `mqtt://${cred}@127.0.0.1:${port}`;

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'sb-mosquitto-'));
    chmodSync(dir, 0o755); // run as root, mosquitto drops to its own user before reading the password file
    await promisify(execFile)('mosquitto_passwd', ['-c', '-b', join(dir, 'pw'), 'sb', 'pw-Xq9']);
    writeFileSync(join(dir, 'acl'), 'user sb\ntopic readwrite sbok/#\n');
    writeFileSync(
      join(dir, 'conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        `password_file ${join(dir, 'pw')}`,
        `acl_file ${join(dir, 'acl')}`,
        'max_packet_size 1000',
        'retain_available false',
        'persistence false',
        '',
      ].join('\n'),
    );
    proc = spawn('mosquitto', ['-c', join(dir, 'conf')], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 100));
    if (!(await reachable(port))) throw new Error(`the test-owned mosquitto on port ${port} did not start`);
  });

  afterAll(() => {
    if (proc?.pid && proc.exitCode === null) process.kill(proc.pid);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([5, '3.1.1'])('wrong credentials (version %s): permanent, password not in the message', async (version) => {
    const err = await rejection(mqtt.connect!(settings({ url: url('sb:wrong-Zz7'), topic: 'sbok/x', version }), 3000));
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/Connection refused/);
    expect(err.message).not.toContain('wrong-Zz7');
  });

  it('MQTT 5: a topic the ACL denies is permanent (PUBACK 0x87); MQTT 3.1.1 cannot tell (the broker acks and drops)', async () => {
    const s5 = settings({ url: url('sb:pw-Xq9'), topic: 'sbno/x' });
    const c5 = await mqtt.connect!(s5, 3000);
    try {
      expect((await mqtt.publish(c5, message({ values: {} }), settings({ url: url('sb:pw-Xq9'), topic: 'sbok/x' }), 3000)).detail).toMatch(/^PUBACK/);
      const err = await rejection(mqtt.publish(c5, message({ values: {} }), s5, 3000));
      expect(err.permanent).toBe(true);
      expect(err.message).toMatch(/Not authorized \(reason code 0x87\)/);
    } finally {
      await mqtt.close!(c5);
    }
    const s4 = settings({ url: url('sb:pw-Xq9'), topic: 'sbno/x', version: '3.1.1' });
    const c4 = await mqtt.connect!(s4, 3000);
    try {
      expect((await mqtt.publish(c4, message({ values: {} }), s4, 3000)).detail).toMatch(/^PUBACK/);
    } finally {
      await mqtt.close!(c4);
    }
  });

  it('MQTT 5: retain on a broker without retained messages, and a body over its maximum packet size, are permanent', async () => {
    const sr = settings({ url: url('sb:pw-Xq9'), topic: 'sbok/x', retain: true });
    const c = await mqtt.connect!(sr, 3000);
    try {
      const retain = await rejection(mqtt.publish(c, message({ values: {} }), sr, 3000));
      expect(retain.permanent).toBe(true);
      expect(retain.message).toMatch(/retained/);
      const plain = settings({ url: url('sb:pw-Xq9'), topic: 'sbok/x' });
      const big = await rejection(mqtt.publish(c, message({ values: {}, body: Buffer.alloc(2000, 'x') }), plain, 3000));
      expect(big.permanent).toBe(true);
      expect(big.message).toMatch(/maximum packet size \(1000\)/);
      expect((await mqtt.publish(c, message({ values: {} }), plain, 3000)).detail).toMatch(/^PUBACK/);
    } finally {
      await mqtt.close!(c);
    }
  });
});
