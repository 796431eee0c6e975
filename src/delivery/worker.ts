// The claim loop: claims due deliveries (with a lease), hands each to
// deliver(), and records the outcome. Woken at once when an event is
// committed; otherwise it sleeps until the next delivery falls due.
//
// Exactly one send per attempt (SPEC guarantee 7): while this worker holds a
// delivery — waiting for a target's slot or token, or sending the items of an
// `each` one by one — a heartbeat renews its lease, so no other worker (nor this
// one) can claim it again; a claim returning a delivery this worker already
// holds is ignored; and before each call the lease must cover the call's whole
// timeout, or the work is abandoned unsent.
//
// Fairness (no head-of-line blocking): each target gets a share of the
// in-flight slots — about twice the calls it can make at once, never all the
// slots — and the claim skips a target whose share is full, so deliveries that
// would only wait on a slow or rate-limited target's limits stay in the queue
// and the slots go to the other targets' work.
import { randomUUID } from 'node:crypto';
import type { Config, Route, Target } from '../config/types.js';
import type { Logger } from '../observe/log.js';
import type { DeliveryMetrics } from '../observe/metrics.js';
import { createRedactor, type Redactor } from '../observe/redact.js';
import type { AttemptRecord, ClaimedDelivery, ClaimShares, Outcome, Store } from '../store/types.js';
import { deliver } from './deliver.js';
import { SharedLimits, TargetLimits } from './limits.js';
import type { Sender } from './sender.js';
import { errorMessage } from '../lib/errors.js';

export interface WorkerOptions {
  store: Store;
  sender: Sender;
  config: () => Config;
  log: Logger;
  /** How long a claim holds before another worker may take the delivery over. */
  leaseMs?: number;
  /** Most deliveries in flight at once, across all targets. */
  maxInFlight?: number;
  /** Longest sleep between looks at the store (work from other processes, clock drift). */
  pollMs?: number;
  random?: () => number;
  metrics?: DeliveryMetrics;
  /**
   * This worker's part of the targets, when several delivery threads share a
   * store whose limits are kept in memory (SQLite): each target belongs to one
   * worker (by its name), so its concurrency and rate are kept in one place.
   */
  part?: { readonly index: number; readonly count: number };
}

/** The part (0 … count - 1) a target belongs to: FNV-1a of its name. */
export function partOf(target: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < target.length; i++) h = Math.imul(h ^ target.charCodeAt(i), 0x01000193);
  return (h >>> 0) % count;
}

/** Most deliveries claimed in one go. */
const CLAIM_BATCH = 100;

/** A delivery this worker is working on, and until when its lease is known to hold. */
interface Held {
  leaseUntil: number;
  /** Set when a renewal found the lease gone (settled elsewhere, or taken over). */
  lost: boolean;
}

