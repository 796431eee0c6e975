// kind: amqp against the machine's RabbitMQ (127.0.0.1:5672, guest/guest): what
// compile accepts, that a consumer this test subscribes receives exactly what
// was published, which refusals are permanent, and that a broker that goes
// away (a TCP proxy cut, a link that stalls) fails publishes without hanging
// or crashing and is published to again after reconnecting.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amqp, type AmqpConnection, type AmqpSettings } from '../../../src/delivery/kinds/amqp.js';
import { PublishError, type Message } from '../../../src/delivery/kinds/types.js';
import { reachable, startSilentServer, startStallProxy, startTcpProxy } from '../../helpers/tcp-proxy.js';

const HOST = '127.0.0.1';
const PORT = 5672;
const URL_ = `amqp://guest:guest@${HOST}:${PORT}/`;
const RUN = randomUUID().slice(0, 8);

const unreachable = await reachable(HOST, PORT);
if (unreachable) console.warn(`SKIPPING the amqp kind's broker tests: no RabbitMQ at ${HOST}:${PORT} (${unreachable}). Start it with: rabbitmq-server -detached`);

function settings(raw: Record<string, unknown>): AmqpSettings {
  const s = amqp.compile(raw);
  if ('problems' in s) throw new Error(JSON.stringify(s.problems));
  return s;
}

function problems(raw: Record<string, unknown>): string[] {
  const s = amqp.compile(raw);
  return 'problems' in s ? s.problems.map((p) => `${p.key}: ${p.message}`) : [];
}

/** The broker's max_message_size: asked of rabbitmqctl on this machine; RabbitMQ's default (128 MiB) when it cannot say. */
async function brokerMaxMessageSize(): Promise<number> {
  try {
    const { stdout } = await promisify(execFile)('rabbitmqctl', ['eval', 'application:get_env(rabbit, max_message_size).'], { timeout: 20_000 });
    const m = /\{ok,(\d+)\}/.exec(stdout);
    if (m) return Number(m[1]);
  } catch {
    // not on this machine's PATH, or no access to the node: the default below
  }
  return 134_217_728;
}

function message(over: Partial<Message> = {}): Message {
  const deliveryId = over.deliveryId ?? `dlv_${randomUUID()}`;
  return {
    body: Buffer.from(JSON.stringify({ order: 42, deliveryId })),
    contentType: 'application/json',
    values: {},
    headers: { 'x-tenant': 'acme', 'x-odd': 'a "quoted" value; $(id)' },
    deliveryId,
    topic: 'order.created',
    source: 'shop',
    eventId: 'evt_1',
    ...over,
  };
}

