// Every target kind end to end: `switchboard serve` as a child process, a
// signed GitHub webhook in, and a real consumer this test subscribes on the
// machine's RabbitMQ, NATS JetStream, Mosquitto and Redis, an SMTP server inside
// the test, and a command that writes what it got. Then a broker cut mid-run
// (a TCP proxy in front of RabbitMQ): attempts fail and are retried, nothing is
// lost, and the message arrives once the broker is back.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { tempDir } from '../helpers/config.js';
import { githubHeaders, readDb, spawnServer, type Spawned } from '../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const SECRET = 'kinds-e2e-secret-not-real';
const RUN = randomUUID().slice(0, 8);
const EXCHANGE = `sb-e2e-${RUN}`;
const CUT_QUEUE = `sb-e2e-cut-${RUN}`;
const STREAM = `SBE2E${RUN.toUpperCase()}`;
const SUBJECT = `sb.e2e.${RUN}`;
const MQTT_TOPIC = `sb/e2e/${RUN}`;
const REDIS_STREAM = `sb:e2e:${RUN}`;

/* eslint-disable @typescript-eslint/no-explicit-any */
let server: Spawned;
let proxy: TcpProxy;
let amqpConn: any;
let amqpChannel: any;
let nc: any;
let jsm: any;
let mqttClient: any;
let redisClient: any;
let smtp: any;
const mails: { from: string; to: string[]; data: string }[] = [];
const mqttMessages: { topic: string; payload: string }[] = [];
const amqpMessages: { queue: string; body: string; props: any }[] = [];
let dir: string;

beforeAll(async () => {
  dir = tempDir('switchboard-kinds-');
  const amqplib = await import('amqplib');
  amqpConn = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
  amqpChannel = await amqpConn.createChannel();
  await amqpChannel.assertExchange(EXCHANGE, 'topic', { durable: false, autoDelete: true });
  const q = await amqpChannel.assertQueue('', { exclusive: true });
  await amqpChannel.bindQueue(q.queue, EXCHANGE, 'issue.#');
  await amqpChannel.assertQueue(CUT_QUEUE, { durable: false, autoDelete: false });
  await amqpChannel.consume(q.queue, (m: any) => m && amqpMessages.push({ queue: 'bound', body: m.content.toString(), props: m.properties }), { noAck: true });
  await amqpChannel.consume(CUT_QUEUE, (m: any) => m && amqpMessages.push({ queue: CUT_QUEUE, body: m.content.toString(), props: m.properties }), { noAck: true });

  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  nc = await connect({ servers: '127.0.0.1:4222' });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: [`${SUBJECT}.>`] });

  const mqtt = await import('mqtt');
  mqttClient = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
  mqttClient.on('message', (topic: string, payload: Buffer) => mqttMessages.push({ topic, payload: payload.toString() }));
  await mqttClient.subscribeAsync(`${MQTT_TOPIC}/#`, { qos: 1 });

  const { createClient } = await import('redis');
  redisClient = createClient({ url: 'redis://127.0.0.1:6379' });
  redisClient.on('error', () => undefined);
  await redisClient.connect();

  const { SMTPServer } = await import('smtp-server');
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream: NodeJS.ReadableStream, session: any, cb: (err?: Error | null) => void) {
      let data = '';
      stream.on('data', (d: Buffer) => (data += d.toString()));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r: any) => r.address), data });
        cb();
      });
    },
  });
  await new Promise<void>((res) => smtp.listen(0, '127.0.0.1', res));
  const smtpPort = smtp.server.address().port;

  proxy = await startTcpProxy(5672);
  writeFileSync(
    join(dir, 'record.mjs'),
    "import { writeFileSync } from 'node:fs'; let input = ''; process.stdin.on('data', (d) => (input += d)); process.stdin.on('end', () => writeFileSync(process.argv[2], JSON.stringify({ argv: process.argv.slice(3), input })));\n",
  );

  server = await spawnServer(`version: 1
defaults:
  timeout: 2s
  retry: { attempts: 30, initialDelay: 100ms, maxDelay: 300ms }
sources:
  gh:
    verify: { scheme: github, secret: ${SECRET} }
targets:
  rabbit: { kind: amqp, url: "amqp://guest:guest@127.0.0.1:5672", exchange: ${EXCHANGE}, routingKey: "issue.{{ action }}", headers: { X-Repo: "{{ repository.full_name }}" } }
  rabbit-cut: { kind: amqp, url: "amqp://guest:guest@127.0.0.1:${proxy.port}", queue: ${CUT_QUEUE} }
  jet: { kind: nats, url: "nats://127.0.0.1:4222", subject: "${SUBJECT}.{{ action }}" }
  mosq: { kind: mqtt, url: "mqtt://127.0.0.1:1883", topic: "${MQTT_TOPIC}/{{ action }}" }
  stream: { kind: redis, url: "redis://127.0.0.1:6379", stream: "${REDIS_STREAM}", maxLen: 100 }
  mail: { kind: smtp, url: "smtp://127.0.0.1:${smtpPort}", from: "switchboard@example.test", to: "{{ sender.login }}@example.test", subject: "Issue {{ action }}: {{ issue.title }}" }
  cmd: { kind: exec, command: ["${process.execPath}", "${join(dir, 'record.mjs')}", "${join(dir, 'exec-out.json')}", "{{ issue.title }}", "--flag={{ action }}"] }
routes:
  - { name: to-rabbit, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: rabbit }
  - { name: to-jet, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: jet }
  - { name: to-mosq, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: mosq }
  - { name: to-stream, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: stream }
  - { name: to-mail, source: gh, topics: ["issues.*"], transform: '"Opened by " & sender.login', target: mail }
  - { name: to-cmd, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: cmd }
  - { name: to-cut, source: gh, topics: ["cut.*"], transform: '{ "n": n }', target: rabbit-cut }
`);
}, 60_000);

afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await proxy?.close();
  await amqpChannel?.deleteQueue(CUT_QUEUE).catch(() => undefined);
  await amqpConn?.close().catch(() => undefined);
  await jsm?.streams.delete(STREAM).catch(() => undefined);
  await nc?.close().catch(() => undefined);
  await mqttClient?.endAsync().catch(() => undefined);
  await redisClient?.del(REDIS_STREAM).catch(() => undefined);
  await redisClient?.quit().catch(() => undefined);
  await new Promise<void>((res) => (smtp ? smtp.close(() => res()) : res()));
});

const TITLE = 'Spelling; $(id) `rm -rf /` error';

describe('a webhook to every kind', () => {
  let deliveryIds: Record<string, string>;

  it('is accepted once, and each kind confirms', async () => {
    const body = JSON.stringify({ action: 'opened', issue: { title: TITLE }, repository: { full_name: 'octo/hello' }, sender: { login: 'ada' } });
    const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', headers: githubHeaders(body, SECRET, 'issues', `d-${RUN}`), body });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const rows = await until(() => {
      const r = readDb<{ id: string; route: string; status: string }>(server.dbPath, 'SELECT id, route, status FROM deliveries WHERE event_id = ?', id);
      return r.length === 6 && r.every((d) => d.status === 'succeeded') ? r : undefined;
    }, 'six succeeded deliveries');
    deliveryIds = Object.fromEntries(rows.map((r) => [r.route, r.id]));
  });

  it('amqp: on the exchange with the templated routing key, persistent, messageId = delivery id, headers', async () => {
    const m = await until(() => amqpMessages.find((x) => x.queue === 'bound'), 'the amqp message');
    expect(JSON.parse(m.body)).toEqual({ title: TITLE });
    expect(m.props.messageId).toBe(deliveryIds['to-rabbit']);
    expect(m.props.deliveryMode).toBe(2);
    expect(m.props.headers['X-Repo']).toBe('octo/hello');
  });

  it('nats: in the JetStream stream under the templated subject, Nats-Msg-Id = delivery id', async () => {
    const msg = await until(async () => {
      try {
        return await jsm.streams.getMessage(STREAM, { last_by_subj: `${SUBJECT}.opened` });
      } catch {
        return undefined;
      }
    }, 'the nats message');
    expect(JSON.parse(new TextDecoder().decode(msg.data))).toEqual({ title: TITLE });
    expect(msg.header.get('Nats-Msg-Id')).toBe(deliveryIds['to-jet']);
  });

  it('mqtt: on the templated topic', async () => {
    const m = await until(() => mqttMessages.find((x) => x.topic === `${MQTT_TOPIC}/opened`), 'the mqtt message');
    expect(JSON.parse(m.payload)).toEqual({ title: TITLE });
  });

  it('redis: one stream entry with body, topic, source, event and delivery', async () => {
    const entries = await until(async () => {
      const e = await redisClient.xRange(REDIS_STREAM, '-', '+');
      return e.length ? e : undefined;
    }, 'the stream entry');
    expect(entries).toHaveLength(1);
    expect(entries[0].message).toMatchObject({ topic: 'issues.opened', source: 'gh', delivery: deliveryIds['to-stream'] });
    expect(JSON.parse(entries[0].message.body)).toEqual({ title: TITLE });
  });

  it('smtp: one mail to the templated address, the text body, Message-ID from the delivery id', async () => {
    const mail = await until(() => mails[0], 'the mail');
    expect(mail.to).toEqual(['ada@example.test']);
    expect(mail.data).toContain('Opened by ada');
    expect(mail.data).toMatch(/^Subject: Issue opened: Spelling; \$\(id\) `rm -rf \/` error/m);
    expect(mail.data).toContain(deliveryIds['to-mail']);
  });

  it('exec: the hostile title arrives as one literal argument, the body on stdin', async () => {
    const out = join(dir, 'exec-out.json');
    await until(() => (existsSync(out) ? true : undefined), 'the command');
    const got = JSON.parse(readFileSync(out, 'utf8')) as { argv: string[]; input: string };
    expect(got.argv).toEqual([TITLE, '--flag=opened']);
    expect(JSON.parse(got.input)).toEqual({ title: TITLE });
  });
});

