// Review findings F7, F9 and F12 against the real Sender and real HTTP servers
// on 127.0.0.1:
// - F7: a redirect to another origin (scheme, host or port) carries no header
//   that holds a secret: credential headers by name, any header holding a
//   secret of the config, the target's own headers from ${ENV};
// - F9: an answer's excerpt is masked before it is cut, so a secret across the
//   4 KiB mark leaves no prefix behind;
// - F12: a name egress.allow lists exactly still has its resolved address
//   checked at connect time (a DNS answer pointing it at 127.0.0.1 is refused).
import type { LookupAddress } from 'node:dns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config, Route } from '../../src/config/types.js';
import { recordAttempt } from '../../src/delivery/attempt.js';
import { egressDecision } from '../../src/delivery/egress.js';
import { planDelivery, type OutgoingRequest } from '../../src/delivery/plan.js';
import { RESPONSE_EXCERPT_BYTES, Sender, type Resolver } from '../../src/delivery/sender.js';
import { createRedactor } from '../../src/observe/redact.js';
import { load } from '../helpers/config.js';
import { startSink, type Sink } from '../helpers/sink.js';

const KEY = 'obviously-fake-secret';
const TOKEN = 'obviously-fake-bearer-token';
const SHORT = 'fk7';
const ENV = { PARTNER_KEY: KEY, PARTNER_TOKEN: TOKEN, SHORT_PART: SHORT };

let first: Sink;
let second: Sink;
let secondPort: number;
const senders: Sender[] = [];
const sender = (resolve?: Resolver) => {
  const s = new Sender(resolve ? { resolve } : {});
  senders.push(s);
  return s;
};

beforeAll(async () => {
  first = await startSink();
  second = await startSink();
  secondPort = Number(new URL(second.url).port);
});
afterEach(() => {
  first.received.length = 0;
  second.received.length = 0;
});
afterAll(async () => {
  for (const s of senders) await s.close();
  await first?.close();
  await second?.close();
});

function configFor(extraTarget = '', allow: string[] = [`127.0.0.1:${secondPort}`]): Config {
  const text = `version: 1
sources:
  src: { verify: { scheme: none } }
egress:
  allow: ${JSON.stringify(allow)}
targets:
  partner:
    url: "${first.url}/start"
    followRedirects: true
    headers:
      X-Api-Key: "\${PARTNER_KEY}"
      Authorization: "Bearer \${PARTNER_TOKEN}"
      X-Partner-Ref: "ref-\${PARTNER_KEY}-v1"
      X-Tenant: "t-\${SHORT_PART}x"
      X-Plain: plain-value
${extraTarget}routes:
  - { name: r, source: src, target: partner }
`;
  const { config, errors } = load(text, ENV);
  if (!config) throw new Error(errors.join('\n'));
  return config;
}

async function requestFor(route: Route, method = 'POST'): Promise<OutgoingRequest> {
  const payload = { hello: 'world' };
  const plan = await planDelivery(
    route,
    {
      id: 'evt_1',
      source: 'src',
      topic: 't',
      headers: {},
      query: {},
      payload,
      rawBody: Buffer.from(JSON.stringify(payload)),
      contentType: 'application/json',
      receivedAt: new Date().toISOString(),
    },
    'dlv_1',
  );
  if (plan.outcome !== 'send') throw new Error(JSON.stringify(plan));
  return { ...plan.requests[0]!, method };
}

const SECRET_HEADERS = ['x-api-key', 'authorization', 'x-partner-ref', 'x-tenant'];

describe('a cross-origin redirect carries no secret (F7)', () => {
  it.each([302, 303, 307, 308])('%i to another port: the second server sees no secret-bearing header', async (status) => {
    const config = configFor();
    first.script('/start', [{ kind: 'status', status, headers: { Location: `${second.url}/landed` } }]);
    const route = config.routes[0]!;
    const result = await sender().send(await requestFor(route), route.target, config);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(200);

    // The first hop had every header, as configured.
    expect(first.received[0]!.headers).toMatchObject({ 'x-api-key': KEY, authorization: `Bearer ${TOKEN}`, 'x-partner-ref': `ref-${KEY}-v1`, 'x-tenant': `t-${SHORT}x` });
    const landed = second.received.find((r) => r.path === '/landed');
    expect(landed).toBeDefined();
    for (const h of SECRET_HEADERS) expect(landed!.headers[h], h).toBeUndefined();
    expect(JSON.stringify(landed)).not.toContain(KEY);
    expect(JSON.stringify(landed)).not.toContain(TOKEN);
    expect(JSON.stringify(landed)).not.toContain(SHORT);
    // Headers without a secret go on: the idempotency key, a plain configured one.
    expect(landed!.headers).toMatchObject({ 'x-plain': 'plain-value', 'idempotency-key': 'dlv_1' });
    // 307/308 repeat the POST with its body; 302 and 303 after a POST continue as a GET without one.
    if (status === 307 || status === 308) expect(landed).toMatchObject({ method: 'POST', body: '{"hello":"world"}' });
    else {
      expect(landed).toMatchObject({ method: 'GET', body: '' });
      expect(landed!.headers['content-type']).toBeUndefined();
    }
  });

  it('a 303 after a PUT is a GET; a 302 after a PUT repeats the PUT', async () => {
    const config = configFor();
    const route = config.routes[0]!;
    first.script('/start', [
      { kind: 'status', status: 303, headers: { Location: '/after-303' } },
      { kind: 'status', status: 302, headers: { Location: '/after-302' } },
    ]);
    await sender().send(await requestFor(route, 'PUT'), route.target, config);
    await sender().send(await requestFor(route, 'PUT'), route.target, config);
    expect(first.received.find((r) => r.path === '/after-303')).toMatchObject({ method: 'GET', body: '' });
    expect(first.received.find((r) => r.path === '/after-302')).toMatchObject({ method: 'PUT', body: '{"hello":"world"}' });
  });

  it('a redirect within the same origin keeps the headers', async () => {
    const config = configFor();
    const route = config.routes[0]!;
    first.script('/start', [{ kind: 'status', status: 307, headers: { Location: '/same' } }]);
    await sender().send(await requestFor(route), route.target, config);
    expect(first.received.find((r) => r.path === '/same')!.headers).toMatchObject({ 'x-api-key': KEY, authorization: `Bearer ${TOKEN}` });
  });
});

