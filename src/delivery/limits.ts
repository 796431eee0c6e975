// Per-target limits the worker honours before each call: a concurrency slot
// (how many calls to the target may be in flight) and a rate (a token bucket).
// Both queue their waiters first come, first served, so a backlog drains in
// order and no waiter is starved by later arrivals.
//
// These are one process's. On a store several processes share (PostgreSQL),
// SharedLimits adds the store's slot and rate for the target after them, so
// that all the processes together keep the target's limits.
import type { Target } from '../config/types.js';
import type { Rate } from '../config/units.js';
import { TokenBucket } from '../lib/token-bucket.js';
import type { LimitStore } from '../store/types.js';

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

  /** `shared`: the limits all processes on the store keep together (PostgreSQL); without it, this process's alone. */
  constructor(private readonly shared?: SharedLimits) {}

  /**
   * Waits for a slot on the target, then for a token: the caller holds the
   * slot until it calls the returned release. The process's own slot and token
   * come first, then (on a shared store) the store's.
   */
  async acquire(target: Target): Promise<() => void> {
    const release = await this.slotFor(target).acquire();
    let releaseShared: (() => void) | undefined;
    try {
      if (this.shared) releaseShared = await this.shared.acquireSlot(target.name, target.concurrency);
      await this.gateFor(target)?.take();
      if (this.shared && target.rateLimit) await this.shared.take(target.name, target.rateLimit);
    } catch (err) {
      releaseShared?.();
      release();
      throw err;
    }
    return () => {
      releaseShared?.();
      release();
    };
  }

  /** Extends the leases on the store's slots this process holds (the worker's heartbeat). */
  renew(): Promise<void> {
    return this.shared?.renew() ?? Promise.resolve();
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

/** A shared slot refused: asked again after this long, growing to POLL_MAX_MS (or at once when this process frees one). */
const POLL_MIN_MS = 10;
const POLL_MAX_MS = 50;
/** Reserved call times are taken at most this far ahead (a slow rate is asked again, so a reload changing it applies soon). */
const RATE_HORIZON_MS = 1000;
/** Calls reserved in one statement: about this long's worth at a fast rate, and never more than are waiting. */
const RATE_BATCH_MS = 100;
/** A reserved time missed by more than this is given up, not used late (a late call could crowd a later window). */
const RATE_LATE_MS = 20;
/** Store errors in a row before a wait gives up (the call is then recorded as failed, and retried). */
const STORE_TRIES = 3;
/**
 * A shared slot freed while more of this process's calls wait for the target is
 * handed to the next of them as it is, with no round trip to the database, for up
 * to this long after it was taken from the database; then it goes back, so that
 * other processes waiting for the target get their turn. (Taking and releasing
 * each slot in the database, one take at a time, held a target to ~450 calls a
 * second per process; the bench's delivery-only run on PostgreSQL.)
 */
const HANDOFF_MS = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The limits every process on a shared store keeps together, through its
 * LimitStore: a target's slots are leased rows (renewed with the worker's
 * leases, so a process that dies frees them), and its calls are given times
 * `perMs / count` apart, whichever process makes them. In each process, one
 * waiter per target asks the store at a time (the others queue behind it in
 * arrival order), so the store sees a few statements per call, not a poll per waiter.
 */
export class SharedLimits {
  private readonly slots = new Map<string, SharedSlots>();
  private readonly rates = new Map<string, SharedRate>();
  private tokens = 0;

  constructor(
    private readonly store: LimitStore,
    private readonly holder: string,
    private readonly leaseMs: number,
  ) {}

  /** Waits for one of the target's `limit` slots across all processes; resolves with its release. */
  acquireSlot(target: string, limit: number): Promise<() => void> {
    let s = this.slots.get(target);
    if (!s) {
      s = new SharedSlots(target, this.store, this.holder, this.leaseMs, () => `${this.holder}:${++this.tokens}`);
      this.slots.set(target, s);
    }
    return s.acquire(limit);
  }

  /** Waits for the target's next call time across all processes. */
  take(target: string, rate: Rate): Promise<void> {
    let r = this.rates.get(target);
    if (!r) {
      r = new SharedRate(target, this.store);
      this.rates.set(target, r);
    }
    return r.take(rate);
  }

  async renew(): Promise<void> {
    if ([...this.slots.values()].some((s) => s.held > 0)) await this.store.renewSlots(this.holder, this.leaseMs);
  }
}

class SharedSlots {
  private tail: Promise<unknown> = Promise.resolve();
  private limit = 1;
  /** Wakes the waiter at the front early (a slot of ours was just freed). */
  private wakeFront: (() => void) | undefined;
  held = 0;
  /** Calls that asked for a slot and have none yet. */
  private waiting = 0;
  /** Slots this process still holds in the database, freed by a call and kept for the next waiting one. */
  private readonly handoffs: { slot: number; token: string; takenAt: number }[] = [];

