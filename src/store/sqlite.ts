// The embedded store: one SQLite file in WAL mode. A commit is durable against
// a crash of the process (kill -9) with synchronous=NORMAL, the default here;
// `?synchronous=full` in the store URL makes it durable against power loss too,
// at the cost of an fsync per webhook.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BACKGROUND_AUTOCHECKPOINT, Checkpointer, INLINE_AUTOCHECKPOINT } from './checkpointer.js';
import { commitGroups, GroupCommit } from './group-commit.js';
import { newId } from './ids.js';
import { routingText, toAttempt, toDelivery, toEvent, type DeliveryRow } from './rows.js';
import {
  StoreError,
  type AttemptRecord,
  type BulkFilter,
  type ClaimedDelivery,
  type ClaimShares,
  type EventPage,
  type EventQuery,
  type EventSummary,
  type Finishing,
  type QueueStats,
  type IngestResult,
  type MatchedDelivery,
  type Matches,
  type NewEvent,
  type Outcome,
  type RoutingRecord,
  type Store,
  type StoredAttempt,
  type StoredDelivery,
  type StoredEvent,
} from './types.js';
import { errorMessage } from '../lib/errors.js';

/** Versioned schema changes, applied in order; PRAGMA user_version records how far a file is. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     id           TEXT PRIMARY KEY,
     source       TEXT NOT NULL,
     topic        TEXT NOT NULL,
     delivery_id  TEXT,
     received_at  INTEGER NOT NULL,
     headers      TEXT NOT NULL,
     body         BLOB NOT NULL,
     content_type TEXT
   );
   CREATE UNIQUE INDEX events_source_delivery_id ON events (source, delivery_id) WHERE delivery_id IS NOT NULL;
   CREATE INDEX events_received_at ON events (received_at);
   CREATE TABLE deliveries (
     id              TEXT PRIMARY KEY,
     event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
     route           TEXT NOT NULL,
     status          TEXT NOT NULL DEFAULT 'pending',
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     lease_owner     TEXT,
     lease_until     INTEGER,
     last_error      TEXT,
     created_at      INTEGER NOT NULL,
     updated_at      INTEGER NOT NULL
   );
   CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
   CREATE INDEX deliveries_event ON deliveries (event_id);`,
  `ALTER TABLE deliveries ADD COLUMN last_status INTEGER;
   ALTER TABLE events ADD COLUMN query TEXT;
   CREATE TABLE attempts (
     id               INTEGER PRIMARY KEY AUTOINCREMENT,
     delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
     started_at       INTEGER NOT NULL,
     duration_ms      REAL NOT NULL,
     request          TEXT NOT NULL,
     response_status  INTEGER,
     response_headers TEXT,
     response_body    TEXT,
     error            TEXT
   );
   CREATE INDEX attempts_delivery ON attempts (delivery_id);`,
  // A one-row table that readiness probes write to after a failed write (disk full…).
  `CREATE TABLE write_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);`,
  // Each route's queue in due order: a claim with shares reads the front of every route with room, never a backlog.
  `CREATE INDEX deliveries_route_due ON deliveries (route, next_attempt_at) WHERE status = 'pending';`,
  // How the config stood when each event was routed: its version and the routes whose topics did not match.
  `ALTER TABLE events ADD COLUMN routing TEXT;`,
];

/**
 * A shared claim's choice among the candidates (deduplicated): listed routes count
 * against their group's room, routes not listed are not limited (each its own
 * group). Groups take turns, oldest first within each, until `limit`.
 */
