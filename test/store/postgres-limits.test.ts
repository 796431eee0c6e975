// Target limits kept in PostgreSQL for every process on the database: slots
// leased per (target, slot), a queue of waiting processes, and call times
// reserved `interval` apart. Each store here plays one process.
import { afterAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/config/types.js';
import { SharedLimits, TargetLimits } from '../../src/delivery/limits.js';
import { WAITER_STALE_MS } from '../../src/store/postgres-limits.js';
import { PostgresStore } from '../../src/store/postgres.js';
import type { LimitStore } from '../../src/store/types.js';
import { dropSchemas, freshSchemaUrl, PG_URL, postgresReachable } from '../helpers/postgres.js';

const unreachable = await postgresReachable();
if (unreachable) console.warn(`SKIPPING the PostgreSQL limits tests: no PostgreSQL at ${PG_URL} (${unreachable}). .ci/run starts one.`);

afterAll(dropSchemas);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function twoProcesses(): Promise<{ a: PostgresStore; b: PostgresStore; la: LimitStore; lb: LimitStore; close: () => Promise<void> }> {
  const url = freshSchemaUrl();
  const a = await PostgresStore.open(url);
  const b = await PostgresStore.open(url);
  return { a, b, la: a.limits, lb: b.limits, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** Just what TargetLimits reads of a target. */
const target = (name: string, extra: Partial<Target>): Target => ({ name, concurrency: 10, ...extra }) as Target;

describe.skipIf(unreachable !== undefined)('PostgreSQL target limits', () => {
  it('a target has `limit` slots across processes; a release frees one, and only the holder of the slot can release it', async () => {
    const { la, lb, close } = await twoProcesses();
    try {
      const tries = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? la : lb).takeSlot('t', 3, i % 2 ? 'pa' : 'pb', `tok-${i}`, 60_000, false)));
      const got = tries.flatMap((s, i) => (s === undefined ? [] : [{ slot: s, token: `tok-${i}` }]));
      expect(got.map((g) => g.slot).sort()).toEqual([0, 1, 2]);
      expect(await la.takeSlot('t', 3, 'pa', 'late', 60_000, false)).toBeUndefined();
      // another target has slots of its own
      expect(await la.takeSlot('other', 3, 'pa', 'o1', 60_000, false)).toBe(0);

      await lb.releaseSlot('t', got[0]!.slot, 'not-its-token');
      expect(await la.takeSlot('t', 3, 'pa', 'late', 60_000, false)).toBeUndefined();
      await lb.releaseSlot('t', got[0]!.slot, got[0]!.token);
      expect(await la.takeSlot('t', 3, 'pa', 'late', 60_000, false)).toBe(got[0]!.slot);

      // a raised limit (a reload) adds slots at once; a lowered one hands out none above it
      expect(await lb.takeSlot('t', 4, 'pb', 'raised', 60_000, false)).toBe(3);
      await lb.releaseSlot('t', 3, 'raised');
      expect(await lb.takeSlot('t', 3, 'pb', 'lowered', 60_000, false)).toBeUndefined();
    } finally {
      await close();
    }
  });

  it('the slot of a process that stops renewing (killed) is free once its lease runs out; a renewed lease holds', async () => {
    const { la, lb, close } = await twoProcesses();
    try {
      expect(await la.takeSlot('t', 2, 'dead', 'd1', 150, false)).toBe(0);
      expect(await la.takeSlot('t', 2, 'alive', 'a1', 150, false)).toBe(1);
      await sleep(80);
      await la.renewSlots('alive', 300);
      await sleep(120); // the first lease has run out, the renewed one has not
      expect(await lb.takeSlot('t', 2, 'pb', 'b1', 60_000, false)).toBe(0);
      expect(await lb.takeSlot('t', 2, 'pb', 'b2', 60_000, false)).toBeUndefined();
      // the dead holder's late release does not free the slot now held by another
      await la.releaseSlot('t', 0, 'd1');
      expect(await lb.takeSlot('t', 2, 'pb', 'b3', 60_000, false)).toBeUndefined();
    } finally {
      await close();
    }
  });

  it('a freed slot goes to the process that has waited longest, not to one asking for the first time', async () => {
    const { la, lb, close } = await twoProcesses();
    try {
      expect(await la.takeSlot('t', 1, 'pa', 'a1', 60_000, false)).toBe(0);
      // B is refused, and asks again as a waiter: it is queued
      expect(await lb.takeSlot('t', 1, 'pb', 'b1', 60_000, false)).toBeUndefined();
      expect(await lb.takeSlot('t', 1, 'pb', 'b2', 60_000, true)).toBeUndefined();
      await la.releaseSlot('t', 0, 'a1');
      // A's next call finds the slot free, but B waits: the slot is left for B
      expect(await la.takeSlot('t', 1, 'pa', 'a2', 60_000, false)).toBeUndefined();
      expect(await lb.takeSlot('t', 1, 'pb', 'b3', 60_000, true)).toBe(0);
      await lb.stopWaiting('t', 'pb');
      await lb.releaseSlot('t', 0, 'b3');
      // B has left the queue: the slot is anyone's
      expect(await la.takeSlot('t', 1, 'pa', 'a3', 60_000, false)).toBe(0);
      await la.releaseSlot('t', 0, 'a3');
      // a waiter that stops asking (its process died) keeps its place only briefly
      expect(await la.takeSlot('t', 1, 'pa', 'a4', 60_000, false)).toBe(0);
      expect(await lb.takeSlot('t', 1, 'gone', 'g1', 60_000, true)).toBeUndefined();
      await la.releaseSlot('t', 0, 'a4');
      expect(await la.takeSlot('t', 1, 'pa', 'a5', 60_000, false)).toBeUndefined();
      await sleep(WAITER_STALE_MS + 100);
      expect(await la.takeSlot('t', 1, 'pa', 'a6', 60_000, false)).toBe(0);
    } finally {
      await close();
    }
  });

  it('calls are reserved `interval` apart across processes, in batches, within a horizon, at the interval configured now', async () => {
    const { la, lb, close } = await twoProcesses();
    try {
      const first = await la.reserveCalls('t', 1, 100, 1000);
      expect(first).toEqual({ granted: true, waitMs: 0 });
      const second = await lb.reserveCalls('t', 3, 100, 1000);
      expect(second.granted).toBe(true);
      expect((second as { waitMs: number }).waitMs).toBeGreaterThan(80);
      expect((second as { waitMs: number }).waitMs).toBeLessThanOrEqual(100);
      // after a batch of three, the next free time is four intervals after the first call
      const third = await la.reserveCalls('t', 1, 100, 1000);
      expect((third as { waitMs: number }).waitMs).toBeGreaterThan(380);
      expect((third as { waitMs: number }).waitMs).toBeLessThanOrEqual(400);
      // beyond the horizon: refused, with how long until the next free time
      const far = await la.reserveCalls('t', 1, 100, 300);
      expect(far.granted).toBe(false);
      expect((far as { nextInMs: number }).nextInMs).toBeGreaterThan(380);

      // a slow rate (1/m) and then, after a reload, a fast one: the new interval applies at once
      expect((await la.reserveCalls('slow', 1, 60_000, 1000)).granted).toBe(true);
      const refused = await lb.reserveCalls('slow', 1, 60_000, 1000);
      expect(refused.granted).toBe(false);
      expect((refused as { nextInMs: number }).nextInMs).toBeGreaterThan(59_000);
      const reloaded = await lb.reserveCalls('slow', 1, 100, 1000);
      expect(reloaded.granted).toBe(true);
      expect((reloaded as { waitMs: number }).waitMs).toBeLessThanOrEqual(100);
    } finally {
      await close();
    }
  });

  it('two processes through TargetLimits: together at most `concurrency` at once and `rateLimit` calls, each call once', async () => {
    const { la, lb, close } = await twoProcesses();
    const limits = [new TargetLimits(new SharedLimits(la, 'pa', 60_000)), new TargetLimits(new SharedLimits(lb, 'pb', 60_000))];
    try {
      // concurrency 2: 12 calls of 40 ms, 6 from each process
      const narrow = target('narrow', { concurrency: 2 });
      let open = 0;
      let peak = 0;
      await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const release = await limits[i % 2]!.acquire(narrow);
          open++;
          peak = Math.max(peak, open);
          await sleep(40);
          open--;
          release();
        }),
      );
      expect(peak).toBe(2);

      // rateLimit 20/s: 30 calls from the two processes span at least 29 intervals of 50 ms, and no
      // second holds more than 20 (+1 on the window's edge), though each process alone would burst 20 at once
      const rated = target('rated', { rateLimit: { count: 20, perMs: 1000 } });
      const at: number[] = [];
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const release = await limits[i % 2]!.acquire(rated);
          at.push(Date.now());
          release();
        }),
      );
      at.sort((x, y) => x - y);
      expect(at[29]! - at[0]!).toBeGreaterThanOrEqual(29 * 50 - 30);
      for (let i = 0; i < at.length; i++) expect(at.filter((t) => t >= at[i]! && t < at[i]! + 1000).length).toBeLessThanOrEqual(21);
    } finally {
      await close();
    }
  });
});
