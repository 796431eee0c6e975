// Prometheus metrics (GET /metrics). Counters are bumped where things happen;
// queue figures are read from the store at scrape time, so they are right even
// with several processes on one database.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/types.js';

export type WebhookOutcome = 'accepted' | 'duplicate' | 'rejected' | 'handshake' | 'store_error';
export type DeliveryOutcome = 'succeeded' | 'filtered' | 'dead' | 'retry' | 'cancelled';

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

  constructor(store: Store) {
    collectDefaultMetrics({ register: this.registry });
    let cached: Promise<Awaited<ReturnType<Store['queueStats']>>> | undefined;
    // One store query per scrape, shared by the three gauges.
    const stats = () => (cached ??= store.queueStats(Date.now()).finally(() => setTimeout(() => (cached = undefined), 0)));
    const gauge = (name: string, help: string, pick: (s: Awaited<ReturnType<Store['queueStats']>>) => number) =>
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

  webhook(source: string, topic: string, outcome: WebhookOutcome): void {
    this.webhooks.inc({ source, topic, outcome });
  }

  refused(source: string, reason: string): void {
    this.verification.inc({ source, reason });
    this.webhooks.inc({ source, topic: '', outcome: 'rejected' });
  }

  delivery(route: string, outcome: DeliveryOutcome): void {
    this.deliveries.inc({ route, outcome });
  }

  attempt(target: string, seconds: number, status: number | undefined): void {
    const cls = status === undefined ? 'error' : `${Math.floor(status / 100)}xx`;
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
