// A token bucket: `count` per `perMs`, bursts up to `count`. Used for a
// source's `rateLimit` (and, later, a target's).

export interface Rate {
  /** How many events are allowed… */
  count: number;
  /** …per this many milliseconds. */
  perMs: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: Rate,
    now = Date.now(),
  ) {
    this.tokens = rate.count;
    this.last = now;
  }

  /** Takes a token if there is one; otherwise says how long until there will be (ms). */
  take(now = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    const refill = ((now - this.last) / this.rate.perMs) * this.rate.count;
    this.tokens = Math.min(this.rate.count, this.tokens + refill);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.rate.count) * this.rate.perMs) };
  }
}
