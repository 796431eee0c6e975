// The store: where an event and its deliveries become durable before the
// sender gets its 200. It knows nothing of HTTP; SQLite and PostgreSQL
// implement the same interface (and pass the same tests).

export interface NewEvent {
  readonly source: string;
  readonly topic: string;
  /** The sender's delivery id (absorbs resends), when it has one. */
  readonly deliveryId?: string;
  /** Milliseconds since the epoch. */
  readonly receivedAt: number;
  /** Lower-cased names; credential headers already masked. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly contentType?: string;
  /** Query-string parameters of the webhook URL ($query in expressions). */
  readonly query?: Readonly<Record<string, string>>;
  /** Routes whose topics match: one pending delivery each. */
  readonly routes: readonly string[];
  /** How the config stood when the event was routed (for "why did it not fire"). */
  readonly routing?: RoutingRecord;
}

/**
 * Kept with each event: the config version that routed it and the routes of its
 * source whose topics did not match then (the others got a delivery each).
 */
export interface RoutingRecord {
  /** The config version (the first 12 hex digits of its hash). */
  readonly v: string;
  /** Routes of the source whose topics did not match, in file order (at most ROUTING_MAX_NAMES). */
  readonly miss: readonly string[];
  /** How many more did not match, past the names kept. */
  readonly more?: number;
}

export const ROUTING_MAX_NAMES = 50;

export interface IngestResult {
  readonly eventId: string;
  /** True when (source, deliveryId) was seen before: nothing new was queued. */
  readonly duplicate: boolean;
  readonly deliveries: number;
}

