// The token bucket behind a source's `rateLimit` (src/lib/token-bucket.ts):
// `count` per `perMs`, bursts up to `count`, and an honest Retry-After.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/lib/token-bucket.js';

const rateArb = fc.record({ count: fc.integer({ min: 1, max: 20 }), perMs: fc.integer({ min: 1, max: 10_000 }) });
/** Request times: non-decreasing, some bunched in the same millisecond. */
const timesArb = fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 150 }).map((gaps) => {
  let t = 0;
  return gaps.map((g) => (t += g % 3 === 0 ? 0 : g));
});

function run(rate: { count: number; perMs: number }, times: number[]) {
  const b = new TokenBucket(rate, 0);
  return times.map((t) => ({ t, r: b.take(t) }));
}

describe('TokenBucket', () => {
  it('over any window, grants at most count + the window’s share of the rate', () => {
    fc.assert(
      fc.property(rateArb, timesArb, (rate, times) => {
        const granted = run(rate, times)
          .filter((x) => x.r.ok)
          .map((x) => x.t);
        // Every window [granted[i], granted[j]]: j - i + 1 grants in (granted[j] - granted[i]) ms.
        for (let i = 0; i < granted.length; i++) {
          for (let j = i; j < granted.length; j++) {
            const allowed = rate.count + ((granted[j]! - granted[i]!) / rate.perMs) * rate.count;
            expect(j - i + 1, `${j - i + 1} grants in ${granted[j]! - granted[i]!} ms at ${rate.count}/${rate.perMs}ms`).toBeLessThanOrEqual(allowed + 1e-9);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a full bucket grants exactly `count` at once, then refuses', () => {
    fc.assert(
      fc.property(rateArb, fc.integer({ min: 0, max: 1e12 }), (rate, start) => {
        const b = new TokenBucket(rate, start);
        for (let i = 0; i < rate.count; i++) expect(b.take(start).ok).toBe(true);
        expect(b.take(start).ok).toBe(false);
      }),
    );
  });

  it('Retry-After is honest: granted once retryAfterMs has passed, and never more than one interval away', () => {
    fc.assert(
      fc.property(rateArb, timesArb, (rate, times) => {
        const b = new TokenBucket(rate, 0);
        for (const t of times) b.take(t);
        const t = times.at(-1)!;
        const r = b.take(t);
        if (r.ok) return;
        expect(r.retryAfterMs).toBeGreaterThan(0);
        expect(r.retryAfterMs).toBeLessThanOrEqual(Math.ceil(rate.perMs / rate.count));
        // Right to the millisecond, give or take floating-point rounding: 2/334ms after takes at 0, 1
        // and 1 says 166, and at 167 ms the bucket holds 0.9999999999999999 tokens (harmless: callers
        // round up to seconds, or wait again).
        if (r.retryAfterMs > 2) expect(b.take(t + r.retryAfterMs - 2).ok).toBe(false);
        expect(b.take(t + r.retryAfterMs + 1).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a client that waits perMs/count between requests is never refused', () => {
    fc.assert(
      fc.property(rateArb, fc.integer({ min: 1, max: 200 }), (rate, n) => {
        const b = new TokenBucket(rate, 0);
        const step = rate.perMs / rate.count;
        for (let i = 0; i < n; i++) expect(b.take(i * step).ok, `request ${i}`).toBe(true);
      }),
    );
  });

  it('an idle bucket refills to `count`, never beyond', () => {
    const b = new TokenBucket({ count: 3, perMs: 1000 }, 0);
    for (let i = 0; i < 3; i++) b.take(0);
    // A day idle: still only three in a burst.
    const later = 86_400_000;
    expect([b.take(later), b.take(later), b.take(later)].every((r) => r.ok)).toBe(true);
    expect(b.take(later)).toEqual({ ok: false, retryAfterMs: 334 });
  });

  it('a slow rate (1 per hour) answers a Retry-After of the remaining time', () => {
    const b = new TokenBucket({ count: 1, perMs: 3_600_000 }, 0);
    expect(b.take(0).ok).toBe(true);
    expect(b.take(600_000)).toEqual({ ok: false, retryAfterMs: 3_000_000 });
    expect(b.take(3_599_999).ok).toBe(false);
    expect(b.take(3_600_000).ok).toBe(true);
  });

  it('a clock that steps back grants nothing extra', () => {
    const b = new TokenBucket({ count: 2, perMs: 1000 }, 10_000);
    expect(b.take(10_000).ok).toBe(true);
    expect(b.take(10_000).ok).toBe(true);
    // NTP steps the clock back a minute, then it runs on: no burst is minted from the step.
    expect(b.take(-50_000).ok).toBe(false);
    let granted = 0;
    for (let t = -50_000; t <= -49_000; t += 100) if (b.take(t).ok) granted++;
    expect(granted).toBeLessThanOrEqual(2);
  });
});
