// The worker: claims due deliveries (with a lease), turns each into requests
// with the same planDelivery() that `try` uses, sends them, and records every
// attempt and the outcome. Woken at once when an event is committed; otherwise
// it sleeps until the next delivery falls due.
import { createHmac, randomUUID } from 'node:crypto';
import type { Config, Route, Target } from '../config/types.js';
import { parseBody } from '../lib/body.js';
import { TokenBucket } from '../lib/token-bucket.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import { createRedactor, type Redactor } from '../observe/redact.js';
import type { AttemptRecord, ClaimedDelivery, Outcome, Store } from '../store/types.js';
import { planDelivery, type OutgoingRequest, type PlannedEvent } from './plan.js';
import { egressAllowed, hostOf } from './egress.js';
import { classify, nextDelay, parseRetryAfter } from './retry.js';
import type { Sender } from './sender.js';

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
  metrics?: Metrics;
}

const REQUEST_BODY_KEPT = 64 * 1024;
/** Most deliveries claimed in one go. */
const CLAIM_BATCH = 100;

export class Worker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly leaseMs: number;
  private readonly maxInFlight: number;
  private readonly pollMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots = new Map<string, Semaphore>();
  private readonly buckets = new Map<string, { rate: string; bucket: TokenBucket }>();
  /** Built once per config: route by name, and the redactor for its secrets. */
  private readonly perConfig = new WeakMap<Config, { routes: Map<string, Route>; redact: Redactor }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private stopped = true;

  constructor(private readonly opts: WorkerOptions) {
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.maxInFlight = opts.maxInFlight ?? 200;
    this.pollMs = opts.pollMs ?? 1000;
  }

  start(): void {
    this.stopped = false;
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
  }

  /**
   * Under load, claims are made in batches: the worker claims again only once a
   * quarter of its slots are free (or nothing is in flight), rather than one claim
   * per finished delivery.
   */
  private worthClaiming(): boolean {
    const room = this.maxInFlight - this.inFlight.size;
    return this.inFlight.size === 0 || room >= Math.max(1, Math.floor(this.maxInFlight / 4));
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
        const claimed = await this.opts.store.claimDue(this.owner, Date.now(), this.leaseMs, limit);
        for (const c of claimed) this.launch(c);
        if (claimed.length === limit) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.opts.log.error({ err: (err as Error).message }, 'worker could not claim deliveries; retrying');
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

  private launch(c: ClaimedDelivery): void {
    const p = this.deliver(c)
      .catch((err: unknown) => this.opts.log.error({ delivery: c.delivery.id, err: (err as Error).message }, 'delivery failed unexpectedly; it will be retried after its lease'))
      .finally(() => {
        this.inFlight.delete(p);
        if (this.worthClaiming()) this.wake();
      });
    this.inFlight.add(p);
  }

  private async deliver({ delivery, event }: ClaimedDelivery): Promise<void> {
    const config = this.opts.config();
    const { routes, redact } = this.indexFor(config);
    const finish = async (attempts: AttemptRecord[], outcome: Outcome) => {
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
    };

    // Deliveries are sent with their route as it is now: a removed route cancels them.
    const route = routes.get(delivery.route);
    if (!route) return finish([], { status: 'cancelled', reason: `route "${delivery.route}" is no longer in the config` });

    const parsed = parseBody(event.body, event.contentType);
    const planned: PlannedEvent = {
      id: event.id,
      source: event.source,
      topic: event.topic,
      headers: event.headers,
      query: event.query ?? {},
      payload: parsed.ok ? parsed.payload : null,
      rawBody: event.body,
      ...(event.contentType !== undefined ? { contentType: event.contentType } : {}),
      receivedAt: new Date(event.receivedAt).toISOString(),
    };
    const plan = await planDelivery(route, planned, delivery.id);
    if (plan.outcome === 'filtered') return finish([], { status: 'filtered', reason: plan.reason });
    if (plan.outcome === 'error') return finish([], { status: 'dead', error: redact.text(plan.message) });

    const target = route.target;
    const round = delivery.attempts + 1;
    const attempts: AttemptRecord[] = [];
    const slot = this.slotFor(target);
    for (const req of plan.requests) {
      const host = hostOf(req.url);
      if (!egressAllowed(host, config)) {
        const error = `egress to ${host} is not allowed: add it to egress.allow if it should be`;
        attempts.push({ startedAt: Date.now(), durationMs: 0, request: recordRequest(req, redact), error });
        return finish(attempts, { status: 'dead', error });
      }
      await this.rateLimit(target);
      const signed = target.sign ? signRequest(req, target.sign.key) : req;
      const startedAt = Date.now();
      const result = await slot.run(() => this.opts.sender.send(signed, target));
      this.opts.metrics?.attempt(target.name, result.durationMs / 1000, result.status);
      attempts.push({
        startedAt,
        durationMs: result.durationMs,
        request: recordRequest(signed, redact),
        ...(result.status !== undefined ? { responseStatus: result.status } : {}),
        ...(result.headers ? { responseHeaders: redact.headers(result.headers) } : {}),
        ...(result.body !== undefined ? { responseBody: redact.text(result.body) } : {}),
        ...(result.error ? { error: result.error } : {}),
      });
      const verdict = classify(result.status);
      if (verdict === 'success') continue;
      const error = result.error ?? `target answered ${result.status}`;
      const lastStatus = result.status;
      if (verdict === 'permanent') {
        const hint = result.status !== undefined && result.status >= 300 && result.status < 400 ? ' (a redirect: set followRedirects: true to follow it)' : '';
        return finish(attempts, { status: 'dead', error: error + hint, ...(lastStatus !== undefined ? { lastStatus } : {}) });
      }
      if (round >= target.retry.attempts) {
        return finish(attempts, { status: 'dead', error: `${error}; gave up after ${round} attempts`, ...(lastStatus !== undefined ? { lastStatus } : {}) });
      }
      const retryAfter = parseRetryAfter(result.headers?.['retry-after'], Date.now());
      const delay = nextDelay(target.retry, round, retryAfter, this.opts.random);
      return finish(attempts, { status: 'pending', nextAttemptAt: Date.now() + delay, error, ...(lastStatus !== undefined ? { lastStatus } : {}) });
    }
    const last = attempts[attempts.length - 1];
    return finish(attempts, { status: 'succeeded', ...(last?.responseStatus !== undefined ? { lastStatus: last.responseStatus } : {}) });
  }

  private indexFor(config: Config): { routes: Map<string, Route>; redact: Redactor } {
    let index = this.perConfig.get(config);
    if (!index) {
      index = { routes: new Map(config.routes.map((r) => [r.name, r])), redact: createRedactor(config.secrets) };
      this.perConfig.set(config, index);
    }
    return index;
  }

  private slotFor(target: Target): Semaphore {
    let s = this.slots.get(target.name);
    if (!s) {
      s = new Semaphore(target.concurrency);
      this.slots.set(target.name, s);
    }
    s.limit = target.concurrency; // a reload may change it
    return s;
  }

  /** Waits for the target's token bucket, if it has a rateLimit. */
  private async rateLimit(target: Target): Promise<void> {
    if (!target.rateLimit) return;
    const key = `${target.rateLimit.count}/${target.rateLimit.perMs}`;
    let entry = this.buckets.get(target.name);
    if (!entry || entry.rate !== key) {
      entry = { rate: key, bucket: new TokenBucket(target.rateLimit) };
      this.buckets.set(target.name, entry);
    }
    for (;;) {
      const taken = entry.bucket.take();
      if (taken.ok) return;
      await new Promise((r) => setTimeout(r, taken.retryAfterMs));
    }
  }
}

/** Limits the calls in flight to one target; the others wait their turn. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(public limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Standard Webhooks: HMAC-SHA256 over "id.timestamp.body", base64, as `v1,<sig>`. */
function signRequest(req: OutgoingRequest, key: Buffer): OutgoingRequest {
  const id = req.headers['webhook-id'] ?? '';
  const ts = String(Math.floor(Date.now() / 1000));
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : Buffer.from(req.body);
  const sig = createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64');
  return { ...req, headers: { ...req.headers, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` } };
}

function recordRequest(req: OutgoingRequest, redact: Redactor): AttemptRecord['request'] {
  let body: string | undefined;
  if (req.body !== undefined) {
    const text = typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
    body = redact.text(text.length > REQUEST_BODY_KEPT ? `${text.slice(0, REQUEST_BODY_KEPT)}… (${text.length} characters in all)` : text);
  }
  return { method: req.method, url: redact.text(req.url), headers: redact.headers(req.headers), ...(body !== undefined ? { body } : {}) };
}
