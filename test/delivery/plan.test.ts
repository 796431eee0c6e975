import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { planDelivery, truthy } from '../../src/delivery/plan.js';
import type { PlannedEvent } from '../../src/event/planned.js';
import { load } from '../helpers/config.js';

function configWith(route: string, target = 'url: http://127.0.0.1:9/sink'): Config {
  const text = `version: 1
sources:
  src:
    verify: { scheme: none }
targets:
  sink:
    ${target}
routes:
  - name: r
    source: src
${route}
`;
  const { config, errors } = load(text, { SINK_TOKEN: 'sink-token-fake-123' });
  if (!config) throw new Error(errors.join('\n'));
  return config;
}

function event(payload: unknown, extra: Partial<PlannedEvent> = {}): PlannedEvent {
  const raw = Buffer.from(JSON.stringify(payload));
  return {
    id: 'evt_1',
    source: 'src',
    topic: 'thing.happened',
    headers: { 'content-type': 'application/json', 'x-custom': 'hdr' },
    query: { q: 'v' },
    payload,
    rawBody: raw,
    contentType: 'application/json',
    receivedAt: '2026-11-23T10:00:00.000Z',
    ...extra,
  };
}

const plan = async (routeYaml: string, payload: unknown, target?: string, extra?: Partial<PlannedEvent>) => {
  const config = configWith(routeYaml, target);
  return planDelivery(config.routes[0]!, event(payload, extra), 'dlv_1');
};

