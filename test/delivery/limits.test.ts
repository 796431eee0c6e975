// Target limits: slots and tokens are handed out in arrival order, and a
// raised limit lets waiters in at once.
import { describe, expect, it } from 'vitest';
import { RateGate, Semaphore } from '../../src/delivery/limits.js';

describe('Semaphore', () => {
  it('never has more than its limit in use and serves waiters first come, first served', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const release = await s.acquire();
        peak = Math.max(peak, s.inUse);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        release();
        release(); // a second release is a no-op, not a second free slot
      }),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(s.inUse).toBe(0);
  });

  it('a raised limit admits waiters without waiting for a release', async () => {
    const s = new Semaphore(1);
    const first = await s.acquire();
    let admitted = 0;
    const waiters = [s.acquire().then(() => admitted++), s.acquire().then(() => admitted++)];
    await new Promise((r) => setTimeout(r, 5));
    expect(admitted).toBe(0);
    s.setLimit(3);
    await Promise.all(waiters);
    expect(admitted).toBe(2);
    first();
  });
});

describe('RateGate', () => {
  it('hands out tokens in arrival order at the configured rate', async () => {
    const gate = new RateGate({ count: 2, perMs: 100 });
    const at: number[] = [];
    const order: number[] = [];
    const start = Date.now();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        gate.take().then(() => {
          order.push(i);
          at.push(Date.now() - start);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    // a burst of 2, then one every 50 ms: the sixth cannot come before 4 × 50 ms
    expect(at[5]!).toBeGreaterThanOrEqual(190);
  });
});
