import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify, decide, nextDelay, parseRetryAfter } from '../../src/delivery/retry.js';
import { TokenBucket } from '../../src/lib/token-bucket.js';

describe('which answers are retried', () => {
  it.each([
    [200, 'success'],
    [204, 'success'],
    [undefined, 'retry'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [400, 'permanent'],
    [401, 'permanent'],
    [404, 'permanent'],
    [410, 'permanent'],
    [422, 'permanent'],
    [301, 'permanent'],
  ] as const)('%s → %s', (status, verdict) => expect(classify(status)).toBe(verdict));
});

describe('Retry-After', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  it('seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('backoff', () => {
  const policy = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 60_000 };

  it('doubles its ceiling each attempt, up to maxDelay', () => {
    const top = () => 1; // the largest jitter
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => nextDelay(policy, n, undefined, top))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    expect(nextDelay(policy, 5, undefined, () => 0)).toBe(1000); // the smallest jitter
  });

  it('always stays between initialDelay and the exponential ceiling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const d = nextDelay(policy, attempt, undefined, () => r);
        return d >= policy.initialDelayMs && d <= Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      }),
    );
  });

  it('honours Retry-After as a minimum, even past maxDelay, up to a day', () => {
    expect(nextDelay(policy, 1, 30_000, () => 0)).toBe(30_000);
    expect(nextDelay(policy, 1, 120_000, () => 0)).toBe(120_000);
    expect(nextDelay(policy, 8, 10, () => 1)).toBe(60_000);
    expect(nextDelay(policy, 1, 10 * 86_400_000, () => 0)).toBe(86_400_000);
  });
});

describe('token bucket', () => {
  it('allows a burst of `count`, then one per perMs/count', () => {
    const b = new TokenBucket({ count: 3, perMs: 1000 }, 0);
    expect([b.take(0), b.take(0), b.take(0)].every((t) => t.ok)).toBe(true);
    const denied = b.take(0);
    expect(denied).toEqual({ ok: false, retryAfterMs: 334 });
    expect(b.take(333).ok).toBe(false);
    expect(b.take(334).ok).toBe(true);
    expect(b.take(334).ok).toBe(false);
  });

  it('never allows more than count + elapsed·rate', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }), (gaps) => {
        const b = new TokenBucket({ count: 5, perMs: 100 }, 0);
        let t = 0;
        let taken = 0;
        for (const g of gaps) {
          t += g;
          if (b.take(t).ok) taken++;
        }
        return taken <= 5 + Math.floor((t / 100) * 5) + 1;
      }),
    );
  });
});

describe('decide', () => {
  const policy = { attempts: 3, initialDelayMs: 1000, maxDelayMs: 60_000 };
  const now = 1_000_000;
  const half = () => 0.5;

  it('a retryable failure before the last attempt waits its backoff', () => {
    expect(decide({ status: 503, error: 'target answered 503' }, 1, policy, now, half)).toEqual({ status: 'pending', nextAttemptAt: now + 1000, error: 'target answered 503', lastStatus: 503 });
    expect(decide({ error: 'connection refused' }, 2, policy, now, half)).toEqual({ status: 'pending', nextAttemptAt: now + 1500, error: 'connection refused' });
  });

  it('honours Retry-After as the least wait', () => {
    expect(decide({ status: 429, error: 'target answered 429', retryAfter: '30' }, 1, policy, now, half)).toMatchObject({ status: 'pending', nextAttemptAt: now + 30_000 });
  });

  it('the last attempt is dead, saying how many were made', () => {
    expect(decide({ status: 500, error: 'target answered 500' }, 3, policy, now, half)).toEqual({ status: 'dead', error: 'target answered 500; gave up after 3 attempts', lastStatus: 500 });
  });

  it('a permanent answer or refusal is dead at once', () => {
    expect(decide({ status: 404, error: 'target answered 404' }, 1, policy, now, half)).toEqual({ status: 'dead', error: 'target answered 404', lastStatus: 404 });
    expect(decide({ status: 302, error: 'target answered 302' }, 1, policy, now, half)).toMatchObject({
      status: 'dead',
      error: 'target answered 302 (a redirect: set followRedirects: true to follow it)',
    });
    expect(decide({ error: 'egress refused', permanent: true }, 1, policy, now, half)).toEqual({ status: 'dead', error: 'egress refused' });
  });
});
