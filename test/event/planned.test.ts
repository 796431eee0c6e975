import { afterAll, describe, expect, it } from 'vitest';
import { planDelivery } from '../../src/delivery/plan.js';
import { bindingsFor, dryRunStamp, plannedEvent, recordedEvent, TEST_STAMP, type EventPieces } from '../../src/event/planned.js';
import { parseBody } from '../../src/lib/body.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { load } from '../helpers/config.js';

const pieces: EventPieces = {
  source: 'shop',
  headers: { 'content-type': 'application/json', 'x-kind': 'order' },
  query: { v: '2' },
  payload: { order: { id: 42 } },
  rawBody: Buffer.from('{"order":{"id":42}}'),
  contentType: 'application/json',
};

const stores: SqliteStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

describe('plannedEvent', () => {
  it("is the request's pieces, the topic read from it and its stamp", () => {
    expect(plannedEvent(pieces, 'order.created', { id: 'evt_1', receivedAt: Date.UTC(2026, 10, 23, 10) })).toEqual({
      id: 'evt_1',
      source: 'shop',
      topic: 'order.created',
      headers: pieces.headers,
      query: { v: '2' },
      payload: { order: { id: 42 } },
      rawBody: pieces.rawBody,
      contentType: 'application/json',
      receivedAt: '2026-11-23T10:00:00.000Z',
    });
  });

  it('keeps a fixed ISO stamp as it is (test cases), and has no content type when the request had none', () => {
    const { contentType: _none, ...bare } = pieces;
    const event = plannedEvent(bare, 't', TEST_STAMP);
    expect(event.id).toBe('evt_test');
    expect(event.receivedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(event).not.toHaveProperty('contentType');
  });

  it('stamps a dry run as received now', () => {
    const event = plannedEvent(pieces, 't', dryRunStamp(Date.UTC(2030, 0, 2)));
    expect(event.id).toBe('evt_dry_run');
    expect(event.receivedAt).toBe('2030-01-02T00:00:00.000Z');
  });
});

describe('recordedEvent', () => {
  async function stored(query?: Record<string, string>) {
    const store = new SqliteStore('sqlite::memory:');
    stores.push(store);
    const { eventId } = await store.ingest({
      source: 'shop',
      topic: 'order.created',
      receivedAt: Date.UTC(2026, 10, 23, 10, 0, 0, 5),
      headers: { 'content-type': 'application/json', 'x-kind': 'order' },
      body: Buffer.from('{"order":{"id":42}}'),
      contentType: 'application/json',
      ...(query ? { query } : {}),
      routes: [],
    });
    const event = await store.getEvent(eventId);
    if (!event) throw new Error('the event was not stored');
    return event;
  }

  it('is the stored event with its parsed payload, as the worker plans it', async () => {
    const event = await stored({ v: '2' });
    const parsed = parseBody(event.body, event.contentType);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(recordedEvent(event, parsed.payload)).toEqual({
      id: event.id,
      source: 'shop',
      topic: 'order.created',
      headers: { 'content-type': 'application/json', 'x-kind': 'order' },
      query: { v: '2' },
      payload: { order: { id: 42 } },
      rawBody: event.body,
      contentType: 'application/json',
      receivedAt: '2026-11-23T10:00:00.005Z',
    });
  });

  it('takes the topic read again under another config (preview), and an empty query for an event stored without one', async () => {
    const event = await stored();
    const planned = recordedEvent(event, null, 'order.renamed');
    expect(planned.topic).toBe('order.renamed');
    expect(planned.query).toEqual({});
  });
});

describe('bindingsFor', () => {
  it('binds the names SPEC §2 lists, from the event', () => {
    const event = plannedEvent(pieces, 'order.created', TEST_STAMP);
    expect(bindingsFor(event)).toEqual({
      headers: pieces.headers,
      query: { v: '2' },
      topic: 'order.created',
      source: 'shop',
      eventId: 'evt_test',
      receivedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('is what a route expression sees when the event is planned', async () => {
    const { config, errors } = load(`version: 1
sources:
  shop: { verify: { scheme: none } }
targets:
  sink: { url: http://127.0.0.1:9/sink }
routes:
  - name: r
    source: shop
    target: sink
    transform: '{ "h": $headers."x-kind", "q": $query.v, "t": $topic, "s": $source, "id": $eventId, "at": $receivedAt }'
`);
    if (!config) throw new Error(errors.join('\n'));
    const plan = await planDelivery(config.routes[0]!, plannedEvent(pieces, 'order.created', TEST_STAMP), 'd1');
    expect(plan.outcome).toBe('send');
    if (plan.outcome !== 'send') return;
    expect(plan.requests[0]!.value).toEqual({ h: 'order', q: '2', t: 'order.created', s: 'shop', id: 'evt_test', at: '2026-01-01T00:00:00.000Z' });
  });
});