export interface StoredEvent {
  readonly id: string;
  readonly source: string;
  readonly topic: string;
  readonly deliveryId?: string;
  readonly receivedAt: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string>>;
  /** How the config stood when it was routed (events stored before this was kept have none). */
  readonly routing?: RoutingRecord;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'filtered' | 'dead' | 'cancelled';

export interface StoredDelivery {
  readonly id: string;
  readonly eventId: string;
  readonly route: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly createdAt: number;
  /** The last HTTP status a target answered, if any. */
  readonly lastStatus?: number;
  /** Why the delivery is where it is: the last error, the filter's verdict, the cancellation reason. */
  readonly lastError?: string;
}

/** A delivery claimed by a worker, with what it needs to do the work. */
export interface ClaimedDelivery {
  readonly delivery: StoredDelivery;
  readonly event: StoredEvent;
}

/** One HTTP call made for a delivery, as shown in the inspector (secrets already masked). */
export interface AttemptRecord {
  readonly startedAt: number;
  readonly durationMs: number;
  readonly request: { readonly method: string; readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly body?: string };
  readonly responseStatus?: number;
  readonly responseHeaders?: Readonly<Record<string, string>>;
  /** The first 4 KiB of the answer. */
  readonly responseBody?: string;
  readonly error?: string;
}

export interface StoredAttempt extends AttemptRecord {
  readonly deliveryId: string;
}

/** What became of a claimed delivery. The lease is released in the same write. */
export type Outcome =
  | { readonly status: 'succeeded'; readonly lastStatus?: number }
  | { readonly status: 'filtered'; readonly reason: string }
  | { readonly status: 'dead'; readonly lastStatus?: number; readonly error: string }
  | { readonly status: 'cancelled'; readonly reason: string }
  /** Try again at `nextAttemptAt`. */
  | { readonly status: 'pending'; readonly nextAttemptAt: number; readonly lastStatus?: number; readonly error: string };

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Target limits shared by every process on this store (PostgreSQL). Absent on
   * a store only one process uses (SQLite): its limits are kept in memory.
   */
  readonly limits?: LimitStore;
  /** The event and one pending delivery per route, in one transaction; a known (source, deliveryId) adds nothing. */
  ingest(event: NewEvent): Promise<IngestResult>;
  /**
   * Several events from one request (a split batch), all in one transaction:
   * every event and its deliveries are durable, or (the promise rejects with a
   * StoreError) none is. Each is deduplicated as `ingest` does, against what
   * was stored before and against the earlier ones of the same batch. One
   * result per event, in input order; an empty batch answers [] and writes
   * nothing. It shares its commit with the ingests of the same turn.
   */
  ingestMany(events: readonly NewEvent[]): Promise<IngestResult[]>;
  getEvent(id: string): Promise<StoredEvent | undefined>;
  deliveriesFor(eventId: string): Promise<StoredDelivery[]>;
  countEvents(): Promise<number>;
  /**
   * Claims up to `limit` due deliveries for `owner` until `now + leaseMs`; a
   * lease that runs out (its worker died) makes the delivery claimable again.
   * With `shares`, routes are grouped (by target) and each group gets at most
   * its room: a group with no room is skipped, so the deliveries queued behind
   * its backlog are reached, and the groups take turns (the oldest of each, then
   * the second of each, …). Each route's oldest are read by an index, so the
   * claim costs its rooms, not the backlog. Routes not listed are found at the
   * front of the queue only (its first `limit` due deliveries).
   */
  claimDue(owner: string, now: number, leaseMs: number, limit: number, shares?: ClaimShares): Promise<ClaimedDelivery[]>;
  /**
   * Extends `owner`'s leases on `ids` to `until` (a heartbeat while the work is
   * in progress). Returns the ids still held by `owner`: one missing from the
   * answer was lost (settled, or taken over after its lease ran out) and must
   * not be sent.
   */
  renewLeases(owner: string, ids: readonly string[], until: number): Promise<string[]>;
  /**
   * Records the calls made (possibly none) and the outcome, releasing the claim.
   * The delivery's `attempts` counts tries: one per finish that made any call
   * (an `each` delivery makes several calls per try).
   */
  finish(deliveryId: string, owner: string, attempts: readonly AttemptRecord[], outcome: Outcome): Promise<void>;
  attemptsFor(deliveryId: string): Promise<StoredAttempt[]>;
  getDelivery(id: string): Promise<StoredDelivery | undefined>;
  /**
   * When the next unclaimed pending delivery falls due (undefined: none). Claimed
   * ones are left out: their worker reports back, and a lease that runs out
   * (a crashed process) is found by the worker's poll.
   */
  nextDueAt(): Promise<number | undefined>;
  /**
   * Replays an event: a new pending delivery, due now, for each of `routes`
   * (the routes that match it in the config as it is now). New deliveries have
   * new ids, so receivers do not drop a deliberate replay as a duplicate.
   * Returns the new delivery ids (none when the event does not exist).
   */
  replayEvent(eventId: string, routes: readonly string[], now: number): Promise<string[]>;
  /** Newest first; `cursor` is the last id of the previous page. */
  listEvents(query: EventQuery): Promise<EventPage>;
  /**
   * Deliveries matching a bulk filter (bulk retry): the first `limit`, oldest
   * first (by delivery id, which sorts by creation), and how many match in all
   * (counted, not loaded: a dry run over 100,000 stays cheap).
   */
  findDeliveries(filter: BulkFilter): Promise<Matches<MatchedDelivery>>;
  /**
   * Events matching a bulk filter (bulk replay): the first `limit`, oldest
   * first (by event id, which sorts by arrival), after `cursor` when given,
   * and how many match in all (from `cursor` on).
   */
  findEvents(filter: BulkFilter): Promise<Matches<EventSummary>>;
  /**
   * Deletes up to `batch` events received before `cutoff` whose deliveries are
   * all settled (succeeded, filtered, cancelled) — never one with a pending or
   * dead delivery. Returns how many; call again while it returns `batch`.
   */
  prune(cutoff: number, batch: number): Promise<number>;
  /** Queue figures for metrics and health. */
  queueStats(now: number): Promise<QueueStats>;
  /** One dead (or cancelled) delivery back to pending. False when it is not dead or cancelled. */
  retryDelivery(deliveryId: string, now: number): Promise<boolean>;
  /**
   * At start-up: leases held by a previous run of this same store. A SQLite file
   * has one server, so every lease in it is stale; a shared database (PostgreSQL)
   * leaves leases to expire.
   */
  releaseStaleLeases(): Promise<number>;
  /**
   * The leases one owner holds, released at once: that owner (a delivery thread)
   * is gone, so its deliveries are due again now rather than when their leases
   * run out. Returns how many were released.
   */
  releaseLeasesOf(owner: string): Promise<number>;
  /** Can the store be written to right now? For /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A target's `concurrency` and `rateLimit` kept where several processes see
 * them: each operation is one statement. Times are the database's clock, and
 * waits are returned relative to it, so the processes' clocks need not agree.
 */
export interface LimitStore {
  /**
   * Takes one of the target's slots below `limit` for `holder` (leased for
   * `leaseMs`, so a process that dies frees it) and returns it, or undefined
   * when every slot is held — or the free ones are left for the processes that
   * have waited longer. `waiting`: this holder has already been refused and is
   * asking again (it is then queued, and keeps its place while it asks).
   */
  takeSlot(target: string, limit: number, holder: string, token: string, leaseMs: number, waiting: boolean): Promise<number | undefined>;
  /** Frees a slot taken with `token` (a slot whose lease ran out and was taken again is left alone). */
  releaseSlot(target: string, slot: number, token: string): Promise<void>;
  /** Leaves the queue of the target's waiters (after a slot was taken, having waited). */
  stopWaiting(target: string, holder: string): Promise<void>;
  /** Extends every slot `holder` has for `leaseMs` more (the worker's heartbeat). */
  renewSlots(holder: string, leaseMs: number): Promise<void>;
  /**
   * Reserves `count` call times `intervalMs` apart, after the target's last
   * reserved one (whoever reserved it) and not before now; the reservation is
   * refused when the first would be more than `horizonMs` away. Answers how
   * long to wait until the first (granted), or until the target's next free
   * time (refused).
   */
  reserveCalls(target: string, count: number, intervalMs: number, horizonMs: number): Promise<{ granted: true; waitMs: number } | { granted: false; nextInMs: number }>;
}

/** Per-target budgets for one claim (delivery fairness). */
export interface ClaimShares {
  /**
   * Each route with the group it counts against (its target) and how many more
   * deliveries that group may take (the same for every route of a group; 0: none).
   * Routes not listed are not limited (a removed route's deliveries, cancelled at once).
   */
  readonly routes: readonly { readonly route: string; readonly group: string; readonly room: number }[];
}

export interface EventQuery {
  readonly source?: string;
  readonly topic?: string;
  /** Events with at least one delivery in this state. */
  readonly status?: DeliveryStatus;
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * A bulk retry or replay filter. Every key narrows; none given matches all.
 * Times are the event's arrival (`receivedAt`), for deliveries too.
 */
export interface BulkFilter {
  readonly source?: string;
  /** As routes' topics: `*` any run of characters (dots included), `?` one; without either, the exact topic. */
  readonly topic?: string;
  /** Deliveries: to this route. Events: with a delivery to this route (in `status`, when given). */
  readonly route?: string;
  /** Deliveries: in this state. Events: with at least one delivery in this state. */
  readonly status?: DeliveryStatus;
  /** Received at or after (ms since the epoch). */
  readonly since?: number;
  /** Received before (ms since the epoch). */
  readonly until?: number;
  /** Events only: those after this event id (the previous run's last one). */
  readonly cursor?: string;
  /** How many to load (the count is of all that match). */
  readonly limit: number;
}

export interface Matches<T> {
  /** How many match in all (may exceed what was loaded). */
  readonly total: number;
  /** The first `limit` of them, oldest first. */
  readonly items: readonly T[];
}

/** A delivery with what the bulk answer shows of its event. */
export interface MatchedDelivery extends StoredDelivery {
  readonly source: string;
  readonly topic: string;
  readonly receivedAt: number;
}

export interface EventSummary {
  readonly id: string;
  readonly source: string;
  readonly topic: string;
  readonly deliveryId?: string;
  readonly receivedAt: number;
  readonly size: number;
  /** How many of its deliveries are in each state. */
  readonly deliveries: Readonly<Partial<Record<DeliveryStatus, number>>>;
}

export interface EventPage {
  readonly events: readonly EventSummary[];
  /** Pass back for the next (older) page; absent on the last page. */
  readonly nextCursor?: string;
}

export interface QueueStats {
  readonly pending: number;
  readonly dead: number;
  /** Seconds since the oldest pending delivery was created (0 when none). */
  readonly oldestPendingAgeSeconds: number;
}

/** A problem with the store the server cannot fix itself (answered 503, never 200). */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/** A delivery's outcome as a worker reports it: what the stores batch into one commit. */
export interface Finishing {
  deliveryId: string;
  owner: string;
  attempts: readonly AttemptRecord[];
  outcome: Outcome;
}