function pickShares(listed: ReadonlyMap<string, ClaimShares['routes'][number]>, limit: number, candidates: readonly DeliveryRow[]): DeliveryRow[] {
  const groups = new Map<string, { room: number; rows: DeliveryRow[] }>();
  const seen = new Set<string>();
  for (const row of candidates) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    const share = listed.get(row.route);
    // Routes not listed are not limited; each is a group of its own (the key cannot clash: it starts with a NUL).
    const key = share ? share.group : `\u0000${row.route}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { room: share ? share.room : Infinity, rows: [] }));
    g.rows.push(row);
  }
  const ranked: { row: DeliveryRow; rank: number }[] = [];
  for (const g of groups.values()) {
    g.rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || (a.id < b.id ? -1 : 1));
    g.rows.slice(0, g.room).forEach((row, rank) => ranked.push({ row, rank }));
  }
  ranked.sort((a, b) => a.rank - b.rank || Number(a.row.next_attempt_at) - Number(b.row.next_attempt_at) || (a.row.id < b.row.id ? -1 : 1));
  return ranked.slice(0, limit).map((r) => r.row);
}

/** Past this many routes with room, looking behind a clogged queue is one scan that skips the full routes, not a query per route. */
const PER_ROUTE_QUERIES = 64;

export function parseSqliteUrl(url: string): { path: string; synchronous: 'NORMAL' | 'FULL' } {
  const rest = url.slice('sqlite:'.length);
  const [path, query] = rest.split('?') as [string, string | undefined];
  const params = new URLSearchParams(query ?? '');
  return { path: path === ':memory:' ? path : resolve(path), synchronous: params.get('synchronous')?.toUpperCase() === 'FULL' ? 'FULL' : 'NORMAL' };
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly ingestTx: Database.Transaction<(e: NewEvent) => IngestResult>;
  private readonly ingestBatchTx: Database.Transaction<(es: NewEvent[]) => IngestResult[]>;
  /** Each item a group: one event from `ingest`, a whole split batch from `ingestMany`. */
  private readonly ingests: GroupCommit<readonly NewEvent[], IngestResult[]>;
  private readonly outcomes: GroupCommit<Finishing, void>;
  private readonly insertAttempt: Database.Statement;
  private readonly settleDelivery: Database.Statement;
  private readonly finishTx: Database.Transaction<(batch: Finishing[]) => void>;
  private readonly claimTx: Database.Transaction<(owner: string, now: number, leaseMs: number, limit: number, shares?: ClaimShares) => ClaimedDelivery[]>;
  /** Set when a write failed (disk full, I/O error): readiness then probes with a write until one succeeds. */
  private writeFailing = false;
  /** Statements prepared once and reused: preparing is a real cost on the worker's hot path. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly findDuplicate: Database.Statement<[string, string], { id: string }>;
  private readonly insertEvent: Database.Statement;
  private readonly insertDelivery: Database.Statement;
  private readonly checkpointer: Checkpointer | undefined;

  /** The connection holding `<path>.lock` while the store is open (none for `:memory:`). */
  private readonly lock: Database.Database | undefined;

  /**
   * `inProcess`: another connection of this process (a delivery thread's), opened
   * while the process's own store holds the file's lock and runs its checkpoints:
   * this one takes neither. Only the server's delivery threads open one.
   */
  constructor(url: string, opts: { inProcess?: boolean } = {}) {
    const { path, synchronous } = parseSqliteUrl(url);
    if (path !== ':memory:' && !opts.inProcess) {
      mkdirSync(dirname(path), { recursive: true });
      this.lock = lockStore(path);
    }
    try {
      this.db = new Database(path);
    } catch (err) {
      this.lock?.close();
      throw new StoreError(`cannot open SQLite store at ${path}: ${errorMessage(err)}`);
    }
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${synchronous}`);
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.migrate();
    } catch (err) {
      this.db.close();
      this.lock?.close();
      throw err;
    }
    // The process's own store checkpoints in the background; this connection leaves the copying to it.
    if (opts.inProcess) this.db.pragma(`wal_autocheckpoint = ${BACKGROUND_AUTOCHECKPOINT}`);
    else if (path !== ':memory:') {
      this.checkpointer = Checkpointer.start(path, (running) => {
        if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${running ? BACKGROUND_AUTOCHECKPOINT : INLINE_AUTOCHECKPOINT}`);
      });
    }
    this.findDuplicate = this.db.prepare('SELECT id FROM events WHERE source = ? AND delivery_id = ?');
    this.insertEvent = this.db.prepare('INSERT INTO events (id, source, topic, delivery_id, received_at, headers, body, content_type, query, routing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.insertDelivery = this.db.prepare('INSERT INTO deliveries (id, event_id, route, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.ingestTx = this.db.transaction((e: NewEvent): IngestResult => {
      if (e.deliveryId !== undefined) {
        const existing = this.findDuplicate.get(e.source, e.deliveryId);
        if (existing) return { eventId: existing.id, duplicate: true, deliveries: 0 };
      }
      const id = newId('evt');
      this.insertEvent.run(
        id,
        e.source,
        e.topic,
        e.deliveryId ?? null,
        e.receivedAt,
        JSON.stringify(e.headers),
        e.body,
        e.contentType ?? null,
        e.query && Object.keys(e.query).length ? JSON.stringify(e.query) : null,
        routingText(e.routing),
      );
      for (const route of e.routes) this.insertDelivery.run(newId('dlv'), id, route, e.receivedAt, e.receivedAt, e.receivedAt);
      return { eventId: id, duplicate: false, deliveries: e.routes.length };
    });
    this.ingestBatchTx = this.db.transaction((es: NewEvent[]) => es.map((e) => this.ingestTx(e)));
    this.insertAttempt = this.db.prepare(
      `INSERT INTO attempts (delivery_id, started_at, duration_ms, request, response_status, response_headers, response_body, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.settleDelivery = this.db.prepare(
      `UPDATE deliveries SET status = ?, attempts = attempts + ?, next_attempt_at = COALESCE(?, next_attempt_at),
         last_status = COALESCE(?, last_status), last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
       WHERE id = ? AND lease_owner = ?`,
    );
    const due = this.db.prepare(
      `SELECT * FROM deliveries
       WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
       ORDER BY next_attempt_at LIMIT ?`,
    );
    const lease = this.db.prepare('UPDATE deliveries SET lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?');
    const eventById = this.db.prepare('SELECT * FROM events WHERE id = ?');
    // With shares: the oldest due of each route with room (by its index), and the front of the queue for routes not listed.
    const dueOfRoute = this.db.prepare(
      `SELECT * FROM deliveries INDEXED BY deliveries_route_due
       WHERE route = ? AND status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
       ORDER BY next_attempt_at LIMIT ?`,
    );
    // Due deliveries, in due order, of routes not in a list: the queue behind what is full.
    const dueExcept = this.db.prepare(
      `SELECT * FROM deliveries
       WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
         AND route NOT IN (SELECT value FROM json_each(?))
       ORDER BY next_attempt_at LIMIT ?`,
    );
    // First the front of the queue, capped by each group's room: one query, and all there is to do
    // when no group's room runs out and no route with room is missing from it. Else what waits
    // behind is reached too: by each open route's index when there are few (so groups also take
    // turns within a claim), else by one scan that skips the routes with no room left.
    const dueShared = (now: number, limit: number, shares: ClaimShares): DeliveryRow[] => {
      const front = due.all(now, now, limit) as DeliveryRow[];
      const groupOf = new Map(shares.routes.map((r) => [r.route, r]));
      const picked = pickShares(groupOf, limit, front);
      // Nothing capped, and either the queue ends within the front or every route with room is in it: done.
      const inFront = new Set(front.map((r) => r.route));
      if (picked.length === front.length && (front.length < limit || shares.routes.every((r) => r.room === 0 || inFront.has(r.route)))) return picked;
      const used = new Map<string, number>();
      for (const row of picked) {
        const g = groupOf.get(row.route)?.group;
        if (g !== undefined) used.set(g, (used.get(g) ?? 0) + 1);
      }
      const closed = shares.routes.filter((r) => r.room - (used.get(r.group) ?? 0) <= 0);
      const open = shares.routes.filter((r) => r.room - (used.get(r.group) ?? 0) > 0);
      const behind =
        open.length <= PER_ROUTE_QUERIES
          ? [...open.flatMap((r) => dueOfRoute.all(r.route, now, now, r.room) as DeliveryRow[]), ...front.filter((r) => !groupOf.has(r.route))]
          : (dueExcept.all(now, now, JSON.stringify(closed.map((r) => r.route)), limit) as DeliveryRow[]);
      return pickShares(groupOf, limit, [...picked, ...behind]);
    };
    this.claimTx = this.db.transaction((owner: string, now: number, leaseMs: number, limit: number, shares?: ClaimShares) => {
      const rows = shares ? dueShared(now, limit, shares) : (due.all(now, now, limit) as DeliveryRow[]);
      const events = new Map<string, StoredEvent>();
      return rows.map((r) => {
        lease.run(owner, now + leaseMs, now, r.id);
        let event = events.get(r.event_id);
        if (!event) {
          event = eventOf(eventById.get(r.event_id) as SqliteEventRow);
          events.set(r.event_id, event);
        }
        return { delivery: toDelivery(r), event };
      });
    });
    this.finishTx = this.db.transaction((batch: Finishing[]) => {
      for (const f of batch) this.finishOne(f);
    });
    const written = (ok: boolean) => (this.writeFailing = !ok);
    this.ingests = new GroupCommit(
      commitGroups((es: NewEvent[]) => this.commitIngests(es)),
      written,
      'could not store the event',
    );
    this.outcomes = new GroupCommit<Finishing, void>(
      (batch) => {
        this.finishTx.immediate(batch);
        return batch.map(() => undefined);
      },
      written,
      'store operation failed',
    );
  }

  private migrate() {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new StoreError(`the store was written by a newer Switchboard (schema ${version}, this one knows ${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db
        .transaction(() => {
          this.db.exec(MIGRATIONS[v]!);
          this.db.pragma(`user_version = ${v + 1}`);
        })
        .immediate();
    }
  }

  /** Ingests arriving in the same turn of the event loop share one transaction (see GroupCommit). */
  async ingest(e: NewEvent): Promise<IngestResult> {
    if (!this.db.open) throw new StoreError('could not store the event: the store is closed');
    const [result] = await this.ingests.add([e]);
    return result!;
  }

  /** One transaction, shared with the other ingests of the turn: a failure anywhere rolls back every event of the batch. */
  async ingestMany(events: readonly NewEvent[]): Promise<IngestResult[]> {
    if (!this.db.open) throw new StoreError('could not store the event: the store is closed');
    if (events.length === 0) return [];
    return this.ingests.add([...events]);
  }

  /** The events of one turn, all in one IMMEDIATE transaction (each deduplicated against those before it). */
  private commitIngests(es: NewEvent[]): IngestResult[] {
    // IMMEDIATE: take the write lock up front, so another process cannot slip in between a dedup read and its insert.
    return this.ingestBatchTx.immediate(es);
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const row = this.stmt('SELECT * FROM events WHERE id = ?').get(id) as SqliteEventRow | undefined;
    return row && eventOf(row);
  }

  async deliveriesFor(eventId: string): Promise<StoredDelivery[]> {
    const rows = this.stmt('SELECT * FROM deliveries WHERE event_id = ? ORDER BY rowid').all(eventId) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  async getDelivery(id: string): Promise<StoredDelivery | undefined> {
    const row = this.stmt('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return row && toDelivery(row);
  }

  async claimDue(owner: string, now: number, leaseMs: number, limit: number, shares?: ClaimShares): Promise<ClaimedDelivery[]> {
    return this.guard(() => this.claimTx.immediate(owner, now, leaseMs, limit, shares));
  }

  async renewLeases(owner: string, ids: readonly string[], until: number): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.guard(() =>
      (
        this.stmt(`UPDATE deliveries SET lease_until = ? WHERE id IN (SELECT value FROM json_each(?)) AND lease_owner = ? AND status = 'pending' RETURNING id`).all(
          until,
          JSON.stringify(ids),
          owner,
        ) as { id: string }[]
      ).map((r) => r.id),
    );
  }

  /** Outcomes reported in the same turn of the event loop are written in one transaction (as ingests are). */
  async finish(deliveryId: string, owner: string, attempts: readonly AttemptRecord[], outcome: Outcome): Promise<void> {
    if (!this.db.open) throw new StoreError('store operation failed: the store is closed');
    return this.outcomes.add({ deliveryId, owner, attempts, outcome });
  }

  private finishOne(f: Finishing): void {
    for (const a of f.attempts) {
      this.insertAttempt.run(
        f.deliveryId,
        a.startedAt,
        a.durationMs,
        JSON.stringify(a.request),
        a.responseStatus ?? null,
        a.responseHeaders ? JSON.stringify(a.responseHeaders) : null,
        a.responseBody ?? null,
        a.error ?? null,
      );
    }
    const o = f.outcome;
    const nextAttemptAt = o.status === 'pending' ? o.nextAttemptAt : null;
    const lastStatus = 'lastStatus' in o ? (o.lastStatus ?? null) : null;
    const why = 'error' in o ? o.error : 'reason' in o ? o.reason : null;
    // Only the worker holding the claim may settle it: a late finisher whose lease ran out changes nothing.
    this.settleDelivery.run(o.status, f.attempts.length > 0 ? 1 : 0, nextAttemptAt, lastStatus, why, Date.now(), f.deliveryId, f.owner);
  }

  async attemptsFor(deliveryId: string): Promise<StoredAttempt[]> {
    const rows = this.stmt('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id').all(deliveryId) as SqliteAttemptRow[];
    return rows.map((r) =>
      toAttempt({
        ...r,
        request: JSON.parse(r.request) as StoredAttempt['request'],
        response_headers: r.response_headers !== null ? (JSON.parse(r.response_headers) as Record<string, string>) : null,
      }),
    );
  }

  async nextDueAt(): Promise<number | undefined> {
    const row = this.stmt(
      // In index order, so it reads from the front of the queue, not all of it (a backlog made this a full scan).
      `SELECT next_attempt_at AS t FROM deliveries WHERE status = 'pending' AND lease_until IS NULL ORDER BY next_attempt_at LIMIT 1`,
    ).get() as { t: number } | undefined;
    return row?.t;
  }

  async replayEvent(eventId: string, routes: readonly string[], now: number): Promise<string[]> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          if (!this.stmt('SELECT 1 FROM events WHERE id = ?').get(eventId)) return [];
          return routes.map((route) => {
            const id = newId('dlv');
            this.insertDelivery.run(id, eventId, route, now, now, now);
            return id;
          });
        })
        .immediate(),
    );
  }

  async listEvents(q: EventQuery): Promise<EventPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.cursor) {
      where.push('e.id < ?');
      params.push(q.cursor);
    }
    if (q.source) {
      where.push('e.source = ?');
      params.push(q.source);
    }
    if (q.topic) {
      // a trailing * lists a family of topics (issues.*)
      if (q.topic.endsWith('*')) {
        where.push("e.topic LIKE ? ESCAPE '\\'");
        params.push(`${q.topic.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`);
      } else {
        where.push('e.topic = ?');
        params.push(q.topic);
      }
    }
    if (q.status) {
      where.push('EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = ?)');
      params.push(q.status);
    }
    const rows = this.db
      .prepare(
        `SELECT e.id, e.source, e.topic, e.delivery_id, e.received_at, length(e.body) AS size
         FROM events e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT ?`,
      )
      .all(...params, q.limit + 1) as { id: string; source: string; topic: string; delivery_id: string | null; received_at: number; size: number }[];
    const page = rows.slice(0, q.limit);
    const counts = this.stmt('SELECT status, count(*) AS n FROM deliveries WHERE event_id = ? GROUP BY status');
    const events: EventSummary[] = page.map((r) => ({
      id: r.id,
      source: r.source,
      topic: r.topic,
      ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
      receivedAt: r.received_at,
      size: r.size,
      deliveries: Object.fromEntries((counts.all(r.id) as { status: string; n: number }[]).map((c) => [c.status, c.n])),
    }));
    return rows.length > q.limit ? { events, nextCursor: page[page.length - 1]!.id } : { events };
  }

  async findDeliveries(f: BulkFilter): Promise<Matches<MatchedDelivery>> {
    const { where, params } = bulkWhere(f, 'deliveries');
    const from = `FROM deliveries d JOIN events e ON e.id = d.event_id ${where}`;
    const total = (this.db.prepare(`SELECT count(*) AS n ${from}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT d.*, e.source, e.topic, e.received_at ${from} ORDER BY d.id LIMIT ?`).all(...params, f.limit) as (DeliveryRow & {
      source: string;
      topic: string;
      received_at: number;
    })[];
    return { total, items: rows.map((r) => ({ ...toDelivery(r), source: r.source, topic: r.topic, receivedAt: r.received_at })) };
  }

  async findEvents(f: BulkFilter): Promise<Matches<EventSummary>> {
    const { where, params } = bulkWhere(f, 'events');
    const from = `FROM events e ${where}`;
    const total = (this.db.prepare(`SELECT count(*) AS n ${from}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT e.id, e.source, e.topic, e.delivery_id, e.received_at, length(e.body) AS size ${from} ORDER BY e.id LIMIT ?`).all(...params, f.limit) as {
      id: string;
      source: string;
      topic: string;
      delivery_id: string | null;
      received_at: number;
      size: number;
    }[];
    const counts = new Map<string, Record<string, number>>();
    if (rows.length) {
      const all = this.stmt('SELECT event_id, status, count(*) AS n FROM deliveries WHERE event_id IN (SELECT value FROM json_each(?)) GROUP BY event_id, status').all(
        JSON.stringify(rows.map((r) => r.id)),
      ) as { event_id: string; status: string; n: number }[];
      for (const c of all) counts.set(c.event_id, { ...counts.get(c.event_id), [c.status]: c.n });
    }
    const items: EventSummary[] = rows.map((r) => ({
      id: r.id,
      source: r.source,
      topic: r.topic,
      ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
      receivedAt: r.received_at,
      size: r.size,
      deliveries: counts.get(r.id) ?? {},
    }));
    return { total, items };
  }

  async prune(cutoff: number, batch: number): Promise<number> {
    return this.guard(
      () =>
        this.db
          .prepare(
            `DELETE FROM events WHERE id IN (
               SELECT e.id FROM events e WHERE e.received_at < ?
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'dead'))
               LIMIT ?)`,
          )
          .run(cutoff, batch).changes,
    );
  }

  async queueStats(now: number): Promise<QueueStats> {
    const row = this.db
      .prepare(
        `SELECT sum(status = 'pending') AS pending, sum(status = 'dead') AS dead,
                min(CASE WHEN status = 'pending' THEN created_at END) AS oldest FROM deliveries`,
      )
      .get() as { pending: number | null; dead: number | null; oldest: number | null };
    return { pending: row.pending ?? 0, dead: row.dead ?? 0, oldestPendingAgeSeconds: row.oldest === null ? 0 : Math.max(0, (now - row.oldest) / 1000) };
  }

  async retryDelivery(deliveryId: string, now: number): Promise<boolean> {
    return this.guard(
      () =>
        this.db
          .prepare(
            `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
               last_error = NULL, updated_at = ? WHERE id = ? AND status IN ('dead', 'cancelled')`,
          )
          .run(now, now, deliveryId).changes === 1,
    );
  }

  async releaseStaleLeases(): Promise<number> {
    return this.guard(() => this.stmt(`UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL`).run().changes);
  }

  async releaseLeasesOf(owner: string): Promise<number> {
    return this.guard(() => this.stmt(`UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND status = 'pending'`).run(owner).changes);
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new StoreError(`store operation failed: ${errorMessage(err)}`);
    }
  }

  async countEvents(): Promise<number> {
    return (this.stmt('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  /** Ready when the file can be read, and written too if the last write failed (a read alone says nothing about a full disk). */
  async ping(): Promise<boolean> {
    if (!this.db.open) return false;
    try {
      this.stmt('SELECT 1').get();
      if (this.writeFailing) {
        this.stmt('INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)').run(Date.now());
        this.writeFailing = false;
      }
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
    // Last: the file is free for another process only once this one has let go of it.
    if (this.lock?.open) this.lock.close();
  }
}

/**
 * A SQLite store serves one process: a second one would take the first one's
 * claims for stale and send its deliveries in flight again. So the store holds
 * a lock beside the file, `<path>.lock`, for as long as it is open. That is a
 * tiny SQLite database naming the holder (pid, host, since); the holder keeps a
 * shared lock on it (SQLite's own, an OS file lock), so no other process can
 * write it. A process that dies, even by kill -9, loses its OS locks with it:
 * there is no stale lock to clean up, and the file itself is never deleted
 * (deleting it would let two processes lock two different files).
 *
 * To take the lock: write our own token as the holder (which needs the lock
 * free), then hold a shared lock and read the holder back. Two processes that
 * race both may get their shared lock, but only one of them reads its own token.
 */
function lockStore(path: string): Database.Database {
  const lockPath = `${path}.lock`;
  const token = randomUUID();
  let db: Database.Database;
  try {
    db = new Database(lockPath);
  } catch (err) {
    throw new StoreError(`cannot open the SQLite store's lock file ${lockPath}: ${errorMessage(err)}`);
  }
  const inUse = (holder: LockHolder | undefined) => {
    const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${new Date(holder.since).toISOString()}` : 'its pid could not be read';
    return new StoreError(
      `the SQLite store ${path} is in use by another Switchboard process (${who}): a SQLite store serves one process, so stop that one first, or use PostgreSQL to run several (lock file ${lockPath})`,
    );
  };
  const readHolder = () => db.prepare('SELECT token, pid, host, since FROM holder WHERE id = 1').get() as LockHolder | undefined;
  try {
    // A moment's wait: another process may just be reading who holds the lock.
    db.pragma('busy_timeout = 1000');
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), token TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL, since INTEGER NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO holder (id, token, pid, host, since) VALUES (1, ?, ?, ?, ?)').run(token, process.pid, hostname(), Date.now());
    // From the next read on, the shared lock is kept until the connection closes.
    db.pragma('locking_mode = EXCLUSIVE');
    const holder = readHolder();
    if (holder?.token !== token) throw inUse(holder);
    return db;
  } catch (err) {
    let error = err;
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      let holder: LockHolder | undefined;
      try {
        db.pragma('locking_mode = NORMAL');
        holder = readHolder();
      } catch {
        // busy again: the message says the pid is unknown
      }
      error = inUse(holder);
    } else if (!(err instanceof StoreError)) {
      error = new StoreError(`cannot lock the SQLite store with ${lockPath}: ${errorMessage(err)}`);
    }
    db.close();
    throw error;
  }
}

interface LockHolder {
  token: string;
  pid: number;
  host: string;
  since: number;
}

interface SqliteEventRow {
  id: string;
  source: string;
  topic: string;
  delivery_id: string | null;
  received_at: number;
  headers: string;
  body: Buffer;
  content_type: string | null;
  query: string | null;
  routing: string | null;
}

interface SqliteAttemptRow {
  delivery_id: string;
  started_at: number;
  duration_ms: number;
  request: string;
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
  error: string | null;
}

/**
 * The WHERE clause of a bulk filter. `topic` is a route-style glob: SQLite's
 * GLOB has the same `*` and `?` (and is case-sensitive, as topics are); its `[`
 * classes are made literal.
 */
function bulkWhere(f: BulkFilter, over: 'deliveries' | 'events'): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (f.source !== undefined) add('e.source = ?', f.source);
  if (f.topic !== undefined) {
    if (/[*?]/.test(f.topic)) add('e.topic GLOB ?', f.topic.replace(/\[/g, '[[]'));
    else add('e.topic = ?', f.topic);
  }
  if (f.since !== undefined) add('e.received_at >= ?', f.since);
  if (f.until !== undefined) add('e.received_at < ?', f.until);
  if (over === 'deliveries') {
    if (f.route !== undefined) add('d.route = ?', f.route);
    if (f.status !== undefined) add('d.status = ?', f.status);
  } else {
    if (f.cursor !== undefined) add('e.id > ?', f.cursor);
    if (f.route !== undefined || f.status !== undefined) {
      const inner = ['d.event_id = e.id'];
      if (f.route !== undefined) inner.push('d.route = ?');
      if (f.status !== undefined) inner.push('d.status = ?');
      add(`EXISTS (SELECT 1 FROM deliveries d WHERE ${inner.join(' AND ')})`, ...[f.route, f.status].filter((v) => v !== undefined));
    }
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** SQLite keeps JSON as text: decode it, then map as both stores do. */
function eventOf(row: SqliteEventRow): StoredEvent {
  return toEvent({
    ...row,
    headers: JSON.parse(row.headers) as Record<string, string>,
    query: row.query ? (JSON.parse(row.query) as Record<string, string>) : null,
    routing: row.routing ? (JSON.parse(row.routing) as RoutingRecord) : null,
  });
}
