// When to try again, and whether to. Retried: network errors, timeouts, 408,
// 429 and 5xx. Anything else that is not 2xx is permanent: the same request
// will get the same answer, so it is dead-lettered at once.
import type { RetryPolicy } from '../config/types.js';

export type Classification = 'success' | 'retry' | 'permanent';

export function classify(status: number | undefined): Classification {
  if (status === undefined) return 'retry'; // no answer: network error or timeout
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'permanent';
}

/** `Retry-After` as seconds or an HTTP date → milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A Retry-After longer than this is treated as this: a day. */
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Delay before the next attempt, after `attempt` attempts have failed: an
 * exponential ceiling (initialDelay · 2^(attempt−1), at most maxDelay) with
 * full jitter above initialDelay, so a burst of failures does not come back in
 * lockstep. A Retry-After from the target is honoured as the minimum.
 */
export function nextDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = policy.initialDelayMs + random() * Math.max(0, ceiling - policy.initialDelayMs);
  const delay = Math.round(jittered);
  return retryAfterMs === undefined ? delay : Math.max(delay, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** How a try ended, as far as the retry policy cares. */
export interface Failure {
  /** The target's answer, when there was one. */
  readonly status?: number;
  /** Why it failed: the transport error, or a description of the answer. */
  readonly error: string;
  /** Refused before or during the call for a reason a retry cannot change (egress rules). */
  readonly permanent?: boolean;
  /** The answer's Retry-After header. */
  readonly retryAfter?: string;
}

export type Decision =
  | { readonly status: 'dead'; readonly error: string; readonly lastStatus?: number }
  | { readonly status: 'pending'; readonly nextAttemptAt: number; readonly error: string; readonly lastStatus?: number };

/**
 * What becomes of a delivery whose `round`-th try failed: dead at once when
 * the failure is permanent or the policy's attempts are spent, else pending
 * until the backoff (or the target's Retry-After) has passed. Pure: the same
 * inputs give the same decision.
 */
export function decide(failure: Failure, round: number, policy: RetryPolicy, now: number, random: () => number = Math.random): Decision {
  const last = failure.status !== undefined ? { lastStatus: failure.status } : {};
  const permanent = failure.permanent === true || (failure.status !== undefined && classify(failure.status) === 'permanent');
  if (permanent) {
    const hint = failure.status !== undefined && failure.status >= 300 && failure.status < 400 ? ' (a redirect: set followRedirects: true to follow it)' : '';
    return { status: 'dead', error: failure.error + hint, ...last };
  }
  if (round >= policy.attempts) return { status: 'dead', error: `${failure.error}; gave up after ${round} attempts`, ...last };
  const delay = nextDelay(policy, round, parseRetryAfter(failure.retryAfter, now), random);
  return { status: 'pending', nextAttemptAt: now + delay, error: failure.error, ...last };
}
