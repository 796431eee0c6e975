// OpenTelemetry traces end to end (SPEC §8): `switchboard serve` as a child
// process with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver
// inside this test. A webhook arriving with a W3C traceparent gets a receipt
// span in that trace; each delivery attempt gets a span linked to it, whose
// traceparent reaches the HTTP sink and the broker messages (NATS, RabbitMQ,
// MQTT 5, Redis). Without the variable, no OpenTelemetry module is loaded.
import { randomUUID } from 'node:crypto';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { tempDir } from '../helpers/config.js';
import { githubHeaders, readDb, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const SECRET = 'traces-e2e-secret-not-real';
const RUN = randomUUID().slice(0, 8);
const STREAM = `SBTRACE${RUN.toUpperCase()}`;
const SUBJECT = `sb.trace.${RUN}`;
const EXCHANGE = `sb-trace-${RUN}`;
const MQTT_TOPIC = `sb/trace/${RUN}`;
const REDIS_STREAM = `sb:trace:${RUN}`;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const OWN_TRACEPARENT = '00-11111111111111111111111111111111-2222222222222222-01';

/* eslint-disable @typescript-eslint/no-explicit-any */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
}

interface Receiver {
  url: string;
  bodies: string[];
  spans(): OtlpSpan[];
  resources(): Record<string, unknown>[];
  close(): Promise<void>;
}

/** An OTLP/HTTP collector: takes POST /v1/traces (JSON, maybe gzipped) and keeps what it got. */
async function startReceiver(): Promise<Receiver> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      bodies.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const parsed = () => bodies.map((b) => JSON.parse(b) as { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[] });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    spans: () => parsed().flatMap((p) => p.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
    resources: () => parsed().flatMap((p) => p.resourceSpans.map((r) => attrs({ attributes: r.resource.attributes } as OtlpSpan))),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function attrs(span: Pick<OtlpSpan, 'attributes'>): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
}

function parseTraceparent(value: unknown): { traceId: string; spanId: string } {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(value));
  if (!m) throw new Error(`not a traceparent: ${String(value)}`);
  return { traceId: m[1]!, spanId: m[2]! };
}

function config(sink: string): string {
  return `version: 1
defaults:
  timeout: 2s
  retry: { attempts: 5, initialDelay: 50ms, maxDelay: 100ms }
sources:
  gh:
    verify: { scheme: github, secret: ${SECRET} }
targets:
  hook: { url: "${sink}/hook" }
  own: { url: "${sink}/own", headers: { Traceparent: "${OWN_TRACEPARENT}" } }
  jet: { kind: nats, url: "nats://127.0.0.1:4222", subject: "${SUBJECT}.{{ action }}" }
  rabbit: { kind: amqp, url: "amqp://guest:guest@127.0.0.1:5672", exchange: ${EXCHANGE}, routingKey: "issue.{{ action }}" }
  mosq: { kind: mqtt, url: "mqtt://127.0.0.1:1883", topic: "${MQTT_TOPIC}/{{ action }}" }
  stream: { kind: redis, url: "redis://127.0.0.1:6379", stream: "${REDIS_STREAM}" }
routes:
  - { name: to-hook, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: hook }
  - { name: to-own, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: own }
  - { name: to-jet, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: jet }
  - { name: to-rabbit, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: rabbit }
  - { name: to-mosq, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: mosq }
  - { name: to-stream, source: gh, topics: ["issues.*"], transform: '{ "title": issue.title }', target: stream }
`;
}

/**
 * A module hook for the server's process: every module URL it resolves that is
 * an OpenTelemetry package is appended to a file (hooks run off the main thread).
 */
function otelLoadRecorder(dir: string): { nodeOptions: string; loaded: () => string[] } {
  const file = join(dir, 'otel-loads.txt');
  writeFileSync(
    join(dir, 'otel-hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.includes('@opentelemetry')) appendFileSync(${JSON.stringify(file)}, result.url + '\\n');
  return result;
}
`,
  );
  writeFileSync(join(dir, 'otel-register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + join(dir, 'otel-hooks.mjs'))});\n`);
  return { nodeOptions: `--import ${join(dir, 'otel-register.mjs')}`, loaded: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []) };
}

let sink: Sink;
let receiver: Receiver;
let server: Spawned;
let recorder: ReturnType<typeof otelLoadRecorder>;
let nc: any;
let jsm: any;
let amqpConn: any;
let mqttClient: any;
let redisClient: any;
const natsMessages: { subject: string; traceparent: string | undefined }[] = [];
const amqpMessages: { headers: Record<string, unknown> }[] = [];
const mqttMessages: { topic: string; userProperties: Record<string, unknown> | undefined }[] = [];