describe('an answer is masked before it is cut (F9)', () => {
  it('a secret across the 4 KiB mark leaves no part of it in the attempt record', async () => {
    const config = configFor();
    const route = config.routes[0]!;
    for (const split of [1, 5, KEY.length - 1]) {
      // The secret starts `split` characters before the cut.
      const body = `${'x'.repeat(RESPONSE_EXCERPT_BYTES - split)}${KEY}${'y'.repeat(100)}`;
      first.script('/start', [{ kind: 'status', status: 200, body }]);
      const req = await requestFor(route);
      const result = await sender().send(req, route.target, config);
      const record = recordAttempt(req, Date.now(), result, createRedactor(config.secrets));
      expect(record.responseBody!.startsWith('x'.repeat(RESPONSE_EXCERPT_BYTES - split))).toBe(true);
      // Masked, then cut: what follows the mask moves up into the excerpt.
      expect(record.responseBody!.slice(RESPONSE_EXCERPT_BYTES - split), `split ${split}`).toBe(`***${'y'.repeat(100)}`.slice(0, split));
      expect(record.responseBody).not.toContain(KEY.slice(0, 1));
      expect(Buffer.byteLength(record.responseBody!)).toBeLessThanOrEqual(RESPONSE_EXCERPT_BYTES);
    }
  });

  it('a request body over the kept length is masked before it is cut', () => {
    const redact = createRedactor([KEY]);
    const text = `${'a'.repeat(64 * 1024 - 3)}${KEY}tail`;
    const record = recordAttempt({ method: 'POST', url: 'http://x.example/', headers: {}, body: text, value: null }, 0, { durationMs: 0 }, redact);
    expect(record.request.body).not.toContain(KEY.slice(0, 3));
    expect(record.request.body!.startsWith(`${'a'.repeat(64 * 1024 - 3)}***`)).toBe(true);
  });
});

describe('a name egress.allow lists exactly is checked once resolved (F12)', () => {
  const NAME = 'api.partner.example';
  /** The partner's DNS, pointing its name at this machine; every other name resolved as usual. */
  const pointedAt =
    (address: string): Resolver =>
    (hostname, options, callback) => {
      if (hostname === NAME) return callback(null, [{ address, family: 4 } as LookupAddress]);
      return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    };
  const dynTarget = `  dyn: { url: "{{ callback }}" }\n`;

  it('the name is allowed, but an answer pointing it at loopback is refused and nothing is sent', async () => {
    const config = configFor(dynTarget, [`${NAME}:${secondPort}`]);
    expect(egressDecision(`http://${NAME}:${secondPort}/x`, config)).toMatchObject({ ok: true, resolve: true });
    const target = config.targets.get('dyn')!;
    const req: OutgoingRequest = { method: 'POST', url: `http://${NAME}:${secondPort}/stolen`, headers: {}, body: '{}', value: {} };
    const result = await sender(pointedAt('127.0.0.1')).send(req, target, config);
    expect(result).toMatchObject({
      refused: true,
      error: `egress to http://${NAME}:${secondPort} refused: ${NAME} resolves to 127.0.0.1, a loopback address; add the address or its range to egress.allow if intended`,
    });
    expect(second.received).toEqual([]);
  });

  it('…unless an entry names that address or its range', async () => {
    const config = configFor(dynTarget, [`${NAME}:${secondPort}`, '127.0.0.0/8']);
    const target = config.targets.get('dyn')!;
    const req: OutgoingRequest = { method: 'POST', url: `http://${NAME}:${secondPort}/allowed`, headers: {}, body: '{}', value: {} };
    const result = await sender(pointedAt('127.0.0.1')).send(req, target, config);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(200);
    expect(second.received.map((r) => r.path)).toEqual(['/allowed']);
  });

  it('a target on localhost, and localhost written out in egress.allow, still work', async () => {
    const port = Number(new URL(first.url).port);
    const config = configFor(dynTarget, [`localhost:${secondPort}`]);
    expect(egressDecision(`http://localhost:${secondPort}/x`, config)).toMatchObject({ ok: true, resolve: false });
    expect(egressDecision(`http://127.0.0.1:${port}/x`, config)).toMatchObject({ ok: true, resolve: false });
    const result = await sender().send({ method: 'POST', url: `http://localhost:${secondPort}/local`, headers: {}, body: '{}', value: {} }, config.targets.get('dyn')!, config);
    expect(result.status).toBe(200);
  });
});
