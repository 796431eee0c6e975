// kind: redis against the machine's Redis (127.0.0.1:6379): what compile
// accepts, that the entry a reader of the stream finds holds exactly the fields
// published (the body byte for byte), MAXLEN ~ trimming, which refusals are
// permanent, and that a Redis that goes away (a TCP proxy cut, a link that
// stalls) fails publishes without hanging or crashing and is written to again
// after reconnecting.
import { randomUUID } from 'node:crypto';
import { createClient, RESP_TYPES } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redis, type RedisConnection, type RedisSettings } from '../../../src/delivery/kinds/redis.js';
import { PublishError, type Message } from '../../../src/delivery/kinds/types.js';
import { reachable, startSilentServer, startStallProxy, startTcpProxy } from '../../helpers/tcp-proxy.js';

const HOST = '127.0.0.1';
const PORT = 6379;
const URL_ = `redis://${HOST}:${PORT}`;
const RUN = randomUUID().slice(0, 8);

const unreachable = await reachable(HOST, PORT);
if (unreachable)
  console.warn(
    `SKIPPING the redis kind's server tests: no Redis at ${HOST}:${PORT} (${unreachable}). Start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`,
  );

function settings(raw: Record<string, unknown>): RedisSettings {
  const s = redis.compile(raw);
  if ('problems' in s) throw new Error(JSON.stringify(s.problems));
  return s;
}

function problems(raw: Record<string, unknown>): string[] {
  const s = redis.compile(raw);
  return 'problems' in s ? s.problems.map((p) => `${p.key}: ${p.message}`) : [];
}

function message(over: Partial<Message> = {}): Message {
  const deliveryId = over.deliveryId ?? `dlv_${randomUUID()}`;
  return {
    body: Buffer.from(JSON.stringify({ order: 42, deliveryId })),
    contentType: 'application/json',
    values: {},
    headers: {},
    deliveryId,
    topic: 'order.created',
    source: 'shop',
    eventId: `evt_${randomUUID().slice(0, 8)}`,
    ...over,
  };
}