describe('planDelivery', () => {
  it('an object becomes a JSON body with stable idempotency headers', async () => {
    const p = await plan('    target: sink\n    transform: \'{ "n": n + 1 }\'', { n: 1 });
    expect(p.outcome).toBe('send');
    if (p.outcome !== 'send') return;
    expect(p.requests).toHaveLength(1);
    const req = p.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('http://127.0.0.1:9/sink');
    expect(req.body).toBe('{"n":2}');
    expect(req.headers['Content-Type']).toBe('application/json');
    expect(req.headers['Idempotency-Key']).toBe('dlv_1');
    expect(req.headers['webhook-id']).toBe('dlv_1');
    expect(req.headers['User-Agent']).toMatch(/^Switchboard\//);
  });

  it('a string becomes a text body', async () => {
    const p = await plan('    target: sink\n    transform: \'"hello " & name\'', { name: 'ada' });
    expect(p.outcome === 'send' && [p.requests[0]!.body, p.requests[0]!.headers['Content-Type']]).toEqual(['hello ada', 'text/plain; charset=utf-8']);
  });

  it('without a transform the payload is forwarded byte for byte', async () => {
    const raw = Buffer.from('{ "spaced" :  true }');
    const config = configWith('    target: sink');
    const p = await planDelivery(config.routes[0]!, event({ spaced: true }, { rawBody: raw, contentType: 'application/json; charset=utf-8' }), 'd');
    expect(p.outcome === 'send' && p.requests[0]!.body).toBe(raw);
    expect(p.outcome === 'send' && p.requests[0]!.headers['Content-Type']).toBe('application/json; charset=utf-8');
  });

  it('binds $headers, $query, $topic, $source, $eventId and $receivedAt', async () => {
    const p = await plan('    target: sink\n    transform: \'[$headers."x-custom", $query.q, $topic, $source, $eventId, $receivedAt]\'', {});
    expect(p.outcome === 'send' && p.requests[0]!.value).toEqual(['hdr', 'v', 'thing.happened', 'src', 'evt_1', '2026-11-23T10:00:00.000Z']);
  });

  it('a false filter, or an empty transform, is "filtered", not an error', async () => {
    expect(await plan('    target: sink\n    filter: ok = true', { ok: false })).toEqual({ outcome: 'filtered', reason: 'filter gave false' });
    expect(await plan('    target: sink\n    filter: missing.field', {})).toEqual({ outcome: 'filtered', reason: 'filter gave nothing' });
    expect((await plan('    target: sink\n    transform: nothing', {})).outcome).toBe('filtered');
    expect((await plan("    target: sink\n    transform: 'null'", {})).outcome).toBe('filtered');
    expect((await plan('    target: sink\n    transform: \'""\'', {})).outcome).toBe('filtered');
    expect((await plan('    target: sink\n    filter: ok = true', { ok: true })).outcome).toBe('send');
  });

  it('each: true sends one call per element, with per-element idempotency keys', async () => {
    const p = await plan('    target: sink\n    each: true\n    transform: \'items.{ "id": id }\'', { items: [{ id: 1 }, { id: 2 }, { id: 3 }] });
    expect(p.outcome === 'send' && p.requests.map((r) => [r.body, r.headers['Idempotency-Key']])).toEqual([
      ['{"id":1}', 'dlv_1-0'],
      ['{"id":2}', 'dlv_1-1'],
      ['{"id":3}', 'dlv_1-2'],
    ]);
  });

  it('without each, an array is one JSON body; {"$each": [...]} always splits', async () => {
    const one = await plan("    target: sink\n    transform: '[1, 2]'", {});
    expect(one.outcome === 'send' && one.requests.map((r) => r.body)).toEqual(['[1,2]']);
    const split = await plan('    target: sink\n    transform: \'{ "$each": [{"a": 1}, {"a": 2}] }\'', {});
    expect(split.outcome === 'send' && split.requests.map((r) => r.body)).toEqual(['{"a":1}', '{"a":2}']);
  });

  it('a transform that throws fails the delivery with the message', async () => {
    const p = await plan('    target: sink\n    transform: \'$number("abc")\'', {});
    expect(p.outcome).toBe('error');
    expect(p.outcome === 'error' && p.message).toMatch(/^transform failed: Unable to cast value to a number.*D3030/);
  });

  it('a runaway transform is stopped by the evaluation limits', async () => {
    const p = await plan("    target: sink\n    transform: '($f := function($n) { $f($n + 1) }; $f(0))'", {});
    expect(p.outcome).toBe('error');
  });

  it('renders URL templates (encoding path values) and header templates', async () => {
    const p = await plan(
      '    target: sink',
      { issue: { number: 42 }, repo: 'a b/c' },
      'url: http://127.0.0.1:9/repos/{{ repo }}/issues/{{ issue.number }}\n    headers: { Authorization: "Bearer ${SINK_TOKEN}", X-Issue: "{{ issue.number }}" }',
    );
    expect(p.outcome === 'send' && p.requests[0]!.url).toBe('http://127.0.0.1:9/repos/a%20b%2Fc/issues/42');
    expect(p.outcome === 'send' && p.requests[0]!.headers).toMatchObject({ Authorization: 'Bearer sink-token-fake-123', 'X-Issue': '42' });
  });

  describe('URL template values are encoded for where they stand (a payload cannot add parameters, segments or a fragment)', () => {
    const urlOf = async (url: string, payload: unknown) => {
      const p = await plan('    target: sink', payload, `url: "${url}"`);
      if (p.outcome !== 'send') throw new Error(p.outcome === 'error' ? p.message : p.reason);
      return p.requests[0]!.url;
    };
    const errorOf = async (url: string, payload: unknown, headers = '') => {
      const p = await plan('    target: sink', payload, `url: "${url}"${headers}`);
      return p.outcome === 'error' ? p.message : `no error: ${p.outcome === 'send' ? p.requests[0]!.url : p.reason}`;
    };

    it('a query value cannot add a parameter or cut the URL short, with or without a path', async () => {
      expect(await urlOf('http://127.0.0.1:9?u={{ q }}&v=1', { q: '1&admin=true' })).toBe('http://127.0.0.1:9?u=1%26admin%3Dtrue&v=1');
      expect(await urlOf('http://127.0.0.1:9/x?u={{ q }}&v=1', { q: 'a#frag' })).toBe('http://127.0.0.1:9/x?u=a%23frag&v=1');
      expect(await urlOf('http://127.0.0.1:9/x?u={{ q }}', { q: 'a+b=c d' })).toBe('http://127.0.0.1:9/x?u=a%2Bb%3Dc%20d');
      const parsed = new URL(await urlOf('http://127.0.0.1:9?u={{ q }}&v=1', { q: '1&admin=true#x' }));
      expect([...parsed.searchParams]).toEqual([
        ['u', '1&admin=true#x'],
        ['v', '1'],
      ]);
      expect(parsed.hash).toBe('');
    });

    it('a path value cannot add segments, a query or a fragment, nor climb with ..', async () => {
      expect(await urlOf('http://127.0.0.1:9/items/{{ id }}/x', { id: '../admin?x=1#y' })).toBe('http://127.0.0.1:9/items/..%2Fadmin%3Fx%3D1%23y/x');
      expect(new URL(await urlOf('http://127.0.0.1:9/items/{{ id }}', { id: '../../admin' })).pathname).toBe('/items/..%2F..%2Fadmin');
      expect(await errorOf('http://127.0.0.1:9/items/{{ id }}/x', { id: '..' })).toBe('target sink: template failed: {{ id }} gave "..", which would make a "." or ".." path segment');
      expect(await errorOf('http://127.0.0.1:9/items/{{ a }}{{ b }}', { a: '.', b: '.' })).toMatch(/which would make a "\." or "\.\." path segment$/);
      expect(await urlOf('http://127.0.0.1:9/items/v{{ id }}', { id: '..' })).toBe('http://127.0.0.1:9/items/v..');
    });

    it('a host value must be a plain host name, a port value a number', async () => {
      expect(await urlOf('https://{{ tenant }}.example.com/x', { tenant: 'acme' })).toBe('https://acme.example.com/x');
      for (const tenant of ['evil.com/x?', 'evil.com#', 'a@127.0.0.1', 'x:1', '', 'a b']) {
        expect(await errorOf('https://{{ tenant }}.example.com/x', { tenant }), tenant).toMatch(/^target sink: template failed: \{\{ tenant \}\} gave .*, which is not a host name/);
      }
      expect(await urlOf('http://127.0.0.1:{{ port }}/x', { port: 8080 })).toBe('http://127.0.0.1:8080/x');
      expect(await errorOf('http://127.0.0.1:{{ port }}/x', { port: '80@evil.example' })).toMatch(/which is not a port number$/);
    });

    it('{{{ }}} inserts a value as it is, when the config asks for it', async () => {
      expect(await urlOf('http://127.0.0.1:9/repos/{{{ repo }}}/issues?{{{ qs }}}', { repo: 'owner/name', qs: 'a=1&b=2' })).toBe('http://127.0.0.1:9/repos/owner/name/issues?a=1&b=2');
    });

    it('a header value with a line break is refused, not sent', async () => {
      expect(await errorOf('http://127.0.0.1:9/x', { v: 'a\r\nX-Injected: 1' }, '\n    headers: { X-Thing: "{{ v }}" }')).toBe(
        'target sink: template failed: {{ v }} gave "a\\r\\nX-Injected: 1", which holds a line break or NUL, which a header value cannot',
      );
    });
  });

  it('a template that yields no URL is an error for that delivery', async () => {
    const p = await plan('    target: sink', { base: 'not a url' }, 'url: "{{ base }}"');
    expect(p).toEqual({ outcome: 'error', message: 'target sink: "not a url" is not an http(s) URL' });
  });

  it("the target's headers win over the defaults, whatever their case", async () => {
    const p = await plan("    target: sink\n    transform: '{}'", {}, 'url: http://127.0.0.1:9/x\n    headers: { content-type: application/vnd.x+json }');
    expect(p.outcome === 'send' && p.requests[0]!.headers).toMatchObject({ 'content-type': 'application/vnd.x+json' });
    expect(p.outcome === 'send' && p.requests[0]!.headers['Content-Type']).toBeUndefined();
  });

  it('GET sends no body', async () => {
    const p = await plan("    target: sink\n    transform: '{}'", {}, 'url: http://127.0.0.1:9/x\n    method: GET');
    expect(p.outcome === 'send' && p.requests[0]!.body).toBeUndefined();
  });
});

describe('JSONata truthiness', () => {
  it.each([
    [true, true],
    [false, false],
    [0, false],
    [1, true],
    ['', false],
    ['x', true],
    [null, false],
    [undefined, false],
    [[], false],
    [[false, 0], false],
    [[false, 1], true],
    [{}, false],
    [{ a: 1 }, true],
  ])('%j → %s', (v, expected) => expect(truthy(v)).toBe(expected));
});