  constructor(
    private readonly target: string,
    private readonly store: LimitStore,
    private readonly holder: string,
    private readonly leaseMs: number,
    private readonly token: () => string,
  ) {}

  acquire(limit: number): Promise<() => void> {
    this.limit = limit; // a reload may change it; the waiter at the front asks with the latest
    this.waiting++;
    const turn = this.tail
      .then(() => this.take())
      .finally(() => {
        this.waiting--;
        // A slot kept for a call that got another one meanwhile: no call of ours is left for it, so it goes back.
        while (this.handoffs.length > this.waiting) {
          const h = this.handoffs.pop()!;
          this.giveBack(h.slot, h.token);
        }
      });
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** A slot another call of ours just freed, still ours in the database (undefined: none). */
  private handedOff(): (() => void) | undefined {
    for (let h = this.handoffs.shift(); h; h = this.handoffs.shift()) {
      if (h.slot < this.limit) return this.releaser(h.slot, h.token, h.takenAt);
      this.giveBack(h.slot, h.token); // the limit was lowered by a reload
    }
    return undefined;
  }

  private async take(): Promise<() => void> {
    let waiting = false;
    let delay = POLL_MIN_MS;
    let failures = 0;
    for (;;) {
      const mine = this.handedOff();
      if (mine) {
        if (waiting) await this.store.stopWaiting(this.target, this.holder).catch(() => undefined);
        return mine;
      }
      const token = this.token();
      let slot: number | undefined;
      try {
        slot = await this.store.takeSlot(this.target, this.limit, this.holder, token, this.leaseMs, waiting);
        failures = 0;
      } catch (err) {
        if (++failures >= STORE_TRIES) {
          if (waiting) await this.store.stopWaiting(this.target, this.holder).catch(() => undefined);
          throw err;
        }
      }
      if (slot !== undefined) {
        // Out of the queue, so the others are not kept waiting for us; our next waiter queues again, behind them.
        if (waiting) await this.store.stopWaiting(this.target, this.holder).catch(() => undefined);
        this.held++;
        return this.releaser(slot, token, Date.now());
      }
      waiting = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay * (0.5 + Math.random() / 2));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakeFront = done;
      });
      this.wakeFront = undefined;
      delay = Math.min(POLL_MAX_MS, delay * 2);
    }
  }

  private releaser(slot: number, token: string, takenAt: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // More calls of ours wait (more than the slots already kept for them): the next one gets this slot as it is.
      if (this.waiting > this.handoffs.length && Date.now() - takenAt < HANDOFF_MS && slot < this.limit) {
        this.handoffs.push({ slot, token, takenAt });
        this.wakeFront?.();
        return;
      }
      this.giveBack(slot, token);
    };
  }

  /** Frees the slot's row. Not awaited: until then the slot only stays taken a little longer; a release that fails (the store is away) leaves it to its lease. */
  private giveBack(slot: number, token: string): void {
    void this.store
      .releaseSlot(this.target, slot, token)
      .catch(() => undefined)
      .finally(() => {
        this.held--;
        this.wakeFront?.();
      });
  }
}

class SharedRate {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  /** Call times (this process's clock) reserved and not used yet, and the rate they were reserved at. */
  private reserved: number[] = [];
  private reservedAt = '';
  private rate: Rate = { count: 1, perMs: 1000 };

  constructor(
    private readonly target: string,
    private readonly store: LimitStore,
  ) {}

  take(rate: Rate): Promise<void> {
    this.rate = rate; // a reload may change it: the next reservation uses it
    this.queued++;
    const turn = this.tail.then(() => this.next()).finally(() => this.queued--);
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async next(): Promise<void> {
    let failures = 0;
    for (;;) {
      const { count, perMs } = this.rate;
      const interval = perMs / count;
      const key = `${count}/${perMs}`;
      if (key !== this.reservedAt) this.reserved = []; // reserved at another rate: asked again at this one
      const now = Date.now();
      while (this.reserved.length > 0 && this.reserved[0]! < now - RATE_LATE_MS) this.reserved.shift();
      const at = this.reserved.shift();
      if (at !== undefined) {
        if (at > now) await sleep(at - now);
        return;
      }
      const batch = Math.max(1, Math.min(this.queued, Math.floor(RATE_BATCH_MS / interval)));
      let answer: Awaited<ReturnType<LimitStore['reserveCalls']>>;
      try {
        answer = await this.store.reserveCalls(this.target, batch, interval, RATE_HORIZON_MS);
        failures = 0;
      } catch (err) {
        if (++failures >= STORE_TRIES) throw err;
        await sleep(POLL_MAX_MS);
        continue;
      }
      const got = Date.now();
      if (answer.granted) {
        this.reservedAt = key;
        this.reserved = Array.from({ length: batch }, (_, i) => got + answer.waitMs + i * interval);
        continue;
      }
      await sleep(Math.min(RATE_HORIZON_MS, Math.max(POLL_MIN_MS, answer.nextInMs - RATE_HORIZON_MS)));
    }
  }
}