describe('compile', () => {
  it('takes a url, a stream (a template) and an optional maxLen', () => {
    expect(settings({ url: URL_, stream: 'events.{{ source }}' })).toEqual({ url: URL_, stream: 'events.{{ source }}' });
    expect(settings({ url: 'rediss://default:pw@cache.example.com:6380/3', stream: 's', maxLen: 1000 })).toEqual({ url: 'rediss://default:pw@cache.example.com:6380/3', stream: 's', maxLen: 1000 });
    expect(redis.templated).toEqual(['stream']);
    expect(redis.credentialUrls).toEqual(['url']);
    expect(redis.required).toEqual(['url', 'stream']);
    for (const [key, spec] of Object.entries(redis.keys)) expect(spec.description.length, key).toBeGreaterThan(20);
  });

  it.each([
    [{ stream: 's' }, /^url: url is required/],
    [{ url: URL_ }, /^stream: stream is required/],
    [{ url: URL_, stream: '' }, /^stream: stream is required/],
    [{ url: URL_, stream: 7 }, /^stream: stream is required/],
    [{ url: 'http://127.0.0.1:6379', stream: 's' }, /^url: url must start with redis:\/\//],
    [{ url: 'redis://:{{ pw }}@127.0.0.1', stream: 's' }, /^url: url cannot hold templates/],
    [{ url: 'nope', stream: 's' }, /^url: url is not a valid URL/],
    [{ url: 'redis://127.0.0.1:6379/zero', stream: 's' }, /^url: url path is the database number/],
    [{ url: URL_, stream: 's', maxLen: 0 }, /^maxLen: maxLen must be a whole number/],
    [{ url: URL_, stream: 's', maxLen: 2.5 }, /^maxLen: maxLen must be a whole number/],
    [{ url: URL_, stream: 's', maxLen: '100' }, /^maxLen: maxLen must be a whole number/],
  ])('refuses %j', (raw, expected) => {
    const found = problems(raw);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  it('never repeats the password of a URL it refuses', () => {
    const found = problems({ url: 'ftp://u:hunter2-secret@127.0.0.1/', stream: 's' }).join('\n');
    expect(found).toMatch(/redis:\/\//);
    expect(found).not.toContain('hunter2-secret');
  });
});

describe('endpoint and describe', () => {
  it('names host, port, database and stream, without credentials', () => {
    const s = settings({ url: 'redis://u:hunter2@cache.local/2', stream: 'events.{{ source }}', maxLen: 500 });
    expect(redis.endpoint!(s)).toEqual({ scheme: 'redis', host: 'cache.local', port: 6379 });
    expect(redis.describe(s, message({ values: { stream: 'events.shop' } }))).toEqual({ method: 'XADD', url: 'redis://cache.local:6379/2 → stream events.shop, MAXLEN ~ 500' });
    expect(redis.describe(settings({ url: 'rediss://cache.local:6380', stream: 's' }), message())).toEqual({ method: 'XADD', url: 'rediss://cache.local:6380/0 → stream s' });
  });
});

describe.skipIf(unreachable !== undefined)('against Redis', () => {
  // The reader: every reply as bytes, so the body is compared byte for byte.
  const raw = createClient({ url: URL_ });
  const reader = raw.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const keys: string[] = [];
  const open: RedisConnection[] = [];

  const streamName = () => {
    const k = `switchboard-test-${RUN}-${randomUUID().slice(0, 6)}`;
    keys.push(k);
    return k;
  };
  async function connect(s: RedisSettings, timeoutMs = 3000): Promise<RedisConnection> {
    const c = await redis.connect!(s, timeoutMs);
    open.push(c);
    return c;
  }
  async function entries(key: string, db = 0): Promise<{ id: string; fields: Record<string, Buffer> }[]> {
    const r = db === 0 ? reader : await dbReader(db);
    const got = (await r.xRange(key, '-', '+')) as unknown as { id: Buffer | string; message: Record<string, Buffer> }[];
    return got.map((e) => ({ id: String(e.id), fields: { ...e.message } }));
  }
  const dbClients: ReturnType<typeof createClient>[] = [];
  async function dbReader(db: number) {
    const c = createClient({ url: `${URL_}/${db}` });
    dbClients.push(c);
    await c.connect();
    return c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  }

  beforeAll(async () => {
    raw.on('error', () => undefined);
    await raw.connect();
  });

  afterAll(async () => {
    for (const c of open) await redis.close!(c);
    if (keys.length) await raw.del(keys);
    for (const c of dbClients) {
      if (keys.length) await c.del(keys);
      await c.close();
    }
    await raw.close();
  });

  it('appends one entry with body (byte for byte), topic, source, event and delivery; the confirmation is the entry id', async () => {
    const stream = streamName();
    const s = settings({ url: URL_, stream: 'ignored-{{ source }}' });
    const c = await connect(s);
    const msg = message({ values: { stream }, body: Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x0a, 0x7d]) });
    const confirmation = await redis.publish(c, msg, s, 3000);
    expect(confirmation.detail).toMatch(/^XADD \d+-\d+$/);
    const got = await entries(stream);
    expect(got).toHaveLength(1);
    expect(confirmation.detail).toBe(`XADD ${got[0]!.id}`);
    const f = got[0]!.fields;
    expect(Object.keys(f).sort()).toEqual(['body', 'delivery', 'event', 'source', 'topic']);
    expect(f.body!.equals(msg.body)).toBe(true);
    expect(f.topic!.toString()).toBe('order.created');
    expect(f.source!.toString()).toBe('shop');
    expect(f.event!.toString()).toBe(msg.eventId);
    expect(f.delivery!.toString()).toBe(msg.deliveryId);
    expect(await raw.exists(`ignored-shop`)).toBe(0);
  });

  it('writes to the database the URL names', async () => {
    const stream = streamName();
    const s = settings({ url: `${URL_}/3`, stream });
    const c = await connect(s);
    const msg = message({ values: { stream } });
    await redis.publish(c, msg, s, 3000);
    expect(await raw.exists(stream)).toBe(0);
    const got = await entries(stream, 3);
    expect(got.map((e) => e.fields.delivery!.toString())).toEqual([msg.deliveryId]);
  });

  it('maxLen trims with MAXLEN ~: the stream stays near the cap instead of growing', async () => {
    const capped = streamName();
    const uncapped = streamName();
    const sc = settings({ url: URL_, stream: capped, maxLen: 10 });
    const su = settings({ url: URL_, stream: uncapped });
    const c = await connect(sc);
    for (let i = 0; i < 300; i++) {
      await redis.publish(c, message({ values: { stream: capped } }), sc, 3000);
      await redis.publish(c, message({ values: { stream: uncapped } }), su, 3000);
    }
    expect(await raw.xLen(uncapped)).toBe(300);
    const len = await raw.xLen(capped);
    expect(len).toBeGreaterThanOrEqual(10);
    expect(len).toBeLessThan(300);
    expect(len).toBeLessThanOrEqual(10 + 100); // one stream node (stream-node-max-entries, 100 by default) of slack at most
  });

  it('many concurrent publishes on one connection each get their own entry id', async () => {
    const stream = streamName();
    const s = settings({ url: URL_, stream });
    const c = await connect(s);
    const msgs = Array.from({ length: 50 }, () => message({ values: { stream } }));
    const confirmations = await Promise.all(msgs.map((m) => redis.publish(c, m, s, 5000)));
    expect(new Set(confirmations.map((x) => x.detail)).size).toBe(50);
    const got = await entries(stream);
    expect(new Set(got.map((e) => e.fields.delivery!.toString()))).toEqual(new Set(msgs.map((m) => m.deliveryId)));
  });

  it('a key that holds something else fails permanently (WRONGTYPE), and the connection goes on working', async () => {
    const taken = streamName();
    await raw.set(taken, 'a string');
    const s = settings({ url: URL_, stream: taken });
    const c = await connect(s);
    const err = await redis.publish(c, message({ values: { stream: taken } }), s, 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    expect((err as Error).message).toMatch(/WRONGTYPE/);
    expect(await raw.get(taken)).toBe('a string');
    const stream = streamName();
    await expect(redis.publish(c, message({ values: { stream } }), s, 3000)).resolves.toMatchObject({ detail: expect.stringMatching(/^XADD /) as string });
  });

  it('a stream name that renders empty fails permanently', async () => {
    const s = settings({ url: URL_, stream: '{{ nothing }}' });
    const c = await connect(s);
    const err = await redis.publish(c, message({ values: { stream: '' } }), s, 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
  });

  it('Redis cut mid-run: publishes reject (retryable, promptly), connect fails while down, and after it returns a new connection publishes', async () => {
    const proxy = await startTcpProxy(PORT);
    try {
      const stream = streamName();
      const s = settings({ url: `redis://127.0.0.1:${proxy.port}`, stream });
      const c = await connect(s);
      const before = message({ values: { stream } });
      await redis.publish(c, before, s, 3000);

      const inFlight = redis.publish(c, message({ values: { stream } }), s, 3000).catch((e: unknown) => e);
      proxy.cut();
      const t0 = Date.now();
      const err1 = await inFlight;
      expect(err1).toBeInstanceOf(Error);
      expect(err1 instanceof PublishError && err1.permanent).toBe(false);
      expect(Date.now() - t0).toBeLessThan(2000);

      const t1 = Date.now();
      const err2 = await redis.publish(c, message({ values: { stream } }), s, 3000).catch((e: unknown) => e);
      expect((err2 as Error).message).toMatch(/connection lost/);
      expect(err2 instanceof PublishError && err2.permanent).toBe(false);
      expect(Date.now() - t1).toBeLessThan(500);
      await redis.close!(c);

      await expect(redis.connect!(s, 1000)).rejects.toThrow(/Redis connect/);

      proxy.restore();
      const c2 = await connect(s);
      const after = message({ values: { stream } });
      await expect(redis.publish(c2, after, s, 3000)).resolves.toMatchObject({ detail: expect.stringMatching(/^XADD /) as string });
      const ids = (await entries(stream)).map((e) => e.fields.delivery!.toString());
      expect(ids).toContain(before.deliveryId);
      expect(ids).toContain(after.deliveryId);
    } finally {
      await proxy.close();
    }
  });

  it('a link that stalls: the publish rejects once timeoutMs passes, and close does not hang', async () => {
    const stall = await startStallProxy(PORT);
    try {
      const stream = streamName();
      const s = settings({ url: `redis://127.0.0.1:${stall.port}`, stream });
      const c = await connect(s);
      await redis.publish(c, message({ values: { stream } }), s, 3000);
      stall.stall();
      const t0 = Date.now();
      const err = await redis.publish(c, message({ values: { stream } }), s, 400).catch((e: unknown) => e);
      const took = Date.now() - t0;
      expect((err as Error).message).toMatch(/no XADD reply within 400 ms/);
      expect(err instanceof PublishError && err.permanent).toBe(false);
      expect(took).toBeGreaterThanOrEqual(380);
      expect(took).toBeLessThan(1500);
      const t1 = Date.now();
      await redis.close!(c);
      expect(Date.now() - t1).toBeLessThan(3500);
    } finally {
      await stall.close();
    }
  });

  it('connect honours its timeout against a server that never answers', async () => {
    const silent = await startSilentServer();
    try {
      const s = settings({ url: `redis://127.0.0.1:${silent.port}`, stream: 's' });
      const t0 = Date.now();
      await expect(redis.connect!(s, 300)).rejects.toThrow(/Redis connect/);
      expect(Date.now() - t0).toBeLessThan(1500);
    } finally {
      await silent.close();
    }
  });

  it('a refused login fails connect without repeating the password', async () => {
    const s = settings({ url: `redis://nobody:hunter2-wrong@${HOST}:${PORT}`, stream: 's' });
    const err = await redis.connect!(s, 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/WRONGPASS/);
    expect((err as Error).message).not.toContain('hunter2-wrong');
  });

  it('after close, publish rejects and close again is harmless', async () => {
    const stream = streamName();
    const s = settings({ url: URL_, stream });
    const c = await redis.connect!(s, 3000);
    await redis.close!(c);
    await redis.close!(c);
    const err = await redis.publish(c, message({ values: { stream } }), s, 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err instanceof PublishError && err.permanent).toBe(false);
    expect(await raw.exists(stream)).toBe(0);
  });
});
