// Review finding #3 of issue 17: a hostile templated value must not kill a broker connection that
// other deliveries share. Against the real brokers, through the Publisher's pool: a hostile message
// and good ones go out on one connection at once; the good ones are confirmed, the hostile one fails
// permanently with a reason naming the field and its bound.
import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { connectAsync } from 'mqtt';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/types.js';
import { Publisher } from '../../../src/delivery/kinds/publisher.js';
import type { Message } from '../../../src/delivery/kinds/types.js';
import { load } from '../../helpers/config.js';

const run = randomBytes(4).toString('hex');
const publisher = new Publisher();
afterAll(() => publisher.close());

function target(yaml: string): Target {
  const { config, errors } = load(`version: 1\nsources: { s: { verify: { scheme: none } } }\ntargets:\n  t: ${yaml}\nroutes: []\n`);
  if (!config) throw new Error(errors.join('\n'));
  return config.targets.get('t')!;
}

let n = 0;
function message(values: Record<string, string>, headers: Record<string, string> = {}): Message {
  n++;
  return { body: Buffer.from(`{"n":${n}}`), contentType: 'application/json', values, headers, deliveryId: `dlv_${run}_${n}`, topic: 'order.created', source: 's', eventId: `evt_${n}` };
}

/** The hostile message and two good ones at once on the same connection, then one good one after. */
async function mixed(t: Target, bad: Message, good: () => Message) {
  const results = await Promise.all([publisher.publish(t, good()), publisher.publish(t, bad), publisher.publish(t, good())]);
  const after = await publisher.publish(t, good());
  return { bad: results[1]!, good: [results[0]!, results[2]!, after] };
}

describe('nats: a hostile subject', () => {
  const subject = `sbhostile.${run}`;
  it('too long, or with spaces or control characters: permanent for that delivery, the others confirmed', async () => {
    const nc = await natsConnect({ servers: '127.0.0.1:4222' });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: `sbhostile_${run}`, subjects: [`${subject}.>`] });
    try {
      const t = target(`{ kind: nats, url: "nats://127.0.0.1:4222", subject: "${subject}.{{ topic }}", timeout: 3s }`);
      const good = () => message({ subject: `${subject}.ok` });
      for (const [hostile, why] of [
        [`${subject}.${'x'.repeat(5000)}`, /subject .*longer than \d+ bytes/],
        [`${subject}.a b`, /spaces or control characters/],
        [`${subject}.a\u0001b`, /spaces or control characters/],
      ] as const) {
        const r = await mixed(t, message({ subject: hostile }), good);
        expect(r.bad, hostile.slice(0, 40)).toMatchObject({ permanent: true });
        expect(r.bad.error).toMatch(why);
        for (const g of r.good) expect(g, hostile.slice(0, 40)).toMatchObject({ confirmed: true });
      }
      // A stream's own KV/object/API subjects, rendered from a template: refused per delivery.
      for (const hostile of ['$KV.bucket.key', '$O.store.x', '$JS.API.STREAM.DELETE.x', '$SYS.REQ.SERVER.PING']) {
        const r = await publisher.publish(t, message({ subject: hostile }));
        expect(r, hostile).toMatchObject({ permanent: true });
        expect(r.error).toMatch(/server.s own/);
      }
    } finally {
      await jsm.streams.delete(`sbhostile_${run}`);
      await nc.close();
    }
  });
});

describe('mqtt: a hostile topic or header', () => {
  const base = `sbhostile/${run}`;
  it('control characters, NUL, wildcards, $ topics, oversized: permanent for that delivery, the others confirmed', async () => {
    const sub = await connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
    const got: string[] = [];
    sub.on('message', (topic) => got.push(topic));
    await sub.subscribeAsync(`${base}/#`, { qos: 1 });
    try {
      const t = target(`{ kind: mqtt, url: "mqtt://127.0.0.1:1883", topic: "${base}/{{ topic }}", timeout: 3s }`);
      const good = () => message({ topic: `${base}/ok` });
      for (const [hostile, why] of [
        [`${base}/a\u0001b`, /control character/],
        [`${base}/a\u0085b`, /control character/],
        [`${base}/a\u0000b`, /NUL/],
        [`${base}/+`, /wildcards/],
        [`${base}/#`, /wildcards/],
        [`$CONTROL/x`, /\$ .*broker/],
        [`$SYS/x`, /\$ .*broker/],
        [`${base}/${'x'.repeat(70_000)}`, /longer than 65535 bytes/],
      ] as const) {
        const r = await mixed(t, message({ topic: hostile }), good);
        expect(r.bad, JSON.stringify(hostile.slice(0, 40))).toMatchObject({ permanent: true });
        expect(r.bad.error).toMatch(why);
        for (const g of r.good) expect(g, JSON.stringify(hostile.slice(0, 40))).toMatchObject({ confirmed: true });
      }
      // A header value (a user property) with a control character or over 65535 bytes.
      const th = target(`{ kind: mqtt, url: "mqtt://127.0.0.1:1883", topic: "${base}/h", headers: { x-a: "{{ a }}" }, timeout: 3s }`);
      for (const [value, why] of [
        ['a\u0001b', /header "x-a".*control character/],
        ['v'.repeat(70_000), /header "x-a".*longer than 65535 bytes/],
      ] as const) {
        const r = await mixed(th, message({}, { 'x-a': value }), () => message({}, { 'x-a': 'fine' }));
        expect(r.bad).toMatchObject({ permanent: true });
        expect(r.bad.error).toMatch(why);
        for (const g of r.good) expect(g).toMatchObject({ confirmed: true });
      }
    } finally {
      await sub.endAsync();
    }
  });
});

describe('amqp: a hostile routing key or header value', () => {
  it('a routing key over 255 bytes, a header value over the frame size: permanent for that delivery, the others confirmed', async () => {
    const admin = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672/');
    const ch = await admin.createChannel();
    const exchange = `sbhostile.${run}`;
    await ch.assertExchange(exchange, 'topic', { autoDelete: false, durable: false });
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, exchange, '#');
    try {
      const t = target(`{ kind: amqp, url: "amqp://guest:guest@127.0.0.1:5672/", exchange: "${exchange}", routingKey: "{{ topic }}", headers: { x-a: "{{ a }}" }, timeout: 3s }`);
      const good = () => message({ routingKey: 'ok' }, { 'x-a': 'fine' });
      for (const [bad, why] of [
        [message({ routingKey: 'k'.repeat(300) }, { 'x-a': 'fine' }), /routing key is 300 bytes.*at most 255/],
        [message({ routingKey: 'ok' }, { 'x-a': 'v'.repeat(200 * 1024) }), /headers? .*bytes.*frame/],
      ] as const) {
        const r = await mixed(t, bad, good);
        expect(r.bad).toMatchObject({ permanent: true });
        expect(r.bad.error).toMatch(why);
        for (const g of r.good) expect(g).toMatchObject({ confirmed: true });
      }
    } finally {
      await ch.deleteExchange(exchange);
      await admin.close();
    }
  });
});