describe('a broker cut mid-run', () => {
  it('attempts fail and are retried while it is down; the message arrives once it is back, once', async () => {
    proxy.cut();
    const body = JSON.stringify({ action: 'x', n: 7 });
    const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', headers: githubHeaders(body, SECRET, 'cut', `cut-${RUN}`), body });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const failing = await until(() => {
      const r = readDb<{ id: string; attempts: number; status: string }>(server.dbPath, 'SELECT id, attempts, status FROM deliveries WHERE event_id = ?', id)[0];
      return r && r.attempts >= 2 && r.status === 'pending' ? r : undefined;
    }, 'failed attempts while the broker is down');
    const errors = readDb<{ error: string | null }>(server.dbPath, 'SELECT error FROM attempts WHERE delivery_id = ?', failing.id);
    expect(errors.every((e) => typeof e.error === 'string' && e.error.length > 0)).toBe(true);
    expect(JSON.stringify(errors)).not.toContain('guest:guest');
    proxy.restore();
    await until(
      () => (readDb<{ status: string }>(server.dbPath, 'SELECT status FROM deliveries WHERE id = ?', failing.id)[0]!.status === 'succeeded' ? true : undefined),
      'delivery after the broker is back',
    );
    await new Promise((r) => setTimeout(r, 300));
    const got = amqpMessages.filter((m) => m.queue === CUT_QUEUE);
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body)).toEqual({ n: 7 });
    // The server never went down with the broker.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 30_000);
});
