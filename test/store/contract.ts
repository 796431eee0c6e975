// The behaviour every Store must have. Each implementation's test file calls
// storeContract() with a factory; PostgreSQL will run the same cases.
import { describe, expect, it } from 'vitest';
import { StoreError, type NewEvent, type Store } from '../../src/store/types.js';

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

    it('keeps the routing record with the event (single and batched ingest); events without one read back without', async () => {
      const store = await open();
      try {
        const routing = { v: '0123456789ab', miss: ['elsewhere', 'later'], more: 3 };
        const one = await store.ingest(event({ routing }));
        expect((await store.getEvent(one.eventId))!.routing).toEqual(routing);
        const [a, b] = await store.ingestMany([event({ routing: { v: '0123456789ab', miss: [] } }), event()]);
        expect((await store.getEvent(a!.eventId))!.routing).toEqual({ v: '0123456789ab', miss: [] });
        expect((await store.getEvent(b!.eventId))!.routing).toBeUndefined();
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
      await expect(store.ingestMany([event(), event()])).rejects.toThrow(StoreError);
      await expect(store.ingestMany([event()])).rejects.toThrow(/could not store the event: the store is closed/);
      // closed first: a closed store refuses every write, even an empty one
      await expect(store.ingestMany([])).rejects.toThrow(/could not store the event: the store is closed/);
    });

    it('claims due deliveries with a lease; others cannot claim them until it runs out', async () => {
      const store = await open();
      try {
        const { eventId } = await store.ingest(event({ routes: ['a', 'b'] }));
        const now = 2_000_000_000_000;
        const mine = await store.claimDue('w1', now, 1000, 10);
        expect(mine.map((c) => c.delivery.route).sort()).toEqual(['a', 'b']);
        expect(mine[0]!.event.id).toBe(eventId);
        expect(Buffer.compare(mine[0]!.event.body, Buffer.from('{"action":"opened"}'))).toBe(0);
        expect(await store.claimDue('w2', now + 500, 1000, 10)).toEqual([]);
        // w1 died: after the lease, w2 takes them over
        const taken = await store.claimDue('w2', now + 1001, 1000, 10);
        expect(taken.length).toBe(2);
        // a late report from w1 changes nothing: the claim is w2's now
        await store.finish(taken[0]!.delivery.id, 'w1', [], { status: 'succeeded' });
        expect((await store.getDelivery(taken[0]!.delivery.id))!.status).toBe('pending');
        await store.finish(taken[0]!.delivery.id, 'w2', [], { status: 'succeeded', lastStatus: 200 });
        expect(await store.getDelivery(taken[0]!.delivery.id)).toMatchObject({ status: 'succeeded', lastStatus: 200 });
      } finally {
        await store.close();
      }
    });

    it('renews only the leases its owner still holds, and a renewed lease keeps others out', async () => {
      const store = await open();
      try {
        await store.ingest(event({ routes: ['a', 'b', 'c'] }));
        const now = 2_000_000_000_000;
        const [a, b, c] = await store.claimDue('w1', now, 1000, 10);
        // c is settled; b is taken over by w2 after its lease ran out; a is renewed in time
        await store.finish(c!.delivery.id, 'w1', [], { status: 'succeeded' });
        expect((await store.renewLeases('w1', [a!.delivery.id], now + 5000)).sort()).toEqual([a!.delivery.id]);
        const taken = await store.claimDue('w2', now + 1001, 60_000, 10);
        expect(taken.map((t) => t.delivery.id)).toEqual([b!.delivery.id]);
        const held = await store.renewLeases('w1', [a!.delivery.id, b!.delivery.id, c!.delivery.id], now + 9000);
        expect(held).toEqual([a!.delivery.id]);
        // w1's renewed lease on a holds past the original one
        expect(await store.claimDue('w3', now + 8000, 1000, 10)).toEqual([]);
        expect((await store.claimDue('w3', now + 9001, 1000, 10)).map((t) => t.delivery.id)).toEqual([a!.delivery.id]);
        expect(await store.renewLeases('w1', [], now)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("releases one owner's leases (a delivery thread that died): its deliveries are due again at once, others' stay held", async () => {
      const store = await open();
      try {
        await store.ingest(event({ routes: ['a', 'b', 'c', 'd'] }));
        const now = 2_000_000_000_000;
        const mine = await store.claimDue('gone', now, 60_000, 2);
        const theirs = await store.claimDue('alive', now, 60_000, 1);
        const [settled] = await store.claimDue('gone', now, 60_000, 1);
        await store.finish(settled!.delivery.id, 'gone', [], { status: 'succeeded' });
        expect(await store.releaseLeasesOf('gone')).toBe(2);
        const again = await store.claimDue('next', now + 1, 60_000, 10);
        expect(again.map((c) => c.delivery.id).sort()).toEqual(mine.map((c) => c.delivery.id).sort());
        expect(again.map((c) => c.delivery.id)).not.toContain(theirs[0]!.delivery.id);
        expect((await store.getDelivery(settled!.delivery.id))?.status).toBe('succeeded');
        expect(await store.releaseLeasesOf('nobody')).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('does not claim deliveries that are not due yet, and says when they will be', async () => {
      const store = await open();
      try {
        await store.ingest(event({ routes: ['a'] }));
        const now = 2_000_000_000_000;
        expect(await store.nextDueAt()).toBeLessThanOrEqual(now);
        const [c] = await store.claimDue('w', now, 60_000, 10);
        // claimed: its worker reports back, so it is not what the next look waits for
        expect(await store.nextDueAt()).toBeUndefined();
        await store.finish(c!.delivery.id, 'w', [], { status: 'pending', nextAttemptAt: now + 5000, error: 'target answered 503', lastStatus: 503 });
        expect(await store.claimDue('w', now + 4999, 60_000, 10)).toEqual([]);
        expect(await store.nextDueAt()).toBe(now + 5000);
        const again = await store.claimDue('w', now + 5000, 60_000, 10);
        expect(again.map((x) => x.delivery.id)).toEqual([c!.delivery.id]);
        expect(again[0]!.delivery).toMatchObject({ lastStatus: 503, lastError: 'target answered 503' });
      } finally {
        await store.close();
      }
    });

    it('records attempts in order and counts a try only when a call was made', async () => {
      const store = await open();
      try {
        await store.ingest(event({ routes: ['a'] }));
        const [c] = await store.claimDue('w', Date.now(), 60_000, 10);
        const attempt = {
          startedAt: 1,
          durationMs: 12.5,
          request: { method: 'POST', url: 'http://sink/x', headers: { 'Idempotency-Key': c!.delivery.id }, body: '{"a":1}' },
          responseStatus: 500,
          responseHeaders: { 'retry-after': '1' },
          responseBody: 'oops',
        };
        await store.finish(c!.delivery.id, 'w', [attempt], { status: 'pending', nextAttemptAt: 0, error: 'target answered 500', lastStatus: 500 });
        const [c2] = await store.claimDue('w', Date.now(), 60_000, 10);
        await store.finish(c2!.delivery.id, 'w', [{ ...attempt, startedAt: 2, responseStatus: undefined, responseHeaders: undefined, responseBody: undefined, error: 'timeout' }], {
          status: 'dead',
          error: 'timeout; gave up after 2 attempts',
        });
        const attempts = await store.attemptsFor(c!.delivery.id);
        expect(attempts.map((a) => [a.startedAt, a.responseStatus, a.error])).toEqual([
          [1, 500, undefined],
          [2, undefined, 'timeout'],
        ]);
        expect(attempts[0]).toMatchObject({ request: attempt.request, responseHeaders: { 'retry-after': '1' }, responseBody: 'oops', durationMs: 12.5 });
        expect(await store.getDelivery(c!.delivery.id)).toMatchObject({ status: 'dead', attempts: 2, lastStatus: 500, lastError: 'timeout; gave up after 2 attempts' });
        const filtered = await store.ingest(event({ routes: ['f'] }));
        const [cf] = await store.claimDue('w', Date.now(), 60_000, 10);
        await store.finish(cf!.delivery.id, 'w', [], { status: 'filtered', reason: 'filter gave false' });
        expect((await store.deliveriesFor(filtered.eventId))[0]).toMatchObject({ status: 'filtered', attempts: 0, lastError: 'filter gave false' });
      } finally {
        await store.close();
      }
    });

    it('settles outcomes reported together (one commit) each as its own, attempts included, and ignores one whose claim was lost', async () => {
      const store = await open();
      try {
        await store.ingest(event({ routes: ['a', 'b', 'c', 'd'] }));
        const claimed = await store.claimDue('w', Date.now(), 60_000, 10);
        expect(claimed).toHaveLength(4);
        const [a, b, c, d] = claimed.map((x) => x.delivery.id) as [string, string, string, string];
        const call = (n: number, status?: number) => ({
          startedAt: n,
          durationMs: n,
          request: { method: 'POST', url: `http://sink/${n}`, headers: {} },
          ...(status ? { responseStatus: status } : { error: 'connection refused' }),
        });
        await Promise.all([
          store.finish(a, 'w', [call(1, 200)], { status: 'succeeded', lastStatus: 200 }),
          store.finish(b, 'w', [call(2), call(3, 503)], { status: 'pending', nextAttemptAt: 5, error: 'target answered 503', lastStatus: 503 }),
          store.finish(c, 'w', [], { status: 'filtered', reason: 'filter gave false' }),
          store.finish(d, 'someone-else', [call(4, 200)], { status: 'succeeded', lastStatus: 200 }),
        ]);
        expect(await store.getDelivery(a)).toMatchObject({ status: 'succeeded', attempts: 1, lastStatus: 200 });
        expect(await store.getDelivery(b)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: 5, lastStatus: 503, lastError: 'target answered 503' });
        expect(await store.getDelivery(c)).toMatchObject({ status: 'filtered', attempts: 0, lastError: 'filter gave false' });
        expect(await store.getDelivery(d)).toMatchObject({ status: 'pending', attempts: 0 });
        expect((await store.attemptsFor(b)).map((x) => [x.startedAt, x.responseStatus, x.error])).toEqual([
          [2, undefined, 'connection refused'],
          [3, 503, undefined],
        ]);
        expect((await store.attemptsFor(a)).map((x) => x.request.url)).toEqual(['http://sink/1']);
      } finally {
        await store.close();
      }
    });

    it('replays an event as new deliveries, and retries a dead delivery with a fresh budget', async () => {
      const store = await open();
      try {
        const { eventId } = await store.ingest(event({ routes: ['a', 'b'] }));
        const claimed = await store.claimDue('w', Date.now(), 60_000, 10);
        await store.finish(claimed[0]!.delivery.id, 'w', [], { status: 'succeeded' });
        await store.finish(claimed[1]!.delivery.id, 'w', [], { status: 'dead', error: 'target answered 400' });
        expect(await store.retryDelivery(claimed[0]!.delivery.id, 5)).toBe(false); // succeeded: replay the event instead
        expect(await store.retryDelivery(claimed[1]!.delivery.id, 5)).toBe(true);
        expect(await store.getDelivery(claimed[1]!.delivery.id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: 5 });
        const replayed = await store.replayEvent(eventId, ['a', 'c'], 7);
        expect(replayed).toHaveLength(2);
        const all = await store.deliveriesFor(eventId);
        expect(all.map((d) => [d.route, d.status])).toEqual([
          ['a', 'succeeded'],
          ['b', 'pending'],
          ['a', 'pending'],
          ['c', 'pending'],
        ]);
        expect(all.slice(2).map((d) => d.id)).toEqual(replayed);
        expect(await store.replayEvent('evt_missing', ['a'], 7)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('lists events newest first, filtered, in pages', async () => {
      const store = await open();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          ids.push((await store.ingest(event({ source: i % 2 ? 'stripe' : 'github', topic: i < 3 ? 'issues.opened' : 'push', routes: i === 6 ? [] : ['a'] }))).eventId);
          await new Promise((r) => setTimeout(r, 2));
        }
        const first = await store.listEvents({ limit: 3 });
        expect(first.events.map((e) => e.id)).toEqual([ids[6], ids[5], ids[4]]);
        const second = await store.listEvents({ limit: 3, cursor: first.nextCursor! });
        expect(second.events.map((e) => e.id)).toEqual([ids[3], ids[2], ids[1]]);
        const last = await store.listEvents({ limit: 3, cursor: second.nextCursor! });
        expect(last.events.map((e) => e.id)).toEqual([ids[0]]);
        expect(last.nextCursor).toBeUndefined();
        expect((await store.listEvents({ limit: 10, source: 'stripe' })).events.map((e) => e.id)).toEqual([ids[5], ids[3], ids[1]]);
        expect((await store.listEvents({ limit: 10, topic: 'issues.*' })).events.map((e) => e.id)).toEqual([ids[2], ids[1], ids[0]]);
        expect((await store.listEvents({ limit: 10, topic: 'push', source: 'github' })).events.map((e) => e.id)).toEqual([ids[6], ids[4]]);
        const [c] = await store.claimDue('w', Date.now(), 60_000, 1);
        await store.finish(c!.delivery.id, 'w', [], { status: 'dead', error: 'x' });
        expect((await store.listEvents({ limit: 10, status: 'dead' })).events.map((e) => e.id)).toEqual([c!.event.id]);
        const summary = (await store.listEvents({ limit: 1 })).events[0]!;
        expect(summary).toMatchObject({ source: 'github', topic: 'push', size: 19, deliveries: {} });
        expect((await store.listEvents({ limit: 10, status: 'pending' })).events.length).toBe(5);
      } finally {
        await store.close();
      }
    });

    it('reports queue depth, dead letters and the age of the oldest pending delivery', async () => {
      const store = await open();
      try {
        expect(await store.queueStats(Date.now())).toEqual({ pending: 0, dead: 0, oldestPendingAgeSeconds: 0 });
        await store.ingest(event({ receivedAt: 1_000_000, routes: ['a', 'b'] }));
        const [c] = await store.claimDue('w', 2_000_000, 60_000, 1);
        await store.finish(c!.delivery.id, 'w', [], { status: 'dead', error: 'x' });
        expect(await store.queueStats(1_010_000)).toEqual({ pending: 1, dead: 1, oldestPendingAgeSeconds: 10 });
      } finally {
        await store.close();
      }
    });

    it('prunes old settled events in batches, and keeps pending, dead and recent ones', async () => {
      const store = await open();
      try {
        const old = 1_000_000;
        const settled: string[] = [];
        for (let i = 0; i < 5; i++) settled.push((await store.ingest(event({ receivedAt: old, routes: ['a'] }))).eventId);
        const noRoutes = (await store.ingest(event({ receivedAt: old, routes: [] }))).eventId;
        const pending = (await store.ingest(event({ receivedAt: old, routes: ['a'] }))).eventId;
        const dead = (await store.ingest(event({ receivedAt: old, routes: ['a'] }))).eventId;
        const recent = (await store.ingest(event({ receivedAt: 5_000_000, routes: ['a'] }))).eventId;
        const claimed = await store.claimDue('w', Date.now(), 60_000, 100);
        for (const c of claimed) {
          if (c.event.id === pending || c.event.id === recent) continue;
          await store.finish(c.delivery.id, 'w', [], c.event.id === dead ? { status: 'dead', error: 'x' } : { status: 'succeeded' });
        }
        expect(await store.prune(2_000_000, 4)).toBe(4);
        expect(await store.prune(2_000_000, 4)).toBe(2);
        expect(await store.prune(2_000_000, 4)).toBe(0);
        for (const id of [...settled, noRoutes]) expect(await store.getEvent(id)).toBeUndefined();
        for (const id of [pending, dead, recent]) expect(await store.getEvent(id)).toBeDefined();
        expect(await store.deliveriesFor(settled[0]!)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('concurrent ingests: each stored once, duplicates among them absorbed', async () => {
      const store = await open();
      try {
        const results = await Promise.all([
          ...Array.from({ length: 30 }, (_, i) => store.ingest(event({ deliveryId: `c-${i}` }))),
          ...Array.from({ length: 5 }, () => store.ingest(event({ deliveryId: 'c-0' }))),
        ]);
        expect(new Set(results.map((r) => r.eventId)).size).toBe(30);
        expect(results.filter((r) => r.duplicate)).toHaveLength(5);
        expect(results.filter((r) => r.eventId === results[0]!.eventId)).toHaveLength(6);
        expect(await store.countEvents()).toBe(30);
      } finally {
        await store.close();
      }
    });

    it('ingests in the same turn each keep their own body, headers, query and routes (one commit for all)', async () => {
      const store = await open();
      try {
        const sent = Array.from({ length: 12 }, (_, i) =>
          event({
            ...(i % 4 === 3 ? { deliveryId: undefined } : {}),
            body: Buffer.from(JSON.stringify({ n: i, pad: 'é'.repeat(i * 37) })),
            headers: { 'x-n': String(i) },
            ...(i % 2 ? { query: { n: String(i) } } : {}),
            routes: Array.from({ length: i % 3 }, (_, k) => `r${k}`),
          }),
        );
        const results = await Promise.all(sent.map((e) => store.ingest(e)));
        for (const [i, r] of results.entries()) {
          expect(r).toMatchObject({ duplicate: false, deliveries: i % 3 });
          const stored = await store.getEvent(r.eventId);
          expect(Buffer.from(stored!.body).equals(sent[i]!.body)).toBe(true);
          expect(stored!.headers).toEqual({ 'x-n': String(i) });
          expect(stored!.query ?? {}).toEqual(i % 2 ? { n: String(i) } : {});
          expect((await store.deliveriesFor(r.eventId)).map((d) => d.route)).toEqual(Array.from({ length: i % 3 }, (_, k) => `r${k}`));
        }
      } finally {
        await store.close();
      }
    });

    it('ingestMany: one result per event, in input order, each event with its own topic, delivery id and deliveries', async () => {
      const store = await open();
      try {
        const sent = [
          event({ topic: 't0', routes: ['a', 'b', 'c'] }),
          event({ topic: 't1', routes: [] }),
          event({ topic: 't2', deliveryId: undefined, routes: ['x'] }),
          event({ topic: 't3', routes: ['b', 'a'], body: Buffer.from([0, 255, 3]), query: { n: '3' } }),
          event({ topic: 't4', routes: ['z'] }),
        ];
        const results = await store.ingestMany(sent);
        expect(results.map((r) => [r.duplicate, r.deliveries])).toEqual([
          [false, 3],
          [false, 0],
          [false, 1],
          [false, 2],
          [false, 1],
        ]);
        expect(new Set(results.map((r) => r.eventId)).size).toBe(5);
        for (const [i, r] of results.entries()) {
          const stored = await store.getEvent(r.eventId);
          expect([stored!.topic, stored!.deliveryId]).toEqual([`t${i}`, sent[i]!.deliveryId]);
          expect(Buffer.from(stored!.body).equals(sent[i]!.body)).toBe(true);
          const ds = await store.deliveriesFor(r.eventId);
          expect(ds.map((d) => [d.route, d.status, d.attempts])).toEqual(sent[i]!.routes.map((route) => [route, 'pending', 0]));
        }
        expect((await store.getEvent(results[3]!.eventId))!.query).toEqual({ n: '3' });
        expect(await store.countEvents()).toBe(5);
        expect((await store.queueStats(Date.now())).pending).toBe(7);
      } finally {
        await store.close();
      }
    });

    it('ingestMany deduplicates each event like ingest: against earlier ingests and earlier events of the same batch', async () => {
      const store = await open();
      try {
        const before = await store.ingest(event({ deliveryId: 'old' }));
        const results = await store.ingestMany([
          event({ deliveryId: 'x', topic: 'first' }),
          event({ deliveryId: 'old', routes: ['q'] }),
          event({ deliveryId: 'x', topic: 'second', routes: ['q', 'r', 's'] }),
          event({ deliveryId: 'y' }),
          event({ deliveryId: 'x', source: 'stripe' }),
          event({ deliveryId: 'y', routes: ['q'] }),
        ]);
        const [x, old, xAgain, y, stripeX, yAgain] = results as [typeof before, typeof before, typeof before, typeof before, typeof before, typeof before];
        expect(x).toMatchObject({ duplicate: false, deliveries: 2 });
        expect(old).toEqual({ eventId: before.eventId, duplicate: true, deliveries: 0 });
        expect(xAgain).toEqual({ eventId: x.eventId, duplicate: true, deliveries: 0 });
        expect(y).toMatchObject({ duplicate: false, deliveries: 2 });
        expect(stripeX).toMatchObject({ duplicate: false, deliveries: 2 });
        expect(yAgain).toEqual({ eventId: y.eventId, duplicate: true, deliveries: 0 });
        expect(new Set([before.eventId, x.eventId, y.eventId, stripeX.eventId]).size).toBe(4);
        // the first of the batch is the one kept; the duplicates queued nothing
        expect((await store.getEvent(x.eventId))!.topic).toBe('first');
        expect((await store.deliveriesFor(x.eventId)).map((d) => d.route)).toEqual(['a', 'b']);
        expect((await store.deliveriesFor(before.eventId)).map((d) => d.route)).toEqual(['a', 'b']);
        expect(await store.countEvents()).toBe(4);
        expect((await store.queueStats(Date.now())).pending).toBe(8);
        // and a later ingest finds the batch's events
        expect(await store.ingest(event({ deliveryId: 'y' }))).toEqual({ eventId: y.eventId, duplicate: true, deliveries: 0 });
      } finally {
        await store.close();
      }
    });

    it('ingestMany is all or nothing: one event that cannot be stored leaves none of its batch, and the rest of the turn is stored', async () => {
      const store = await open();
      try {
        // A null route breaks deliveries.route NOT NULL, after the events before it were written in the same transaction.
        const batch = [event({ deliveryId: 'g1' }), event({ deliveryId: 'g2' }), event({ deliveryId: 'bad', routes: ['a', null as unknown as string] }), event({ deliveryId: 'g3' })];
        // A null topic breaks events.topic NOT NULL in the last event of its batch.
        const batchTwo = [event({ deliveryId: 'h1' }), event({ deliveryId: 'h2', topic: null as unknown as string })];
        const lone = event({ deliveryId: 'lone' });
        const others = [event({ deliveryId: 'o1' }), event({ deliveryId: 'o2', routes: ['c'] })];
        const [failed, failedTwo, single, many] = await Promise.allSettled([store.ingestMany(batch), store.ingestMany(batchTwo), store.ingest(lone), store.ingestMany(others)]);
        expect(failed.status).toBe('rejected');
        expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
        expect((failed as PromiseRejectedResult).reason.message).toMatch(/could not store the event/);
        expect(failedTwo.status).toBe('rejected');
        expect((failedTwo as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
        expect(single.status).toBe('fulfilled');
        expect(many.status).toBe('fulfilled');
        expect((many as PromiseFulfilledResult<unknown>).value).toMatchObject([
          { duplicate: false, deliveries: 2 },
          { duplicate: false, deliveries: 1 },
        ]);
        // none of the failed batches: no event, no delivery
        expect(await store.countEvents()).toBe(3);
        expect((await store.queueStats(Date.now())).pending).toBe(5);
        const listed = (await store.listEvents({ limit: 100 })).events.map((e) => e.deliveryId).sort();
        expect(listed).toEqual(['lone', 'o1', 'o2']);
        // their delivery ids are unknown: sent again, fixed, they are new events
        const again = await store.ingestMany([...batch.slice(0, 2), event({ deliveryId: 'bad' }), batch[3]!, batchTwo[0]!, event({ deliveryId: 'h2' })]);
        expect(again.every((r) => !r.duplicate && r.deliveries === 2)).toBe(true);
        expect(await store.countEvents()).toBe(9);
      } finally {
        await store.close();
      }
    });

    it('ingestMany of nothing answers [] and stores nothing', async () => {
      const store = await open();
      try {
        expect(await store.ingestMany([])).toEqual([]);
        expect(await store.countEvents()).toBe(0);
        expect(await store.queueStats(Date.now())).toEqual({ pending: 0, dead: 0, oldestPendingAgeSeconds: 0 });
      } finally {
        await store.close();
      }
    });

    it('keeps query parameters with the event', async () => {
      const store = await open();
      try {
        const { eventId } = await store.ingest(event({ query: { tenant: 'acme' } }));
        expect((await store.getEvent(eventId))!.query).toEqual({ tenant: 'acme' });
      } finally {
        await store.close();
      }
    });

    // Bulk retry and replay: the filtered queries.
    /** Six events at t = 1000…6000 over two sources and three topics; routes a and b each; some deliveries dead. */
    async function seedBulk(store: Store) {
      const specs = [
        { source: 'github', topic: 'issues.opened' },
        { source: 'github', topic: 'issues.closed' },
        { source: 'github', topic: 'push' },
        { source: 'stripe', topic: 'invoice.paid' },
        { source: 'github', topic: 'issues.opened' },
        { source: 'github', topic: 'a[1]%_x' },
      ];
      const ids: string[] = [];
      for (const [i, s] of specs.entries()) {
        ids.push((await store.ingest(event({ ...s, receivedAt: (i + 1) * 1000, routes: ['a', 'b'] }))).eventId);
        await new Promise((r) => setTimeout(r, 2));
      }
      // Route a of events 0, 2, 3, 4, 5 dies; route b of event 1 dies; the rest succeed.
      const claimed = await store.claimDue('w', Date.now(), 60_000, 100);
      const dead = new Map<string, string>(); // delivery id -> `${event index}${route}`
      for (const c of claimed) {
        const i = ids.indexOf(c.event.id);
        const dies = c.delivery.route === 'a' ? i !== 1 : i === 1;
        if (dies) dead.set(c.delivery.id, `${i}${c.delivery.route}`);
        await store.finish(c.delivery.id, 'w', [], dies ? { status: 'dead', error: 'target answered 503' } : { status: 'succeeded' });
      }
      return { ids, dead };
    }

    it('finds deliveries by source, topic glob or exact, route, status and arrival time, oldest first, with the total', async () => {
      const store = await open();
      try {
        const { ids, dead } = await seedBulk(store);
        const find = async (f: Omit<Parameters<Store['findDeliveries']>[0], 'limit'>, limit = 100) => {
          const m = await store.findDeliveries({ ...f, limit });
          return { total: m.total, got: m.items.map((d) => `${ids.indexOf(d.eventId)}${d.route}`) };
        };
        expect(await find({ status: 'dead' })).toEqual({ total: 6, got: ['0a', '1b', '2a', '3a', '4a', '5a'] });
        expect(await find({ status: 'dead', source: 'github' })).toEqual({ total: 5, got: ['0a', '1b', '2a', '4a', '5a'] });
        expect(await find({ status: 'dead', route: 'b' })).toEqual({ total: 1, got: ['1b'] });
        expect(await find({ route: 'b', source: 'stripe' })).toEqual({ total: 1, got: ['3b'] });
        // glob as routes' topics have it: * any run, ? one character; no wildcard: exact
        expect(await find({ topic: 'issues.*', status: 'dead' })).toEqual({ total: 3, got: ['0a', '1b', '4a'] });
        expect(await find({ topic: 'issues.?pened', status: 'dead' })).toEqual({ total: 2, got: ['0a', '4a'] });
        expect(await find({ topic: 'issues', status: 'dead' })).toEqual({ total: 0, got: [] });
        expect(await find({ topic: 'push' })).toEqual({ total: 2, got: ['2a', '2b'] });
        expect(await find({ topic: '*' })).toMatchObject({ total: 12 });
        // LIKE's and GLOB's own characters are literal: [ ] % _
        expect(await find({ topic: 'a[1]%_*', route: 'a' })).toEqual({ total: 1, got: ['5a'] });
        expect(await find({ topic: 'a[1]%_x', route: 'a' })).toEqual({ total: 1, got: ['5a'] });
        expect(await find({ topic: 'a?1?%_x', route: 'a' })).toEqual({ total: 1, got: ['5a'] });
        expect(await find({ topic: 'a[1]__x' })).toEqual({ total: 0, got: [] });
        expect(await find({ topic: 'a%' })).toEqual({ total: 0, got: [] });
        expect(await find({ topic: 'a%*' })).toEqual({ total: 0, got: [] });
        expect(await find({ topic: 'a[1]__*' })).toEqual({ total: 0, got: [] });
        expect(await find({ topic: 'a[1]%\\*' })).toEqual({ total: 0, got: [] });
        expect(await find({ topic: 'ISSUES.*' })).toEqual({ total: 0, got: [] });
        // since inclusive, until exclusive, on the event's arrival
        expect(await find({ status: 'dead', since: 2000, until: 4000 })).toEqual({ total: 2, got: ['1b', '2a'] });
        expect(await find({ status: 'dead', since: 5000 })).toEqual({ total: 2, got: ['4a', '5a'] });
        expect(await find({ status: 'dead', until: 1000 })).toEqual({ total: 0, got: [] });
        // the limit loads the oldest; the total counts them all
        expect(await find({ status: 'dead' }, 2)).toEqual({ total: 6, got: ['0a', '1b'] });
        const [first] = (await store.findDeliveries({ status: 'dead', limit: 1 })).items;
        expect(first).toMatchObject({ source: 'github', topic: 'issues.opened', receivedAt: 1000, status: 'dead', lastError: 'target answered 503', route: 'a' });
        expect(dead.get(first!.id)).toBe('0a');
        // retrying each match takes it out of the dead ones
        for (const d of (await store.findDeliveries({ status: 'dead', source: 'github', limit: 2 })).items) expect(await store.retryDelivery(d.id, 9)).toBe(true);
        expect(await find({ status: 'dead' })).toEqual({ total: 4, got: ['2a', '3a', '4a', '5a'] });
        expect(await find({ status: 'pending' })).toEqual({ total: 2, got: ['0a', '1b'] });
      } finally {
        await store.close();
      }
    });

    it('finds events by the state and route of their deliveries, after a cursor, oldest first, with the total and their delivery counts', async () => {
      const store = await open();
      try {
        const { ids } = await seedBulk(store);
        const find = async (f: Omit<Parameters<Store['findEvents']>[0], 'limit'>, limit = 100) => {
          const m = await store.findEvents({ ...f, limit });
          return { total: m.total, got: m.items.map((e) => ids.indexOf(e.id)) };
        };
        expect(await find({})).toEqual({ total: 6, got: [0, 1, 2, 3, 4, 5] });
        expect(await find({ status: 'dead' })).toEqual({ total: 6, got: [0, 1, 2, 3, 4, 5] });
        // the route and the state are of the same delivery
        expect(await find({ status: 'dead', route: 'b' })).toEqual({ total: 1, got: [1] });
        expect(await find({ status: 'succeeded', route: 'a' })).toEqual({ total: 1, got: [1] });
        expect(await find({ route: 'c' })).toEqual({ total: 0, got: [] });
        expect(await find({ source: 'github', topic: 'issues.*', since: 2000 })).toEqual({ total: 2, got: [1, 4] });
        expect(await find({ topic: 'invoice.paid' })).toEqual({ total: 1, got: [3] });
        expect(await find({ status: 'dead' }, 2)).toEqual({ total: 6, got: [0, 1] });
        // a cursor continues after the last one of the previous run; the total counts from there
        expect(await find({ status: 'dead', cursor: ids[1]! }, 2)).toEqual({ total: 4, got: [2, 3] });
        expect(await find({ status: 'dead', cursor: ids[5]! })).toEqual({ total: 0, got: [] });
        const [e] = (await store.findEvents({ route: 'b', status: 'dead', limit: 10 })).items;
        expect(e).toMatchObject({ id: ids[1], source: 'github', topic: 'issues.closed', receivedAt: 2000, size: 19, deliveries: { succeeded: 1, dead: 1 } });
        // replaying the matches adds deliveries; the events still match (their dead delivery stays dead)
        for (const m of (await store.findEvents({ status: 'dead', limit: 3 })).items) expect(await store.replayEvent(m.id, ['a'], 9)).toHaveLength(1);
        expect((await store.findEvents({ status: 'pending', limit: 10 })).total).toBe(3);
        expect((await store.findEvents({ status: 'dead', limit: 10 })).items[0]!.deliveries).toEqual({ dead: 1, succeeded: 1, pending: 1 });
      } finally {
        await store.close();
      }
    });

    it('counts 100,000 matching deliveries without loading them', async () => {
      const store = await open();
      try {
        const many = Array.from({ length: 100_000 }, (_, i) => event({ deliveryId: `bulk-${i}`, receivedAt: i, routes: ['r'] }));
        for (let i = 0; i < many.length; i += 10_000) await store.ingestMany(many.slice(i, i + 10_000));
        const started = performance.now();
        const m = await store.findDeliveries({ status: 'pending', route: 'r', limit: 5 });
        const events = await store.findEvents({ status: 'pending', since: 50_000, limit: 5 });
        const ms = performance.now() - started;
        expect(m.total).toBe(100_000);
        expect(m.items).toHaveLength(5);
        expect(m.items.map((d) => d.receivedAt)).toEqual([0, 1, 2, 3, 4]);
        expect(events.total).toBe(50_000);
        expect(events.items.map((e) => e.receivedAt)).toEqual([50_000, 50_001, 50_002, 50_003, 50_004]);
        expect(ms).toBeLessThan(5000);
      } finally {
        await store.close();
      }
    }, 120_000);
  });
}