export class Worker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly leaseMs: number;
  private readonly maxInFlight: number;
  private readonly pollMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly held = new Map<string, Held>();
  /** Each target's limits: this process's, and on a shared store (PostgreSQL) those all its processes keep together. */
  private readonly limits: TargetLimits;
  /** Deliveries held per target (by name). */
  private readonly busy = new Map<string, number>();
  /** The last claim got less than it asked: the queue had no more due work, but for the targets at their share. */
  private short = false;
  /** ... and no target was at its share: the queue had nothing more due at all. */
  private dry = false;
  /** The targets at their share when the last claim was made (skipped by it), with that share. */
  private readonly waitingOn = new Map<string, number>();
  /** Built once per config: route by name, and the redactor for its secrets. */
  private readonly perConfig = new WeakMap<Config, { routes: Map<string, Route>; redact: Redactor }>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private ticking = false;
  private again = false;
  private stopped = true;

  constructor(private readonly opts: WorkerOptions) {
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.maxInFlight = opts.maxInFlight ?? 200;
    this.pollMs = opts.pollMs ?? 1000;
    const shared = opts.store.limits;
    this.limits = new TargetLimits(shared ? new SharedLimits(shared, this.owner, this.leaseMs) : undefined);
  }

  start(): void {
    this.stopped = false;
    // Renewed three times per lease: a renewal that fails (the store is away) leaves two more chances before it runs out.
    this.heartbeat = setInterval(() => this.beat(), Math.max(10, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
    this.wake();
  }

  /** Look for due work now (called after each commit). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    void this.tick();
  }

  /** Stops claiming and waits (up to `graceMs`) for deliveries in flight; unfinished ones are picked up after a restart. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /** Deliveries this worker holds right now (for tests and metrics). */
  get holding(): number {
    return this.held.size;
  }

  /**
   * Under load, claims are made in batches: the worker claims again only once a
   * quarter of its slots are free (or nothing is in flight), rather than one claim
   * per finished delivery. When the last claim emptied the queue but for targets
   * at their share, any free slot is worth a claim (new work woke us).
   */
  private worthClaiming(): boolean {
    const room = this.maxInFlight - this.inFlight.size;
    if (room <= 0) return false;
    return this.inFlight.size === 0 || this.short || room >= Math.max(1, Math.floor(this.maxInFlight / 4));
  }

  /** After a delivery to `target` (undefined: its route is gone) ends: is a claim worth making now? */
  private worthWaking(target: string | undefined): boolean {
    const room = this.maxInFlight - this.inFlight.size;
    // As before: in batches under load; and a dry queue is looked at again (the delivery may have queued a retry).
    if (!this.short || this.dry) return this.inFlight.size === 0 || room >= Math.max(1, Math.floor(this.maxInFlight / 4));
    // The last claim took all there was but for targets at their share: only such a target, once half its share
    // is free, has work to claim. (A retry another target queues meanwhile is found by the next poll.)
    const share = target === undefined ? undefined : this.waitingOn.get(target);
    if (share === undefined || room <= 0) return this.inFlight.size === 0;
    if (share - (this.busy.get(target!) ?? 0) < Math.max(1, Math.floor(share / 2))) return false;
    this.waitingOn.delete(target!);
    return true;
  }

  /**
   * Most deliveries one target may hold: twice the calls it can make at once
   * (its concurrency, or for a rate limit the calls of about a second), so the
   * next ones are ready as calls end; and never more than three quarters of
   * the slots. More would only wait on the target's own limits.
   */
  private shareOf(target: Target): number {
    let parallel = target.concurrency;
    if (target.rateLimit) parallel = Math.min(parallel, Math.max(1, Math.ceil((target.rateLimit.count * 1000) / target.rateLimit.perMs)));
    return Math.max(1, Math.min(2 * parallel, this.maxInFlight - Math.max(1, Math.floor(this.maxInFlight / 4))));
  }

  /** Each route's target and that target's share, per config: the part of the shares that does not change between claims. */
  private readonly shareIndex = new WeakMap<Config, { routes: { route: string; group: string }[]; shares: Map<string, number> }>();

  /** The targets at their share now (cheap: one pass over the targets, not the routes). */
  private fullTargets(config: Config): Map<string, number> {
    this.sharesFor(config, true);
    const full = new Map<string, number>();
    for (const [target, share] of this.shareIndex.get(config)!.shares) if ((this.busy.get(target) ?? 0) >= share) full.set(target, share);
    return full;
  }

  /** What each route's target may still take, and the targets with no room (at their share). */
  private sharesFor(config: Config, indexOnly = false): { shares: ClaimShares; full: Map<string, number> } {
    let index = this.shareIndex.get(config);
    if (!index) {
      const shares = new Map<string, number>();
      const part = this.opts.part;
      for (const r of config.routes) {
        // Another worker's targets are listed with no room: never claimed here, and not waited on.
        if (!shares.has(r.target.name) && (!part || partOf(r.target.name, part.count) === part.index)) shares.set(r.target.name, this.shareOf(r.target));
      }
      index = { routes: config.routes.map((r) => ({ route: r.name, group: r.target.name })), shares };
      this.shareIndex.set(config, index);
    }
    if (indexOnly) return { shares: { routes: [] }, full: new Map() };
    const full = new Map<string, number>();
    const room = new Map<string, number>();
    for (const [target, share] of index.shares) {
      const left = Math.max(0, share - (this.busy.get(target) ?? 0));
      room.set(target, left);
      if (left === 0) full.set(target, share);
    }
    return { shares: { routes: index.routes.map((r) => ({ route: r.route, group: r.group, room: room.get(r.group) ?? 0 })) }, full };
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    if (this.timer) clearTimeout(this.timer);
    // Whether the queue may hold more due work than was claimed (then finishing deliveries wake us, no need to ask when).
    let full = false;
    try {
      do {
        this.again = false;
        if (!this.worthClaiming()) {
          full = true; // a finishing delivery wakes us
          break;
        }
        const limit = Math.min(this.maxInFlight - this.inFlight.size, CLAIM_BATCH);
        const now = Date.now();
        const config = this.opts.config();
        const { routes } = this.indexFor(config);
        const claimed = await this.opts.store.claimDue(this.owner, now, this.leaseMs, limit, this.sharesFor(config).shares);
        for (const c of claimed) {
          const mine = this.held.get(c.delivery.id);
          if (mine) {
            // Its lease ran out while this worker still works on it (renewals failed): the work in progress
            // goes on, and the fresh claim just extends the lease it holds.
            mine.leaseUntil = now + this.leaseMs;
            mine.lost = false;
            continue;
          }
          this.launch(c, now + this.leaseMs, routes.get(c.delivery.route)?.target.name);
        }
        this.short = claimed.length < limit;
        this.waitingOn.clear();
        for (const [target, share] of this.fullTargets(config)) this.waitingOn.set(target, share);
        this.dry = this.short && this.waitingOn.size === 0;
        if (claimed.length === limit) this.again = true;
        // Targets at their share (with more queued, maybe): their finishing deliveries wake us, no need to ask when work falls due.
        else if (this.waitingOn.size > 0) full = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.opts.log.error({ err: errorMessage(err) }, 'worker could not claim deliveries; retrying');
    } finally {
      this.ticking = false;
      await this.schedule(full);
    }
  }

  private async schedule(full: boolean): Promise<void> {
    if (this.stopped) return;
    let delay = this.pollMs;
    try {
      const due = full ? undefined : await this.opts.store.nextDueAt();
      if (due !== undefined) delay = Math.min(this.pollMs, Math.max(5, due - Date.now()));
    } catch {
      // the store is away: look again after the poll interval
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  /** The heartbeat: the leases on the deliveries held, and on the targets' shared slots held for their calls. */
  private beat(): void {
    void this.renew();
    this.limits.renew().catch((err: unknown) => this.opts.log.warn({ err: errorMessage(err) }, 'could not renew target slot leases'));
  }

  /** One renewal at a time for every delivery held; what comes back missing is marked lost. */
  private renew(): Promise<void> {
    if (this.renewing) return this.renewing;
    if (this.held.size === 0) return Promise.resolve();
    const ids = [...this.held.keys()];
    const until = Date.now() + this.leaseMs;
    this.renewing = this.opts.store
      .renewLeases(this.owner, ids, until)
      .then((kept) => {
        const still = new Set(kept);
        for (const id of ids) {
          const h = this.held.get(id);
          if (!h) continue;
          if (still.has(id)) h.leaseUntil = Math.max(h.leaseUntil, until);
          else h.lost = true;
        }
      })
      .catch((err: unknown) => {
        this.opts.log.warn({ err: errorMessage(err), held: ids.length }, 'could not renew delivery leases; calls that would outlive them wait');
      })
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  /** True when `id`'s lease covers `ms` more (plus a margin for clock steps), renewing first if it would not. */
  private async stillHeld(id: string, ms: number): Promise<boolean> {
    const margin = Math.min(1000, Math.floor(this.leaseMs / 10));
    const covers = () => {
      const h = this.held.get(id);
      return h !== undefined && !h.lost && h.leaseUntil - Date.now() > ms + margin;
    };
    if (covers()) return true;
    await this.renew();
    if (covers()) return true;
    // The renewal in flight may have started before this delivery was claimed or failed: one more, then give up.
    await this.renew();
    return covers();
  }

  private launch(c: ClaimedDelivery, leaseUntil: number, target: string | undefined): void {
    const id = c.delivery.id;
    this.held.set(id, { leaseUntil, lost: false });
    if (target !== undefined) this.busy.set(target, (this.busy.get(target) ?? 0) + 1);
    const p = this.run(c)
      .catch((err: unknown) => this.opts.log.error({ delivery: id, err: errorMessage(err) }, 'could not record the delivery; it will be retried after its lease'))
      .finally(() => {
        this.held.delete(id);
        this.inFlight.delete(p);
        if (target !== undefined) {
          const n = (this.busy.get(target) ?? 1) - 1;
          if (n > 0) this.busy.set(target, n);
          else this.busy.delete(target);
        }
        if (this.worthWaking(target)) this.wake();
      });
    this.inFlight.add(p);
  }

  private async run(claim: ClaimedDelivery): Promise<void> {
    const config = this.opts.config();
    const { routes, redact } = this.indexFor(config);
    const { delivery, event } = claim;
    const result = await deliver(claim, {
      config,
      route: routes.get(delivery.route),
      redact,
      sender: this.opts.sender,
      limits: this.limits,
      ...(this.opts.metrics ? { metrics: this.opts.metrics } : {}),
      ...(this.opts.random ? { random: this.opts.random } : {}),
      stillHeld: (ms) => this.stillHeld(delivery.id, ms),
    });
    if (result.kind === 'abandoned') {
      // Not ours to settle any more: whoever holds it now (or the next claim) does the work.
      this.opts.log.warn({ delivery: delivery.id, event: event.id, route: delivery.route, calls: result.attempts.length }, `delivery abandoned unsent: ${result.reason}`);
      return;
    }
    await this.finish(claim, result.attempts, result.outcome);
  }

  private async finish({ delivery, event }: ClaimedDelivery, attempts: readonly AttemptRecord[], outcome: Outcome): Promise<void> {
    await this.opts.store.finish(delivery.id, this.owner, attempts, outcome);
    this.opts.metrics?.delivery(delivery.route, outcome.status === 'pending' ? 'retry' : outcome.status);
    const level = outcome.status === 'dead' ? 'warn' : 'info';
    this.opts.log[level](
      {
        delivery: delivery.id,
        event: event.id,
        route: delivery.route,
        status: outcome.status,
        ...(attempts.length ? { http: attempts[attempts.length - 1]!.responseStatus ?? null, ms: attempts.reduce((t, a) => t + a.durationMs, 0) } : {}),
        ...('error' in outcome ? { error: outcome.error } : 'reason' in outcome ? { reason: outcome.reason } : {}),
        ...(outcome.status === 'pending' ? { retryAt: new Date(outcome.nextAttemptAt).toISOString() } : {}),
      },
      `delivery ${outcome.status === 'pending' ? 'will retry' : outcome.status}`,
    );
  }

  private indexFor(config: Config): { routes: Map<string, Route>; redact: Redactor } {
    let index = this.perConfig.get(config);
    if (!index) {
      index = { routes: new Map(config.routes.map((r) => [r.name, r])), redact: createRedactor(config.secrets) };
      this.perConfig.set(config, index);
    }
    return index;
  }
}