beforeAll(async () => {
  sink = await startSink();
  receiver = await startReceiver();

  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  nc = await connect({ servers: '127.0.0.1:4222' });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: [`${SUBJECT}.>`] });
  const sub = nc.subscribe(`${SUBJECT}.>`);
  void (async () => {
    for await (const m of sub) natsMessages.push({ subject: m.subject, traceparent: m.headers?.get('traceparent') || undefined });
  })();

  const amqplib = await import('amqplib');
  amqpConn = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
  const channel = await amqpConn.createChannel();
  await channel.assertExchange(EXCHANGE, 'topic', { durable: false, autoDelete: true });
  const q = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(q.queue, EXCHANGE, 'issue.#');
  await channel.consume(q.queue, (m: any) => m && amqpMessages.push({ headers: m.properties.headers ?? {} }), { noAck: true });

  const mqtt = await import('mqtt');
  mqttClient = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
  mqttClient.on('message', (topic: string, _payload: Buffer, packet: any) => mqttMessages.push({ topic, userProperties: packet.properties?.userProperties }));
  await mqttClient.subscribeAsync(`${MQTT_TOPIC}/#`, { qos: 1 });

  const { createClient } = await import('redis');
  redisClient = createClient({ url: 'redis://127.0.0.1:6379' });
  redisClient.on('error', () => undefined);
  await redisClient.connect();

  const dir = tempDir('switchboard-traces-');
  recorder = otelLoadRecorder(dir);
  server = await spawnServer(
    config(sink.url),
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'switchboard-e2e',
      // Spans are sent every 100 ms instead of every 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      NODE_OPTIONS: recorder.nodeOptions,
    },
    dir,
  );
});

afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
  await receiver?.close();
  await jsm?.streams.delete(STREAM).catch(() => undefined);
  await nc?.close().catch(() => undefined);
  await amqpConn?.close().catch(() => undefined);
  await mqttClient?.endAsync().catch(() => undefined);
  await redisClient?.del(REDIS_STREAM).catch(() => undefined);
  await redisClient?.quit().catch(() => undefined);
});

