// One claimed delivery → its outcome: plan it (filter, transform, requests),
// make the calls within the target's limits, and decide what happens next.
// Every way it can end — a call's answer, a planning error, a value that cannot
// be serialised, an internal fault — ends in an outcome with its reason, so no
// delivery is left pending with nothing recorded. The one exception is a
// delivery this worker no longer holds: it is abandoned untouched.
import type { Config, Route } from '../config/types.js';
import { parseBody } from '../lib/body.js';
import type { Metrics } from '../observe/metrics.js';
import type { Redactor } from '../observe/redact.js';
import type { AttemptRecord, ClaimedDelivery, Outcome } from '../store/types.js';
import { recordAttempt, recordFailure, recordRequest } from './attempt.js';
import { egressRefusal } from './egress.js';
import type { TargetLimits } from './limits.js';
import { describeError, planDelivery, type PlannedEvent } from './plan.js';
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
  readonly metrics?: Metrics;
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
    return finished(attempts, decide({ error }, round, route.target.retry, Date.now(), ctx.random));
  }
}

async function tryOnce(claim: ClaimedDelivery, route: Route, ctx: DeliverContext, attempts: AttemptRecord[], round: number): Promise<DeliveryResult> {
  const { delivery, event } = claim;
  const target = route.target;
  const parsed = parseBody(event.body, event.contentType);
  if (!parsed.ok) {
    // Ingest refuses such bodies; one stored before a limit was added (JSON nested too deep) cannot be planned.
    const error = `the stored body cannot be used: ${parsed.error}`;
    attempts.push(recordFailure(target.method, target.url.text, error, ctx.redact));
    return finished(attempts, { status: 'dead', error });
  }
  const planned: PlannedEvent = {
    id: event.id,
    source: event.source,
    topic: event.topic,
    headers: event.headers,
    query: event.query ?? {},
    payload: parsed.payload,
    rawBody: event.body,
    ...(event.contentType !== undefined ? { contentType: event.contentType } : {}),
    receivedAt: new Date(event.receivedAt).toISOString(),
  };
  const plan = await planDelivery(route, planned, delivery.id, { maxFanout: ctx.config.server.maxFanout });
  if (plan.outcome === 'filtered') return finished([], { status: 'filtered', reason: plan.reason });
  if (plan.outcome === 'error') {
    // The same event and route give the same error: dead at once, replayable once the config is fixed.
    const error = ctx.redact.text(plan.message);
    attempts.push(recordFailure(target.method, target.url.text, error, ctx.redact));
    return finished(attempts, { status: 'dead', error });
  }

  for (const req of plan.requests) {
    // A broker, mail server or command is a place the config itself names (its URL cannot be templated): egress allows it.
    const refusal = req.message ? undefined : egressRefusal(req.url, ctx.config);
    if (refusal) {
      const error = ctx.redact.text(refusal);
      attempts.push({ startedAt: Date.now(), durationMs: 0, request: recordRequest(req, ctx.redact), error });
      return finished(attempts, { status: 'dead', error });
    }
    const release = await ctx.limits.acquire(target);
    let result: SendResult;
    let startedAt: number;
    const signed = target.sign && !req.message ? signRequest(req, target.sign.key) : req;
    try {
      // The slot or the token may have taken long: make sure the call cannot outlive the claim.
      if (!(await ctx.stillHeld(target.timeoutMs))) return { kind: 'abandoned', reason: 'its lease could not be kept', attempts };
      startedAt = Date.now();
      result = signed.message ? await ctx.sender.publish(target, signed.message) : await ctx.sender.send(signed, target, ctx.config);
    } finally {
      release();
    }
    ctx.metrics?.attempt(target.name, result.durationMs / 1000, result.confirmed ? 'confirmed' : result.status);
    attempts.push(recordAttempt(signed, startedAt, result, ctx.redact));
    if (req.message ? result.confirmed === true : classify(result.status) === 'success' && !result.error) continue;
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

function finished(attempts: readonly AttemptRecord[], outcome: Outcome): DeliveryResult {
  return { kind: 'finished', attempts, outcome };
}
