// One claimed delivery → its outcome: plan it (filter, transform, requests),
// make the calls within the target's limits, and decide what happens next.
// Every way it can end — a call's answer, a planning error, a value that cannot
// be serialised, an internal fault — ends in an outcome with its reason, so no
// delivery is left pending with nothing recorded. The one exception is a
// delivery this worker no longer holds: it is abandoned untouched.
import type { Config, Route } from '../config/types.js';
import { freshPayload } from '../event/fresh.js';
import { recordedEvent } from '../event/planned.js';
import { parseBody } from '../lib/body.js';
import type { DeliveryMetrics } from '../observe/metrics.js';
import type { Redactor } from '../observe/redact.js';
import { TRACE_HEADER, tracing, type AttemptInfo, type AttemptSpan } from '../observe/trace.js';
import type { AttemptRecord, ClaimedDelivery, Outcome } from '../store/types.js';
import { recordAttempt, recordFailure, recordRequest } from './attempt.js';
import { egressRefusal } from './egress.js';
import type { TargetLimits } from './limits.js';
import { describeError, planDelivery, type OutgoingRequest } from './plan.js';
import { classify, decide } from './retry.js';
import type { Sender, SendResult } from './sender.js';
import { signRequest } from './sign.js';

export interface DeliverContext {
  readonly config: Config;
  /** The delivery's route as the config is now (undefined: removed). */
  readonly route: Route | undefined;
  readonly redact: Redactor;
  readonly sender: Sender;
  readonly limits: TargetLimits;
  readonly metrics?: DeliveryMetrics;
  readonly random?: () => number;
  /**
   * Asked with the slot and token held, right before each call: true when this
   * worker still holds the delivery for at least `ms` more (renewing if need be).
   * False means another worker may take it over mid-call, so the call is not made.
   */
  readonly stillHeld: (ms: number) => Promise<boolean>;
}

export type DeliveryResult =
  | { readonly kind: 'finished'; readonly attempts: readonly AttemptRecord[]; readonly outcome: Outcome }
  | { readonly kind: 'abandoned'; readonly reason: string; readonly attempts: readonly AttemptRecord[] };

export async function deliver(claim: ClaimedDelivery, ctx: DeliverContext): Promise<DeliveryResult> {
  const { delivery } = claim;
  const route = ctx.route;
  // Deliveries are sent with their route as it is now: a removed route cancels them.
  if (!route) return finished([], { status: 'cancelled', reason: `route "${delivery.route}" is no longer in the config` });
  const attempts: AttemptRecord[] = [];
  const round = delivery.attempts + 1;
  try {
    return await tryOnce(claim, route, ctx, attempts, round);
  } catch (err) {
    // A fault of ours, not the target's: recorded and retried by the policy like a failed call, so it ends dead, never stuck.
    const error = `internal error while delivering: ${describeError(err)}`;
    attempts.push(recordFailure(route.target.method, route.target.url.text, error, ctx.redact));
    traceFailure(claim, route, round, 'internal', ctx.redact.text(error));
    return finished(attempts, decide({ error }, round, route.target.retry, Date.now(), ctx.random));
  }
}

