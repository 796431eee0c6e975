// Shared target slots (PostgreSQL, several processes): a slot one call frees
// while more of the same process's calls wait goes to the next of them with no
// round trip to the database, for at most HANDOFF_MS after it was taken; the
// target's concurrency still holds, and a slot goes back to the database in time
// for another process waiting for it. Real PostgreSQL (the store's own limits).
import { afterAll, describe, expect, it } from 'vitest';
import { SharedLimits } from '../../src/delivery/limits.js';
import { PostgresStore } from '../../src/store/postgres.js';
import type { LimitStore } from '../../src/store/types.js';
import { dropSchemas, freshSchemaUrl, postgresReachable } from '../helpers/postgres.js';

const unreachable = await postgresReachable();
if (unreachable) console.warn(`shared-slots.test.ts skipped: PostgreSQL is not reachable (${unreachable})`);

afterAll(() => dropSchemas());

/** The store's limits, counting the slots taken from the database. */
function counting(limits: LimitStore): { store: LimitStore; takes: () => number } {
  let takes = 0;
  const store: LimitStore = Object.create(limits) as LimitStore;
  store.takeSlot = async (...args) => {
    const slot = await limits.takeSlot(...args);
    if (slot !== undefined) takes++;
    return slot;
  };
  return { store, takes: () => takes };
}

describe.skipIf(unreachable !== undefined)('shared target slots', () => {
  it('40 calls at concurrency 2 from one process: never more than 2 at once, and most slots handed over without the database', async () => {
    const db = await PostgresStore.open(freshSchemaUrl());
    try {
      const { store, takes } = counting(db.limits!);
      const limits = new SharedLimits(store, 'proc-a', 60_000);
      let running = 0;
      let peak = 0;
      await Promise.all(
        Array.from({ length: 40 }, async () => {
          const release = await limits.acquireSlot('t', 2);
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          release();
        }),
      );
      expect(peak).toBe(2);
      // Without the hand-over every call took its slot from the database: 40.
      expect(takes()).toBeLessThan(20);
      // With no call of its own left waiting, the process keeps no slot: another process gets both.
      await new Promise((r) => setTimeout(r, 200));
      const other = await Promise.all([0, 1].map((i) => db.limits!.takeSlot('t', 2, 'proc-b', `b${i}`, 60_000, false)));
      expect(other.filter((s) => s !== undefined)).toHaveLength(2);
    } finally {
      await db.close();
    }
  });

  it('a process that keeps its target busy still gives a slot back to another process waiting for it', async () => {
    const db = await PostgresStore.open(freshSchemaUrl());
    try {
      const busy = new SharedLimits(db.limits!, 'proc-busy', 60_000);
      const other = new SharedLimits(db.limits!, 'proc-other', 60_000);
      let stop = false;
      // proc-busy: one slot, and always another call of its own waiting for it.
      const hog = Promise.all(
        Array.from({ length: 4 }, async () => {
          while (!stop) {
            const release = await busy.acquireSlot('t', 1);
            await new Promise((r) => setTimeout(r, 5));
            release();
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 50));
      const asked = Date.now();
      const release = await other.acquireSlot('t', 1);
      const waited = Date.now() - asked;
      release();
      stop = true;
      await hog;
      expect(waited).toBeLessThan(2000);
    } finally {
      await db.close();
    }
  });
});
