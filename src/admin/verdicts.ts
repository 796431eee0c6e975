// Why each route of an event's source did or did not produce a delivery: from
// the deliveries the event has (sent, filtered with the filter's value, failed
// with its error, pending) and, for routes without one, the topic patterns
// that did not match. Judged against the config as it is now, and said so.
import type { Config } from '../config/types.js';
import type { Redactor } from '../observe/redact.js';
import type { StoredDelivery, StoredEvent } from '../store/types.js';

export type VerdictKind = 'sent' | 'pending' | 'filtered' | 'failed' | 'cancelled' | 'topic-mismatch' | 'not-queued' | 'route-removed';

export interface RouteVerdict {
  readonly route: string;
  readonly verdict: VerdictKind;
  /** One line: why. */
  readonly reason: string;
  readonly deliveries: readonly string[];
}

export interface Verdicts {
  readonly summary: string;
  readonly routes: readonly RouteVerdict[];
}

const STATUS: Record<StoredDelivery['status'], VerdictKind> = { succeeded: 'sent', pending: 'pending', filtered: 'filtered', dead: 'failed', cancelled: 'cancelled' };

export function verdictsFor(event: StoredEvent, deliveries: readonly StoredDelivery[], config: Config, redact: Redactor): Verdicts {
  const byRoute = new Map<string, StoredDelivery[]>();
  for (const d of deliveries) byRoute.set(d.route, [...(byRoute.get(d.route) ?? []), d]);
  const out: RouteVerdict[] = [];
  for (const route of config.routesBySource.get(event.source) ?? []) {
    const ds = byRoute.get(route.name);
    byRoute.delete(route.name);
    if (ds?.length) {
      // The newest delivery (a replay adds one) says where the route stands.
      const last = ds[ds.length - 1]!;
      const verdict = STATUS[last.status];
      const reason =
        verdict === 'sent'
          ? `sent${last.lastStatus !== undefined ? ` (${last.lastStatus})` : ''}`
          : verdict === 'pending'
            ? `pending after ${last.attempts} attempt${last.attempts === 1 ? '' : 's'}${last.lastError ? `: ${redact.text(last.lastError)}` : ''}`
            : redact.text(last.lastError ?? verdict);
      out.push({ route: route.name, verdict, reason, deliveries: ds.map((d) => d.id) });
    } else if (!route.matchesTopic(event.topic)) {
      out.push({ route: route.name, verdict: 'topic-mismatch', reason: `topic "${redact.text(event.topic)}" does not match ${JSON.stringify(route.topics)}`, deliveries: [] });
    } else {
      out.push({ route: route.name, verdict: 'not-queued', reason: 'matches now, but did not when the event arrived (the route or its topics changed since); replay to send it', deliveries: [] });
    }
  }
  for (const [route, ds] of byRoute) out.push({ route, verdict: 'route-removed', reason: 'the route is no longer in the config', deliveries: ds.map((d) => d.id) });
  const sent = out.filter((v) => v.verdict === 'sent').length;
  const not = out.filter((v) => v.verdict !== 'sent' && v.verdict !== 'pending');
  const counts = new Map<string, number>();
  for (const v of not) counts.set(v.verdict, (counts.get(v.verdict) ?? 0) + 1);
  const pending = out.length - sent - not.length;
  const summary =
    `${sent} of ${out.length} route${out.length === 1 ? '' : 's'} sent` +
    (pending ? `, ${pending} pending` : '') +
    (not.length ? `; ${not.length} did not: ${[...counts].map(([k, n]) => `${n} ${k.replace('-', ' ')}`).join(', ')}` : '');
  return { summary, routes: out };
}