describe('traces on (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  let eventId: string;
  let receipt: OtlpSpan;
  const body = JSON.stringify({ action: 'opened', issue: { title: 'Trace me, body-text-not-in-spans' }, sender: { login: 'login-not-in-spans' } });

  it('a webhook with a traceparent gets a receipt span in that trace, child of the sender’s span', async () => {
    const res = await fetch(`${server.url}/hooks/gh`, {
      method: 'POST',
      headers: { ...githubHeaders(body, SECRET, 'issues', `d-${RUN}`), traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01`, tracestate: 'vendor=value' },
      body,
    });
    expect(res.status).toBe(200);
    eventId = ((await res.json()) as { id: string }).id;
    receipt = await until(() => receiver.spans().find((s) => s.name === 'webhook gh' && attrs(s)['switchboard.event.id'] === eventId), 'the receipt span');
    expect(receipt.traceId).toBe(TRACE_ID);
    expect(receipt.parentSpanId).toBe(PARENT_SPAN);
    expect(receipt.kind).toBe(2); // SERVER
    expect((receipt as OtlpSpan & { traceState?: string }).traceState).toBe('vendor=value');
    expect(attrs(receipt)).toMatchObject({
      'switchboard.source': 'gh',
      'switchboard.topic': 'issues.opened',
      'switchboard.event.id': eventId,
      'switchboard.verification': 'verified',
      'http.response.status_code': 200,
      'switchboard.deliveries': 6,
    });
    expect(receiver.resources()[0]).toMatchObject({ 'service.name': 'switchboard-e2e' });
  });

  it('keeps the receipt span’s traceparent with the event (a reserved header)', () => {
    const [row] = readDb<{ headers: string }>(server.dbPath, 'SELECT headers FROM events WHERE id = ?', eventId);
    const headers = JSON.parse(row!.headers) as Record<string, string>;
    expect(parseTraceparent(headers['x-switchboard-traceparent'])).toEqual({ traceId: TRACE_ID, spanId: receipt.spanId });
    expect(headers.traceparent).toBe(`00-${TRACE_ID}-${PARENT_SPAN}-01`);
  });

  it('each delivery attempt gets a span linked to the receipt span; the HTTP target gets its traceparent', async () => {
    await sink.waitFor((r) => r.some((x) => x.path === '/hook'));
    const hookReq = sink.received.find((x) => x.path === '/hook')!;
    const sent = parseTraceparent(hookReq.headers.traceparent);
    const attempt = await until(() => receiver.spans().find((s) => s.name === 'deliver to-hook'), 'the attempt span');
    expect(attempt.traceId).toBe(sent.traceId);
    expect(attempt.spanId).toBe(sent.spanId);
    expect(attempt.kind).toBe(3); // CLIENT
    expect(attempt.links).toEqual([expect.objectContaining({ traceId: TRACE_ID, spanId: receipt.spanId })]);
    expect(attrs(attempt)).toMatchObject({
      'switchboard.route': 'to-hook',
      'switchboard.target': 'hook',
      'switchboard.attempt': 1,
      'switchboard.event.id': eventId,
      'http.response.status_code': 200,
    });
    expect(attempt.status?.code ?? 0).toBe(0);
  });

  it('a target that sets its own traceparent header keeps it', async () => {
    await sink.waitFor((r) => r.some((x) => x.path === '/own'));
    expect(sink.received.find((x) => x.path === '/own')!.headers.traceparent).toBe(OWN_TRACEPARENT);
  });

  it('broker messages carry the attempt span’s traceparent: NATS header, AMQP header, MQTT 5 user property, Redis field', async () => {
    // The span of the attempt that delivered the message (an earlier attempt may have failed and been retried).
    const check = async (route: string, value: unknown) => {
      const sent = parseTraceparent(value);
      const span = await until(() => receiver.spans().find((s) => s.spanId === sent.spanId), `the span of the ${route} message`);
      expect(span.name).toBe(`deliver ${route}`);
      expect(span.traceId).toBe(sent.traceId);
      expect(span.kind).toBe(4); // PRODUCER
      expect(span.links).toEqual([expect.objectContaining({ traceId: TRACE_ID, spanId: receipt.spanId })]);
    };
    const nats = await until(() => natsMessages.find((m) => m.subject === `${SUBJECT}.opened`), 'the nats message');
    await check('to-jet', nats.traceparent);
    const amqp = await until(() => amqpMessages[0], 'the amqp message');
    await check('to-rabbit', amqp.headers.traceparent);
    const mq = await until(() => mqttMessages.find((m) => m.topic === `${MQTT_TOPIC}/opened`), 'the mqtt message');
    await check('to-mosq', mq.userProperties?.traceparent);
    const entries = await until(async () => {
      const e = await redisClient.xRange(REDIS_STREAM, '-', '+');
      return e.length ? e : undefined;
    }, 'the redis entry');
    await check('to-stream', entries[0].message.traceparent);
  });

  it('a refused webhook gets a span with the reason; a request’s own x-switchboard-traceparent is not kept', async () => {
    const res = await fetch(`${server.url}/hooks/gh`, {
      method: 'POST',
      headers: { ...githubHeaders(body, 'the-wrong-secret-not-real', 'issues'), traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` },
      body,
    });
    expect(res.status).toBe(401);
    const refused = await until(() => receiver.spans().find((s) => s.name === 'webhook gh' && attrs(s)['http.response.status_code'] === 401), 'the refused span');
    expect(refused.traceId).toBe(TRACE_ID);
    expect(attrs(refused)).toMatchObject({ 'switchboard.verification': 'failed', 'switchboard.refused': true, 'switchboard.refusal.reason': expect.any(String) });

    const forged = '00-99999999999999999999999999999999-8888888888888888-01';
    const other = JSON.stringify({ action: 'closed', issue: { title: 'x' } });
    const ok = await fetch(`${server.url}/hooks/gh`, { method: 'POST', headers: { ...githubHeaders(other, SECRET, 'ping'), 'x-switchboard-traceparent': forged }, body: other });
    expect(ok.status).toBe(200);
    const { id } = (await ok.json()) as { id: string };
    const [row] = readDb<{ headers: string }>(server.dbPath, 'SELECT headers FROM events WHERE id = ?', id);
    expect(JSON.parse(row!.headers)['x-switchboard-traceparent']).not.toBe(forged);
  });

  it('spans hold no secret, signature, header value or body', () => {
    // (The sender's tracestate is carried on as the receipt span's, as W3C Trace Context says; it is not an attribute.)
    const all = receiver.bodies.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('body-text-not-in-spans');
    expect(all).not.toContain('sha256=');
    expect(all).not.toContain('login-not-in-spans');
  });

  it('the SDK was loaded in this server', () => {
    expect(recorder.loaded().some((u) => u.includes('@opentelemetry/sdk-trace-base'))).toBe(true);
  });
});

describe('traces off (no OTLP endpoint)', () => {
  it('loads no OpenTelemetry module, even with a webhook received and delivered', async () => {
    const dir = tempDir('switchboard-traces-off-');
    const off = otelLoadRecorder(dir);
    const plain = await spawnServer(config(sink.url), { NODE_OPTIONS: off.nodeOptions }, dir);
    try {
      const body = JSON.stringify({ action: 'edited', issue: { title: 'untraced' } });
      const before = sink.received.filter((r) => r.path === '/hook').length;
      const res = await fetch(`${plain.url}/hooks/gh`, { method: 'POST', headers: { ...githubHeaders(body, SECRET, 'issues'), traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` }, body });
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };
      await sink.waitFor((r) => r.filter((x) => x.path === '/hook').length > before);
      const hook = sink.received.filter((r) => r.path === '/hook').at(-1)!;
      expect(hook.headers.traceparent).toBeUndefined();
      const [row] = readDb<{ headers: string }>(plain.dbPath, 'SELECT headers FROM events WHERE id = ?', id);
      expect(JSON.parse(row!.headers)['x-switchboard-traceparent']).toBeUndefined();
    } finally {
      plain.proc.kill('SIGTERM');
      await plain.exit;
    }
    // The same recorder saw the SDK in the traced server (the test above): here it saw nothing.
    expect(off.loaded()).toEqual([]);
  });
});
