// The behaviour every Store must have. Each implementation's test file calls
// storeContract() with a factory; PostgreSQL will run the same cases.
import { describe, expect, it } from 'vitest';
import type { NewEvent, Store } from '../../src/store/types.js';

export function storeContract(name: string, open: () => Promise<Store>) {
  const event = (over: Partial<NewEvent> = {}): NewEvent => ({
    source: 'github',
    topic: 'issues.opened',
    deliveryId: `d-${Math.random().toString(36).slice(2)}`,
    receivedAt: 1_763_804_487_123,
    headers: { 'content-type': 'application/json', 'x-github-event': 'issues' },
    body: Buffer.from('{"action":"opened"}'),
    contentType: 'application/json',
    routes: ['a', 'b'],
    ...over,
  });

  describe(`${name} store`, () => {
    it('stores an event with one pending delivery per route', async () => {
      const store = await open();
      try {
        const e = event();
        const r = await store.ingest(e);
        expect(r).toMatchObject({ duplicate: false, deliveries: 2 });
        expect(await store.getEvent(r.eventId)).toEqual({
          id: r.eventId,
          source: e.source,
          topic: e.topic,
          deliveryId: e.deliveryId,
          receivedAt: e.receivedAt,
          headers: e.headers,
          body: e.body,
          contentType: e.contentType,
        });
        const ds = await store.deliveriesFor(r.eventId);
        expect(ds.map((d) => [d.route, d.status, d.attempts])).toEqual([
          ['a', 'pending', 0],
          ['b', 'pending', 0],
        ]);
        expect(new Set(ds.map((d) => d.id)).size).toBe(2);
      } finally {
        await store.close();
      }
    });

    it('absorbs a repeated (source, delivery id), but not the same id from another source', async () => {
      const store = await open();
      try {
        const first = await store.ingest(event({ deliveryId: 'same' }));
        const again = await store.ingest(event({ deliveryId: 'same', body: Buffer.from('{"changed":true}') }));
        expect(again).toEqual({ eventId: first.eventId, duplicate: true, deliveries: 0 });
        const other = await store.ingest(event({ deliveryId: 'same', source: 'stripe' }));
        expect(other.duplicate).toBe(false);
        expect(await store.countEvents()).toBe(2);
        expect((await store.deliveriesFor(first.eventId)).length).toBe(2);
      } finally {
        await store.close();
      }
    });

    it('never deduplicates events without a delivery id', async () => {
      const store = await open();
      try {
        const a = await store.ingest(event({ deliveryId: undefined }));
        const b = await store.ingest(event({ deliveryId: undefined }));
        expect(a.eventId).not.toBe(b.eventId);
        expect(await store.countEvents()).toBe(2);
      } finally {
        await store.close();
      }
    });

    it('stores events no route wants (kept for the inspector), with no deliveries', async () => {
      const store = await open();
      try {
        const r = await store.ingest(event({ routes: [] }));
        expect(r.deliveries).toBe(0);
        expect(await store.deliveriesFor(r.eventId)).toEqual([]);
        expect(await store.getEvent(r.eventId)).toBeDefined();
      } finally {
        await store.close();
      }
    });

    it('ids sort by arrival', async () => {
      const store = await open();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await store.ingest(event())).eventId);
          await new Promise((r) => setTimeout(r, 2));
        }
        expect([...ids].sort()).toEqual(ids);
      } finally {
        await store.close();
      }
    });

    it('keeps binary bodies byte for byte', async () => {
      const store = await open();
      try {
        const body = Buffer.from([0, 255, 1, 254, 0x7b, 0x7d]);
        const r = await store.ingest(event({ body, contentType: 'application/octet-stream' }));
        expect(Buffer.compare((await store.getEvent(r.eventId))!.body, body)).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('after close, ingest fails and ping says not ready', async () => {
      const store = await open();
      expect(await store.ping()).toBe(true);
      await store.close();
      expect(await store.ping()).toBe(false);
      await expect(store.ingest(event())).rejects.toThrow(/could not store the event/);
    });
  });
}