async function tryOnce(claim: ClaimedDelivery, route: Route, ctx: DeliverContext, attempts: AttemptRecord[], round: number): Promise<DeliveryResult> {
  const { delivery, event } = claim;
  const target = route.target;
  // Parsed at ingest moments ago, when this process took it in; else from the stored bytes.
  const parsed = freshPayload(event.id) ?? parseBody(event.body, event.contentType);
  if (!parsed.ok) {
    // Ingest refuses such bodies; one stored before a limit was added (JSON nested too deep) cannot be planned.
    const error = `the stored body cannot be used: ${parsed.error}`;
    attempts.push(recordFailure(target.method, target.url.text, error, ctx.redact));
    traceFailure(claim, route, round, 'unusable_body', ctx.redact.text(error));
    return finished(attempts, { status: 'dead', error });
  }
  const planned = recordedEvent(event, parsed.payload);
  const plan = await planDelivery(route, planned, delivery.id, { maxFanout: ctx.config.server.maxFanout });
  if (plan.outcome === 'filtered') return finished([], { status: 'filtered', reason: plan.reason });
  if (plan.outcome === 'error') {
    // The same event and route give the same error: dead at once, replayable once the config is fixed.
    const error = ctx.redact.text(plan.message);
    attempts.push(recordFailure(target.method, target.url.text, error, ctx.redact));
    traceFailure(claim, route, round, 'planning', error);
    return finished(attempts, { status: 'dead', error });
  }

  for (const req of plan.requests) {
    // A broker, mail server or command is a place the config itself names (its URL cannot be templated): egress allows it.
    const refusal = req.message ? undefined : egressRefusal(req.url, ctx.config);
    if (refusal) {
      const error = ctx.redact.text(refusal);
      attempts.push({ startedAt: Date.now(), durationMs: 0, request: recordRequest(req, ctx.redact), error });
      traceFailure(claim, route, round, 'egress_refused', error);
      return finished(attempts, { status: 'dead', error });
    }
    const release = await ctx.limits.acquire(target);
    let result: SendResult;
    let startedAt: number;
    let sent = target.sign && !req.message ? signRequest(req, target.sign.key) : req;
    let span: AttemptSpan | undefined;
    try {
      // The slot or the token may have taken long: make sure the call cannot outlive the claim.
      if (!(await ctx.stillHeld(target.timeoutMs))) return { kind: 'abandoned', reason: 'its lease could not be kept', attempts };
      startedAt = Date.now();
      const tracer = tracing();
      if (tracer) {
        span = tracer.attempt(attemptInfo(claim, route, round, sent.method, startedAt));
        sent = withTraceparent(sent, span.traceparent);
      }
      // Should this throw, the span is left unended (never exported): deliver() records the fault and its span.
      result = sent.message ? await ctx.sender.publish(target, sent.message) : await ctx.sender.send(sent, target, ctx.config);
    } finally {
      release();
    }
    ctx.metrics?.attempt(target.name, result.durationMs / 1000, result.confirmed ? 'confirmed' : result.status);
    attempts.push(recordAttempt(sent, startedAt, result, ctx.redact));
    const ok = req.message ? result.confirmed === true : classify(result.status) === 'success' && !result.error;
    span?.end({
      status: result.status,
      durationMs: result.durationMs,
      ...(ok ? {} : { errorClass: errorClass(result), ...(result.error ? { error: ctx.redact.text(result.error) } : {}) }),
    });
    if (ok) continue;
    const error = result.error ? ctx.redact.text(result.error) : `target answered ${result.status}`;
    const refused = result.refused === true || result.permanent === true;
    return finished(
      attempts,
      decide(
        {
          error,
          ...(result.status !== undefined ? { status: result.status } : {}),
          ...(refused ? { permanent: true } : {}),
          ...(result.headers?.['retry-after'] ? { retryAfter: result.headers['retry-after'] } : {}),
        },
        round,
        target.retry,
        Date.now(),
        ctx.random,
      ),
    );
  }
  const last = attempts[attempts.length - 1];
  return finished(attempts, { status: 'succeeded', ...(last?.responseStatus !== undefined ? { lastStatus: last.responseStatus } : {}) });
}

function attemptInfo(claim: ClaimedDelivery, route: Route, round: number, method: string, startedAt?: number): AttemptInfo {
  const { delivery, event } = claim;
  return {
    route: route.name,
    target: route.target.name,
    kind: route.target.kind,
    attempt: round,
    deliveryId: delivery.id,
    eventId: event.id,
    method,
    // The receipt span kept with the event; an event stored while traces were off links to its sender's span, if any.
    link: event.headers[TRACE_HEADER] ?? event.headers.traceparent,
    ...(startedAt !== undefined ? { startedAt } : {}),
  };
}

/** A try that ended before any call (planning, egress, an internal fault): a span too, so a dead delivery shows why. */
function traceFailure(claim: ClaimedDelivery, route: Route, round: number, errorClass: string, error: string): void {
  const tracer = tracing();
  if (!tracer) return;
  tracer.attempt(attemptInfo(claim, route, round, route.target.method)).end({ errorClass, error, durationMs: 0 });
}

/**
 * The attempt span's traceparent goes with the call: as an HTTP header, or on a
 * message for the kinds that carry headers. A target that sets its own
 * `traceparent` header keeps it.
 */
function withTraceparent(req: OutgoingRequest, traceparent: string): OutgoingRequest {
  if (req.message) {
    if (hasHeader(req.message.headers, 'traceparent')) return req;
    return { ...req, message: { ...req.message, traceparent } };
  }
  if (hasHeader(req.headers, 'traceparent')) return req;
  return { ...req, headers: { ...req.headers, traceparent } };
}

function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

/** A failed call's class for the span (bounded): the status answered, or what kept the call from an answer. */
function errorClass(result: SendResult): string {
  if (result.refused) return 'egress_refused';
  if (result.status !== undefined) return String(result.status);
  if (result.permanent) return 'refused_permanently';
  if (result.error === undefined) return 'unconfirmed';
  return /timed? ?out|timeout|within \d+ ?ms|deadline/i.test(result.error) ? 'timeout' : 'error';
}

function finished(attempts: readonly AttemptRecord[], outcome: Outcome): DeliveryResult {
  return { kind: 'finished', attempts, outcome };
}
