// Target limits shared by every process on one PostgreSQL database, so that N
// replicas together keep a target's `concurrency` and `rateLimit`.
//
// Concurrency: a row per (target, slot), taken with a lease (`until`) that the
// worker's heartbeat renews, so the slots of a process that dies are free again
// once its leases run out. A process refused a slot queues itself in
// `target_waits` while it asks again; free slots go to the processes that have
// waited longest, so a busy process cannot keep every freed slot to itself.
//
// Rate: a row per target with the time of the last call reserved. A reservation
// takes the next times `interval` apart (never before now) in one UPDATE, and
// the caller waits until its time: the calls of all processes are spaced by the
// interval, so no window of `perMs` holds more than `count` (+1 at its edges).
// The interval is the one configured now, so a reload takes effect at once.
import type { LimitStore } from './types.js';

/** Runs one statement (the store's query function: errors become StoreErrors). */
export type Query = <R extends Record<string, unknown>>(what: string, sql: string, params: unknown[], name?: string) => Promise<R[]>;

/** The schema this needs (a migration of the PostgreSQL store). */
export const LIMITS_MIGRATION = `CREATE TABLE target_slots (
     target text NOT NULL,
     slot   integer NOT NULL,
     holder text,
     token  text,
     until  bigint,
     PRIMARY KEY (target, slot)
   );
   CREATE TABLE target_waits (
     target text NOT NULL,
     holder text NOT NULL,
     since  bigint NOT NULL,
     seen   bigint NOT NULL,
     PRIMARY KEY (target, holder)
   );
   CREATE TABLE target_rates (
     target     text PRIMARY KEY,
     last_at    double precision NOT NULL,
     granted_at double precision
   );`;

/** A waiter that has not asked again for this long is gone (its process died): it no longer holds a place in the queue. */
export const WAITER_STALE_MS = 1000;
/** Waiters not seen for this long are deleted (when another waiter leaves the queue). */
const WAITER_FORGOTTEN_MS = 60_000;

const NOW_MS = `(extract(epoch FROM clock_timestamp()) * 1000)`;

export class PostgresLimits implements LimitStore {
  /** The most slots whose rows this process has made sure exist, per target. */
  private readonly ensured = new Map<string, number>();

  constructor(private readonly q: Query) {}

  async takeSlot(target: string, limit: number, holder: string, token: string, leaseMs: number, waiting: boolean): Promise<number | undefined> {
    if ((this.ensured.get(target) ?? 0) < limit) {
      await this.q('could not take a target slot', `INSERT INTO target_slots (target, slot) SELECT $1, s FROM generate_series(0, $2::int - 1) s ON CONFLICT DO NOTHING`, [target, limit]);
      this.ensured.set(target, limit);
    }
    const rows = await this.q<{ slot: number }>(
      'could not take a target slot',
      // The free slots past the first `ahead` (one kept for each process that has waited longer): the first of them, locked
      // (skipping those another process is taking), rechecked free, and leased.
      `WITH now AS (SELECT ${NOW_MS}::bigint AS t),
       me AS (
         INSERT INTO target_waits (target, holder, since, seen) SELECT $1, $3, t, t FROM now WHERE $6::boolean
         ON CONFLICT (target, holder) DO UPDATE SET seen = EXCLUDED.seen RETURNING since),
       ahead AS (
         SELECT count(*)::int AS n FROM target_waits w, now
         WHERE w.target = $1 AND w.holder <> $3 AND w.seen > now.t - $7 AND w.since < coalesce((SELECT since FROM me), now.t + 1)),
       free AS (
         SELECT s.slot FROM target_slots s, now
         WHERE s.target = $1 AND s.slot < $2 AND (s.until IS NULL OR s.until < now.t)
         ORDER BY s.slot OFFSET (SELECT n FROM ahead) LIMIT 1
         FOR UPDATE OF s SKIP LOCKED)
       UPDATE target_slots s SET holder = $3, token = $4, until = now.t + $5
       FROM free, now WHERE s.target = $1 AND s.slot = free.slot
       RETURNING s.slot`,
      [target, limit, holder, token, leaseMs, waiting, WAITER_STALE_MS],
      'sb_take_slot',
    );
    return rows[0]?.slot;
  }

  async releaseSlot(target: string, slot: number, token: string): Promise<void> {
    await this.q(
      'could not release a target slot',
      `UPDATE target_slots SET holder = NULL, token = NULL, until = NULL WHERE target = $1 AND slot = $2 AND token = $3`,
      [target, slot, token],
      'sb_release_slot',
    );
  }

  async stopWaiting(target: string, holder: string): Promise<void> {
    await this.q(
      'could not leave the queue for a target slot',
      `DELETE FROM target_waits WHERE target = $1 AND (holder = $2 OR seen < ${NOW_MS} - $3)`,
      [target, holder, WAITER_FORGOTTEN_MS],
      'sb_stop_waiting',
    );
  }

  async renewSlots(holder: string, leaseMs: number): Promise<void> {
    await this.q('could not renew target slots', `UPDATE target_slots SET until = ${NOW_MS}::bigint + $2 WHERE holder = $1`, [holder, leaseMs], 'sb_renew_slots');
  }

  async reserveCalls(target: string, count: number, intervalMs: number, horizonMs: number): Promise<{ granted: true; waitMs: number } | { granted: false; nextInMs: number }> {
    const [row] = await this.q<{ wait_ms: number | null; next_ms: number }>(
      'could not reserve a call to the target',
      // `EXCLUDED.granted_at` is now (what the INSERT would have written). Every SET sees the row as it was.
      `WITH now AS (SELECT ${NOW_MS} AS t)
       INSERT INTO target_rates AS r (target, last_at, granted_at) SELECT $1, t + ($2::int - 1) * $3::float8, t FROM now
       ON CONFLICT (target) DO UPDATE SET
         granted_at = CASE WHEN r.last_at + $3::float8 <= EXCLUDED.granted_at + $4::float8 THEN greatest(r.last_at + $3::float8, EXCLUDED.granted_at) END,
         last_at = CASE WHEN r.last_at + $3::float8 <= EXCLUDED.granted_at + $4::float8
           THEN greatest(r.last_at + $3::float8, EXCLUDED.granted_at) + ($2::int - 1) * $3::float8 ELSE r.last_at END
       RETURNING r.granted_at - (SELECT t FROM now) AS wait_ms, r.last_at + $3::float8 - (SELECT t FROM now) AS next_ms`,
      [target, count, intervalMs, horizonMs],
      'sb_reserve_calls',
    );
    if (row!.wait_ms !== null) return { granted: true, waitMs: Math.max(0, Number(row!.wait_ms)) };
    return { granted: false, nextInMs: Math.max(0, Number(row!.next_ms)) };
  }
}
