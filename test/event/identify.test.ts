import { describe, expect, it } from 'vitest';
import type { Config, Source } from '../../src/config/types.js';
import { identify, scalarText, sourceBindings, splitPayloads } from '../../src/event/identify.js';
import { load } from '../helpers/config.js';

function configWith(sources: string): Config {
  const text = `version: 1
sources:
${sources}
targets:
  sink:
    url: http://127.0.0.1:9/sink
routes: []
`;
  const { config, errors } = load(text);
  if (!config) throw new Error(errors.join('\n'));
  return config;
}

function source(sources: string, name: string): Source {
  return configWith(sources).sources.get(name)!;
}

const none = (q: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/json', 'x-kind': 'order' }, query: q });

describe('identify', () => {
  it("reads topic and id from the scheme's preset rules", async () => {
    const gh = source('  gh: { verify: { scheme: github, secret: not-a-real-secret } }', 'gh');
    const who = await identify(gh, { headers: { 'x-github-event': 'issues', 'x-github-delivery': 'abc-123' }, query: {}, payload: { action: 'opened' } });
    expect(who).toEqual({ topic: 'issues.opened', deliveryId: 'abc-123', problems: [] });
  });

  it("prefers the source's own expressions, which see $headers, $query and $source", async () => {
    const s = source(
      `  shop:
    verify: { scheme: none }
    topic: '$headers."x-kind" & "." & $query.v & "." & $source'
    id: order.id`,
      'shop',
    );
    const who = await identify(s, { ...none({ v: '2' }), payload: { order: { id: 42 } } });
    expect(who).toEqual({ topic: 'order.2.shop', deliveryId: '42', problems: [] });
  });

  it('gives no topic, no id and the reasons when the expressions fail', async () => {
    const s = source(
      `  shop:
    verify: { scheme: none }
    topic: '$error("no topic here")'
    id: '$error("no id here")'`,
      'shop',
    );
    const who = await identify(s, { ...none(), payload: {} });
    expect(who.topic).toBe('');
    expect(who).not.toHaveProperty('deliveryId');
    expect(who.problems).toEqual([expect.stringContaining('topic expression failed: no topic here'), expect.stringContaining('id expression failed: no id here')]);
  });

  it('leaves out an id that evaluates to nothing', async () => {
    const s = source(
      `  shop:
    verify: { scheme: none }
    topic: kind
    id: missing`,
      'shop',
    );
    expect(await identify(s, { ...none(), payload: { kind: 'k' } })).toEqual({ topic: 'k', problems: [] });
  });
});

describe('splitPayloads', () => {
  const splitting = (expr: string) =>
    source(
      `  batch:
    verify: { scheme: none }
    split: '${expr}'`,
      'batch',
    );

  it("is the body's own payload for a source without split:", async () => {
    const s = source('  plain: { verify: { scheme: none } }', 'plain');
    expect(await splitPayloads(s, { ...none(), payload: { a: 1 } })).toEqual([{ a: 1 }]);
  });

  it('is one payload per element, a single value as one, nothing as none', async () => {
    expect(await splitPayloads(splitting('items'), { ...none(), payload: { items: [{ n: 1 }, { n: 2 }] } })).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await splitPayloads(splitting('items'), { ...none(), payload: { items: { n: 1 } } })).toEqual([{ n: 1 }]);
    expect(await splitPayloads(splitting('items'), { ...none(), payload: {} })).toEqual([]);
  });

  it('binds $headers, $query and $source like the topic expression', async () => {
    const got = await splitPayloads(splitting('[$headers."x-kind", $query.v, $source]'), { ...none({ v: '3' }), payload: {} });
    expect(got).toEqual(['order', '3', 'batch']);
  });

  it('throws what the expression throws', async () => {
    await expect(splitPayloads(splitting('$error("bad batch")'), { ...none(), payload: {} })).rejects.toThrow('bad batch');
  });
});

describe('sourceBindings', () => {
  it('is the request and the source name, nothing of an event yet', () => {
    const s = source('  plain: { verify: { scheme: none } }', 'plain');
    expect(sourceBindings(s, { headers: { a: 'b' }, query: { q: '1' }, payload: { x: 1 } })).toEqual({ headers: { a: 'b' }, query: { q: '1' }, source: 'plain' });
  });
});

describe('scalarText', () => {
  it.each([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['push', 'push'],
    [7, '7'],
    [false, 'false'],
    [{ a: 1 }, '{"a":1}'],
    [['x', 'y'], '["x","y"]'],
  ])('%j → %j', (value, want) => expect(scalarText(value)).toBe(want));
});
