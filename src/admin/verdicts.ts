// Why each route of an event's source did or did not produce a delivery: from
// the deliveries the event has (sent, filtered with the filter's value, failed
// with its error, pending) and, for routes without one, the record kept when
// the event was routed (the config version then, and which routes' topics did
// not match). Events stored before that record was kept are judged against the
// config as it is now, and the answer says which it is.
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
  /** The config version that routed the event, and whether it is still the live one (absent: not recorded). */
  readonly routedBy?: { readonly version: string; readonly live: boolean };
}

const STATUS: Record<StoredDelivery['status'], VerdictKind> = { succeeded: 'sent', pending: 'pending', filtered: 'filtered', dead: 'failed', cancelled: 'cancelled' };

export function verdictsFor(event: StoredEvent, deliveries: readonly StoredDelivery[], config: Config, redact: Redactor): Verdicts {
  const byRoute = new Map<string, StoredDelivery[]>();
  for (const d of deliveries) byRoute.set(d.route, [...(byRoute.get(d.route) ?? []), d]);
  const out: RouteVerdict[] = [];
  const routing = event.routing;
  const live = routing !== undefined && routing.v === config.hash.slice(0, 12);
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
    } else if (routing && (routing.miss.includes(route.name) || (!live && !routing.more))) {
      // Recorded: it did not match then (or, under another config, it was not there).
      const missed = routing.miss.includes(route.name);
      const topic = `topic "${redact.text(event.topic)}"`;
      if (missed && live) out.push({ route: route.name, verdict: 'topic-mismatch', reason: `${topic} does not match ${JSON.stringify(route.topics)}`, deliveries: [] });
      else if (missed) {
        const now = route.matchesTopic(event.topic) ? `; its topics now, ${JSON.stringify(route.topics)}, match: replay to send it` : `; its topics now: ${JSON.stringify(route.topics)}`;
        out.push({ route: route.name, verdict: 'topic-mismatch', reason: `${topic} did not match its topics when the event arrived (config ${routing.v})${now}`, deliveries: [] });
      } else {
        const now = route.matchesTopic(event.topic) ? 'it matches now: replay to send it' : `it does not match now either (${JSON.stringify(route.topics)})`;
        out.push({
          route: route.name,
          verdict: route.matchesTopic(event.topic) ? 'not-queued' : 'topic-mismatch',
          reason: `the route was added (or renamed) after the event arrived (config ${routing.v}); ${now}`,
          deliveries: [],
        });
      }
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
  const judged = !routing ? ' (judged against the live config: this event was stored before routing was recorded)' : live ? '' : ` (routed by config ${routing.v}, since changed)`;
  return { summary: summary + judged, routes: out, ...(routing ? { routedBy: { version: routing.v, live } } : {}) };
}
