// Prometheus metrics (GET /metrics). Counters are bumped where things happen;
// queue figures are read at scrape time through the function the server passes
// in (the store's queueStats), so they are right even with several processes on
// one database.
//
// Every label value comes from the config or from a fixed list (SPEC §8): source,
// route and target names; a topic only as the route pattern it matched (or
// `other` / `none`); refusals as a reason code. Never a value a sender chose, or
// one series per new topic (and body fragments in error text) would let any
// sender grow /metrics without bound.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { compileTopics, type TopicMatcher } from '../config/glob.js';
import type { Route } from '../config/types.js';
import type { RejectReason } from '../verify/types.js';

export type WebhookOutcome = 'accepted' | 'duplicate' | 'rejected' | 'handshake' | 'store_error';
export type DeliveryOutcome = 'succeeded' | 'filtered' | 'dead' | 'retry' | 'cancelled';

/** Why a webhook was refused, as the `reason` label says it. */
export type RefusalCode =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_mismatch'
  | 'timestamp_missing'
  | 'stale'
  | 'token_missing'
  | 'token_mismatch'
  | 'credentials_missing'
  | 'credentials_mismatch'
  | 'body_hash_mismatch'
  | 'body_too_large'
  | 'body_unreadable'
  | 'bad_body'
  | 'rate_limited'
  | 'handshake_refused'
  | 'too_many_events'
  | 'signature_reused';

const VERDICT_CODES: Record<RejectReason, RefusalCode> = {
  'missing signature': 'signature_missing',
  'malformed signature': 'signature_malformed',
  'signature mismatch': 'signature_mismatch',
  'missing timestamp': 'timestamp_missing',
  'timestamp outside tolerance': 'stale',
  'missing token': 'token_missing',
  'token mismatch': 'token_mismatch',
  'missing credentials': 'credentials_missing',
  'credentials mismatch': 'credentials_mismatch',
  'body hash mismatch': 'body_hash_mismatch',
};

/** The code for a scheme's verdict; an unknown reason (a scheme added without a code) counts as a mismatch. */
export function verdictCode(reason: RejectReason): RefusalCode {
  return VERDICT_CODES[reason] ?? 'signature_mismatch';
}

/** The topic label when no topic was found. */
export const NO_TOPIC = 'none';
/** The topic label when no route's pattern matched the topic. */
export const OTHER_TOPIC = 'other';

const patternMatchers = new WeakMap<Route, readonly (readonly [string, TopicMatcher])[]>();

/**
 * The topic as a label: the first pattern, of the routes that took the event,
 * that matches it (`issues.*`, `push`; `*` for a route without topics), so the
 * values are bounded by the config.
 */
export function topicLabel(routes: readonly Route[], topic: string): string {
  if (topic === '') return NO_TOPIC;
  for (const route of routes) {
    if (route.topics.length === 0) return '*';
    let matchers = patternMatchers.get(route);
    if (!matchers) {
      matchers = route.topics.map((p) => [p, compileTopics([p])] as const);
      patternMatchers.set(route, matchers);
    }
    for (const [pattern, matches] of matchers) if (matches(topic)) return pattern;
  }
  return OTHER_TOPIC;
}

/** The queue figures the gauges show (the store's QueueStats). */
export interface QueueFigures {
  readonly pending: number;
  readonly dead: number;
  /** Seconds since the oldest pending delivery was created (0 when none). */
  readonly oldestPendingAgeSeconds: number;
}

/** What the delivery side records: a delivery thread forwards these to the main thread's registry. */
export type DeliveryMetrics = Pick<Metrics, 'delivery' | 'attempt'>;

export class Metrics {
  readonly registry = new Registry();
  private readonly webhooks = new Counter({
    name: 'switchboard_webhooks_total',
    help: 'Webhooks received, by source, topic and outcome',
    labelNames: ['source', 'topic', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly verification = new Counter({
    name: 'switchboard_verification_failures_total',
    help: 'Requests refused, by source and reason',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'switchboard_deliveries_total',
    help: 'Delivery outcomes, by route',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly attempts = new Histogram({
    name: 'switchboard_attempt_duration_seconds',
    help: 'Time of each outgoing call, by target and answer class (2xx, 4xx, 5xx, error)',
    labelNames: ['target', 'class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly reloads = new Counter({
    name: 'switchboard_config_reloads_total',
    help: 'Config reloads, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly configInfo = new Gauge({
    name: 'switchboard_config_info',
    help: 'The live config version (1 for the live one)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });

  /** `queueStats`: reads the queue figures now (called at most once per scrape). */
  constructor(queueStats: () => Promise<QueueFigures>) {
    collectDefaultMetrics({ register: this.registry });
    let cached: Promise<QueueFigures> | undefined;
    // One store query per scrape, shared by the three gauges.
    const stats = () => (cached ??= queueStats().finally(() => setTimeout(() => (cached = undefined), 0)));
    const gauge = (name: string, help: string, pick: (s: QueueFigures) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          try {
            this.set(pick(await stats()));
          } catch {
            // the store is away: leave the last value
          }
        },
      });
    gauge('switchboard_queue_depth', 'Deliveries waiting to be sent (pending)', (s) => s.pending);
    gauge('switchboard_oldest_pending_age_seconds', 'Age of the oldest pending delivery', (s) => s.oldestPendingAgeSeconds);
    gauge('switchboard_dead_letters', 'Deliveries dead-lettered and not replayed', (s) => s.dead);
  }

  /** `routes`: the routes that took the event; the topic is counted as the pattern that matched it. */
  webhook(source: string, routes: readonly Route[], topic: string, outcome: WebhookOutcome): void {
    this.webhooks.inc({ source, topic: topicLabel(routes, topic), outcome });
  }

  /** A handshake answered: no topic. */
  handshake(source: string): void {
    this.webhooks.inc({ source, topic: NO_TOPIC, outcome: 'handshake' });
  }

  refused(source: string, reason: RefusalCode): void {
    this.verification.inc({ source, reason });
    this.webhooks.inc({ source, topic: NO_TOPIC, outcome: 'rejected' });
  }

  delivery(route: string, outcome: DeliveryOutcome): void {
    this.deliveries.inc({ route, outcome });
  }

  /** `status`: the HTTP answer's, or `confirmed` for a kind's confirmation (publisher confirm, PUBACK…). */
  attempt(target: string, seconds: number, status: number | 'confirmed' | undefined): void {
    const cls = status === undefined ? 'error' : status === 'confirmed' ? 'confirmed' : `${Math.floor(status / 100)}xx`;
    this.attempts.observe({ target, class: cls }, seconds);
  }

  reload(ok: boolean, version: string): void {
    this.reloads.inc({ outcome: ok ? 'ok' : 'failed' });
    if (ok) this.live(version);
  }

  live(version: string): void {
    this.configInfo.reset();
    this.configInfo.set({ version: version.slice(0, 12) }, 1);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