describe('compile', () => {
  it('takes an exchange with a routing key, or a queue; persistent defaults to true', () => {
    expect(settings({ url: URL_, exchange: 'orders', routingKey: '{{ topic }}' })).toEqual({ url: URL_, exchange: 'orders', routingKey: '{{ topic }}', persistent: true });
    expect(settings({ url: URL_, queue: 'jobs', persistent: false })).toEqual({ url: URL_, queue: 'jobs', persistent: false });
    expect(settings({ url: 'amqps://u:p@mq.example.com/prod', exchange: 'amq.topic' })).toMatchObject({ exchange: 'amq.topic', persistent: true });
    expect(amqp.templated).toEqual(['routingKey']);
    expect(amqp.credentialUrls).toEqual(['url']);
    expect(amqp.required).toEqual(['url']);
    for (const [key, spec] of Object.entries(amqp.keys)) expect(spec.description.length, key).toBeGreaterThan(20);
  });

  it.each([
    [{ url: URL_ }, /^exchange: give exactly one of exchange .* or queue/],
    [{ url: URL_, exchange: 'a', queue: 'b' }, /^queue: .*not both/],
    [{ url: URL_, queue: 'jobs', routingKey: 'k' }, /^routingKey: routingKey has no meaning with queue/],
    [{ exchange: 'a' }, /^url: url is required/],
    [{ url: 'http://127.0.0.1:5672/', exchange: 'a' }, /^url: url must start with amqp:\/\//],
    [{ url: 'amqp://guest:{{ secret }}@127.0.0.1/', exchange: 'a' }, /^url: url cannot hold templates/],
    [{ url: 'not a url', exchange: 'a' }, /^url: url is not a valid URL/],
    [{ url: 'amqp://127.0.0.1/a/b', exchange: 'a' }, /^url: url path is the vhost/],
    [{ url: URL_, exchange: '' }, /^exchange: exchange must be a non-empty string/],
    [{ url: URL_, exchange: 'orders-{{ source }}' }, /^exchange: exchange cannot hold templates/],
    [{ url: URL_, queue: 42 }, /^queue: queue must be a non-empty string/],
    [{ url: URL_, queue: 'q'.repeat(256) }, /^queue: queue is longer than 255 bytes/],
    [{ url: URL_, exchange: 'a', routingKey: 7 }, /^routingKey: routingKey must be a string/],
    [{ url: URL_, exchange: 'a', persistent: 'yes' }, /^persistent: persistent must be true or false/],
  ])('refuses %j', (raw, expected) => {
    const found = problems(raw);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  it('never repeats the password of a URL it refuses', () => {
    const found = problems({ url: 'ftp://guest:hunter2-secret@127.0.0.1/', exchange: 'a' }).join('\n');
    expect(found).toMatch(/amqp:\/\//);
    expect(found).not.toContain('hunter2-secret');
  });
});

describe('endpoint and describe', () => {
  it('names host, port and vhost, without credentials', () => {
    const s = settings({ url: 'amqp://u:hunter2@mq.local/', exchange: 'orders', routingKey: '{{ topic }}' });
    expect(amqp.endpoint!(s)).toEqual({ scheme: 'amqp', host: 'mq.local', port: 5672 });
    expect(amqp.endpoint!(settings({ url: 'amqps://[::1]/x', queue: 'q' }))).toEqual({ scheme: 'amqps', host: '::1', port: 5671 });
    const d = amqp.describe(s, message({ values: { routingKey: 'order.created' } }));
    expect(d).toEqual({ method: 'PUBLISH', url: 'amqp://mq.local:5672/%2F → exchange orders, key "order.created"' });
    expect(amqp.describe(settings({ url: 'amqp://mq.local:5673/prod', queue: 'jobs' }), message())).toEqual({ method: 'PUBLISH', url: 'amqp://mq.local:5673/prod → queue jobs' });
  });
});

describe.skipIf(unreachable !== undefined)('against RabbitMQ', () => {
  let admin: ChannelModel;
  let ch: Channel;
  const queues: string[] = [];
  const exchanges: string[] = [];
  const open: AmqpConnection[] = [];

  const name = (what: string) => `switchboard-test-${what}-${RUN}-${randomUUID().slice(0, 6)}`;
  async function queue(): Promise<string> {
    const q = name('q');
    await ch.assertQueue(q, { durable: false });
    queues.push(q);
    return q;
  }
  async function connect(s: AmqpSettings, timeoutMs = 3000): Promise<AmqpConnection> {
    const c = await amqp.connect!(s, timeoutMs);
    open.push(c);
    return c;
  }
  /** Messages in `q`, waiting until `n` have arrived (or `ms` passed). */
  async function drain(q: string, n: number, ms = 3000): Promise<GetMessage[]> {
    const got: GetMessage[] = [];
    const until = Date.now() + ms;
    while (got.length < n && Date.now() < until) {
      const m = await ch.get(q, { noAck: true });
      if (m) got.push(m);
      else await new Promise((r) => setTimeout(r, 20));
    }
    return got;
  }

  beforeAll(async () => {
    admin = await amqplib.connect(URL_);
    admin.on('error', () => undefined);
    ch = await admin.createChannel();
  });

  afterAll(async () => {
    for (const c of open) await amqp.close!(c);
    for (const q of queues) await ch.deleteQueue(q);
    for (const x of exchanges) await ch.deleteExchange(x);
    await admin.close();
  });

  it('publishes to a queue through the default exchange: body, message id, headers, content type, persistent', async () => {
    const q = await queue();
    const s = settings({ url: URL_, queue: q });
    const c = await connect(s);
    const msg = message();
    const confirmation = await amqp.publish(c, msg, s, 3000);
    expect(confirmation).toEqual({ detail: 'publisher confirm' });
    const [got, extra] = await drain(q, 2, 500);
    expect(extra).toBeUndefined();
    expect(got!.content.equals(msg.body)).toBe(true);
    expect(got!.fields).toMatchObject({ exchange: '', routingKey: q });
    expect(got!.properties).toMatchObject({ messageId: msg.deliveryId, contentType: 'application/json', deliveryMode: 2, type: 'order.created', appId: 'switchboard' });
    expect(got!.properties.headers).toEqual(msg.headers);
  });

  it('publishes to an exchange with the rendered routing key; persistent: false is transient', async () => {
    const x = name('x');
    await ch.assertExchange(x, 'topic', { durable: false });
    exchanges.push(x);
    const q = await queue();
    await ch.bindQueue(q, x, 'order.*');
    const s = settings({ url: URL_, exchange: x, routingKey: '{{ topic }}', persistent: false });
    const c = await connect(s);
    const routed = message({ values: { routingKey: 'order.created' }, body: Buffer.from([0, 255, 1, 254]) });
    const unrouted = message({ values: { routingKey: 'invoice.paid' } });
    await amqp.publish(c, routed, s, 3000);
    // An exchange with no matching binding drops the message; the broker still confirms it (pub/sub, not an error).
    await amqp.publish(c, unrouted, s, 3000);
    const got = await drain(q, 2, 500);
    expect(got).toHaveLength(1);
    expect(got[0]!.fields).toMatchObject({ exchange: x, routingKey: 'order.created' });
    expect(got[0]!.content.equals(routed.body)).toBe(true);
    expect(got[0]!.properties.messageId).toBe(routed.deliveryId);
    expect(got[0]!.properties.deliveryMode).toBe(1);
  });

  it('confirms each of many concurrent publishes on one connection', async () => {
    const q = await queue();
    const s = settings({ url: URL_, queue: q });
    const c = await connect(s);
    const msgs = Array.from({ length: 50 }, () => message());
    const confirmations = await Promise.all(msgs.map((m) => amqp.publish(c, m, s, 5000)));
    expect(confirmations.every((x) => x.detail === 'publisher confirm')).toBe(true);
    const got = await drain(q, 50);
    expect(new Set(got.map((m) => m.properties.messageId as string))).toEqual(new Set(msgs.map((m) => m.deliveryId)));
  });

  it('a queue that does not exist fails permanently (nothing is declared), and the connection goes on working', async () => {
    const missing = name('missing');
    const s = settings({ url: URL_, queue: missing });
    const c = await connect(s);
    const err = await amqp.publish(c, message(), s, 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    expect((err as Error).message).toContain(`queue "${missing}" does not exist`);
    const probe = await admin.createChannel();
    probe.on('error', () => undefined);
    await expect(probe.checkQueue(missing)).rejects.toThrow(/404/); // and the 404 closed the probe's channel
    const q = await queue();
    const good = settings({ url: URL_, queue: q });
    await expect(amqp.publish(c, message(), good, 3000)).resolves.toEqual({ detail: 'publisher confirm' });
    expect(await drain(q, 1)).toHaveLength(1);
  });

  it('an exchange that does not exist fails permanently with the broker’s reason; the next publish opens a new channel', async () => {
    const missing = name('nox');
    const s = settings({ url: URL_, exchange: missing, routingKey: 'k' });
    const c = await connect(s);
    const err = await amqp.publish(c, message(), s, 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`NOT_FOUND - no exchange '${missing}'`));
    // The publisher keeps the connection after a permanent error: the same connection must publish again.
    const q = await queue();
    const good = settings({ url: URL_, queue: q });
    await expect(amqp.publish(c, message(), good, 3000)).resolves.toEqual({ detail: 'publisher confirm' });
    expect(await drain(q, 1)).toHaveLength(1);
  });

  it('a message over the broker’s size limit fails permanently; the others in flight on the channel it closed are retried, not dead-lettered', async () => {
    // The broker's own limit (max_message_size, 128 MiB unless its owner set less) is read, not changed: other tests share the broker.
    const limit = await brokerMaxMessageSize();
    const q = await queue();
    const s = settings({ url: URL_, queue: q });
    const c = await connect(s);
    const big = message({ body: Buffer.alloc(limit + 1, 0x61) });
    const others = Array.from({ length: 5 }, () => message());
    // Written after the big one on the same channel: the broker closes the channel (406) before it reads them.
    const [bigResult, ...otherResults] = await Promise.allSettled([big, ...others].map((m) => amqp.publish(c, m, s, 60_000)));
    expect(bigResult!.status).toBe('rejected');
    const bigErr = (bigResult as PromiseRejectedResult).reason as Error;
    expect(bigErr).toBeInstanceOf(PublishError);
    expect((bigErr as PublishError).permanent).toBe(true);
    expect(bigErr.message).toMatch(new RegExp(`PRECONDITION_FAILED - message size ${limit + 1} is larger than (configured )?max size ${limit}`));
    let failed = 0;
    for (const r of otherResults) {
      if (r.status === 'fulfilled') continue;
      failed++;
      const e = r.reason as Error;
      expect(e instanceof PublishError && e.permanent, e.message).toBe(false);
      expect(e.message).toContain('published again');
    }
    expect(failed).toBeGreaterThan(0); // else this test did not see the case it is about
    // Retried, they go through on a new channel of the same connection.
    const failedOthers = others.filter((_, i) => otherResults[i]!.status === 'rejected');
    await Promise.all(failedOthers.map((m) => amqp.publish(c, m, s, 5000)));
    const got = await drain(q, others.length);
    expect(new Set(got.map((m) => m.properties.messageId as string))).toEqual(new Set(others.map((m) => m.deliveryId)));
  }, 120_000);

  it('a routing key over 255 bytes fails permanently before anything is sent', async () => {
    const s = settings({ url: URL_, exchange: 'amq.topic', routingKey: '{{ topic }}' });
    const c = await connect(s);
    const err = await amqp.publish(c, message({ values: { routingKey: 'k'.repeat(300) } }), s, 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    await expect(amqp.publish(c, message({ values: { routingKey: 'fine' } }), s, 3000)).resolves.toEqual({ detail: 'publisher confirm' });
  });

  it('the broker cut mid-run: publishes reject (retryable, promptly), connect fails while down, and after it returns a new connection publishes', async () => {
    const proxy = await startTcpProxy(PORT);
    try {
      const q = await queue();
      const s = settings({ url: `amqp://guest:guest@127.0.0.1:${proxy.port}/`, queue: q });
      const c = await connect(s);
      const before = message();
      await amqp.publish(c, before, s, 3000);

      // In flight when the link goes: the confirm can never come.
      const inFlight = amqp.publish(c, message(), s, 3000).catch((e: unknown) => e);
      proxy.cut();
      const t0 = Date.now();
      const err1 = await inFlight;
      expect(err1).toBeInstanceOf(Error);
      expect(err1 instanceof PublishError && err1.permanent).toBe(false);
      expect(Date.now() - t0).toBeLessThan(2000);

      // After the link is gone: rejected at once.
      const err2 = await amqp.publish(c, message(), s, 3000).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(Error);
      expect((err2 as Error).message).toMatch(/connection lost/);
      expect(err2 instanceof PublishError && err2.permanent).toBe(false);
      await amqp.close!(c);

      await expect(amqp.connect!(s, 1000)).rejects.toThrow(/AMQP connect/);

      proxy.restore();
      const c2 = await connect(s);
      const after = message();
      await expect(amqp.publish(c2, after, s, 3000)).resolves.toEqual({ detail: 'publisher confirm' });
      const ids = (await drain(q, 3, 1000)).map((m) => m.properties.messageId as string);
      expect(ids).toContain(before.deliveryId);
      expect(ids).toContain(after.deliveryId);
    } finally {
      await proxy.close();
    }
  });

  it('a link that stalls: the publish rejects once timeoutMs passes, and close does not hang', async () => {
    const stall = await startStallProxy(PORT);
    try {
      const q = await queue();
      const s = settings({ url: `amqp://guest:guest@127.0.0.1:${stall.port}/`, queue: q });
      const c = await connect(s);
      await amqp.publish(c, message(), s, 3000);
      stall.stall();
      const t0 = Date.now();
      const err = await amqp.publish(c, message(), s, 400).catch((e: unknown) => e);
      const took = Date.now() - t0;
      expect((err as Error).message).toMatch(/not confirmed within 400 ms/);
      expect(err instanceof PublishError && err.permanent).toBe(false);
      expect(took).toBeGreaterThanOrEqual(380);
      expect(took).toBeLessThan(1500);
      const t1 = Date.now();
      await amqp.close!(c);
      expect(Date.now() - t1).toBeLessThan(3500);
    } finally {
      await stall.close();
    }
  });

  it('connect honours its timeout against a server that never answers', async () => {
    const silent = await startSilentServer();
    try {
      const s = settings({ url: `amqp://guest:guest@127.0.0.1:${silent.port}/`, queue: 'q' });
      const t0 = Date.now();
      await expect(amqp.connect!(s, 300)).rejects.toThrow(/AMQP connect/);
      expect(Date.now() - t0).toBeLessThan(1500);
    } finally {
      await silent.close();
    }
  });

  it('a refused login fails connect without repeating the password', async () => {
    const s = settings({ url: `amqp://guest:hunter2-wrong@${HOST}:${PORT}/`, queue: 'q' });
    const err = await amqp.connect!(s, 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/ACCESS.REFUSED/);
    expect((err as Error).message).not.toContain('hunter2-wrong');
  });

  it('a vhost the broker does not have fails connect, naming the vhost', async () => {
    const s = settings({ url: `amqp://guest:guest@${HOST}:${PORT}/no-such-vhost-${RUN}`, queue: 'q' });
    await expect(amqp.connect!(s, 3000)).rejects.toThrow(`the broker refused vhost "no-such-vhost-${RUN}"`);
  });

  it('after close, publish rejects and close again is harmless', async () => {
    const q = await queue();
    const s = settings({ url: URL_, queue: q });
    const c = await amqp.connect!(s, 3000);
    await amqp.close!(c);
    await amqp.close!(c);
    const err = await amqp.publish(c, message(), s, 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err instanceof PublishError && err.permanent).toBe(false);
    expect(await drain(q, 1, 300)).toHaveLength(0);
  });
});
