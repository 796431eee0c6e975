// Per-target limits the worker honours before each call: a concurrency slot
// (how many calls to the target may be in flight) and a rate (a token bucket).
// Both queue their waiters first come, first served, so a backlog drains in
// order and no waiter is starved by later arrivals.
import type { Target } from '../config/types.js';
import type { Rate } from '../config/units.js';
import { TokenBucket } from '../lib/token-bucket.js';

/** At most `limit` holders at once; the others wait their turn, in order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(public limit: number) {}

  get inUse(): number {
    return this.active;
  }

  /** Resolves with the release function once a slot is this caller's. */
  async acquire(): Promise<() => void> {
    if (this.active < this.limit && this.waiting.length === 0) this.active++;
    // A slot is handed over with `active` already counted for the waiter.
    else await new Promise<void>((r) => this.waiting.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.admit();
    };
  }

  /** A raised limit (after a reload) lets waiters in at once. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.admit();
  }

  private admit(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}

/** Hands out a target's tokens one waiter at a time, in arrival order. */
export class RateGate {
  private readonly bucket: TokenBucket;
  private tail: Promise<void> = Promise.resolve();

  constructor(readonly rate: Rate) {
    this.bucket = new TokenBucket(rate);
  }

  take(): Promise<void> {
    const turn = this.tail.then(async () => {
      for (;;) {
        const taken = this.bucket.take();
        if (taken.ok) return;
        await new Promise((r) => setTimeout(r, taken.retryAfterMs));
      }
    });
    this.tail = turn;
    return turn;
  }
}

export class TargetLimits {
  private readonly slots = new Map<string, Semaphore>();
  private readonly gates = new Map<string, RateGate>();

  /**
   * Waits for a slot on the target, then for a token: the caller holds the
   * slot until it calls the returned release.
   */
  async acquire(target: Target): Promise<() => void> {
    const release = await this.slotFor(target).acquire();
    try {
      await this.gateFor(target)?.take();
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  private slotFor(target: Target): Semaphore {
    let s = this.slots.get(target.name);
    if (!s) {
      s = new Semaphore(target.concurrency);
      this.slots.set(target.name, s);
    } else if (s.limit !== target.concurrency) s.setLimit(target.concurrency); // a reload may change it
    return s;
  }

  private gateFor(target: Target): RateGate | undefined {
    if (!target.rateLimit) return undefined;
    let g = this.gates.get(target.name);
    if (!g || g.rate.count !== target.rateLimit.count || g.rate.perMs !== target.rateLimit.perMs) {
      g = new RateGate(target.rateLimit);
      this.gates.set(target.name, g);
    }
    return g;
  }
}
