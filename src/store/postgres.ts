// The shared store: any number of Switchboard processes on one PostgreSQL
// database. Each delivery is worked by one process at a time: claims take rows
// with FOR UPDATE SKIP LOCKED and stamp a lease; a process that dies leaves its
// leases to run out, and then the others take the work over.
import pg from 'pg';
import { commitGroups, GroupCommit } from './group-commit.js';
import { newId } from './ids.js';
import { LIMITS_MIGRATION, PostgresLimits } from './postgres-limits.js';
import { routingText, toAttempt, toDelivery, toEvent, type AttemptRow, type DeliveryRow, type EventRow } from './rows.js';
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
  type IngestResult,
  type MatchedDelivery,
  type Matches,
  type NewEvent,
  type Outcome,
  type QueueStats,
  type Store,
  type StoredAttempt,
  type StoredDelivery,
  type StoredEvent,
} from './types.js';
import { errorMessage } from '../lib/errors.js';

/** Versioned schema changes, applied in order under an advisory lock (several processes may start at once). */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     id           text PRIMARY KEY,
     source       text NOT NULL,
     topic        text NOT NULL,
     delivery_id  text,
     received_at  bigint NOT NULL,
     headers      jsonb NOT NULL,
     body         bytea NOT NULL,
     content_type text,
     query        jsonb
   );
   CREATE UNIQUE INDEX events_source_delivery_id ON events (source, delivery_id) WHERE delivery_id IS NOT NULL;
   CREATE INDEX events_received_at ON events (received_at);
   CREATE TABLE deliveries (
     id              text PRIMARY KEY,
     event_id        text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
     route           text NOT NULL,
     status          text NOT NULL DEFAULT 'pending',
     attempts        integer NOT NULL DEFAULT 0,
     next_attempt_at bigint NOT NULL,
     lease_owner     text,
     lease_until     bigint,
     last_status     integer,
     last_error      text,
     created_at      bigint NOT NULL,
     updated_at      bigint NOT NULL,
     seq             bigserial
   );
   CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
   CREATE INDEX deliveries_event ON deliveries (event_id);
   CREATE INDEX deliveries_status ON deliveries (status);
   CREATE TABLE attempts (
     id               bigserial PRIMARY KEY,
     delivery_id      text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
     started_at       bigint NOT NULL,
     duration_ms      double precision NOT NULL,
     request          jsonb NOT NULL,
     response_status  integer,
     response_headers jsonb,
     response_body    text,
     error            text
   );
   CREATE INDEX attempts_delivery ON attempts (delivery_id);`,
  // Each route's queue in due order: a claim with shares reads the front of every route with room, never a backlog.
  `CREATE INDEX deliveries_route_due ON deliveries (route, next_attempt_at) WHERE status = 'pending';`,
  // Targets' concurrency slots, their queues of waiting processes and their rate: limits shared by all processes.
  LIMITS_MIGRATION,
  // How the config stood when each event was routed: its version and the routes whose topics did not match.
  `ALTER TABLE events ADD COLUMN routing jsonb;`,
];

const MIGRATION_LOCK = 74_281_907; // any fixed number: the advisory lock all Switchboard processes agree on

// bigint columns hold milliseconds since the epoch: safe as JS numbers.
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as pg.CustomTypesConfig['getTypeParser'],
};

export function parsePostgresUrl(url: string): { connectionString: string; schema?: string } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), ...(schema ? { schema } : {}) };
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private closed = false;
  /** Targets' `concurrency` and `rateLimit`, kept here so that every process on the database honours them together. */
  readonly limits = new PostgresLimits((what, sql, params, name) => this.q(what, sql, params, name));
  /** Each item a group: one event from `ingest`, a whole split batch from `ingestMany`. */
  private readonly ingests = new GroupCommit<readonly NewEvent[], IngestResult[]>(
    commitGroups((batch: NewEvent[]) => this.ingestBatch(batch)),
    () => undefined,
    'could not store the event',
    rejectedByServer,
  );
  private readonly outcomes = new GroupCommit<Finishing, void>(
    (batch) => this.finishBatch(batch),
    () => undefined,
    'could not record the delivery',
    rejectedByServer,
  );

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Connects, and brings the schema up to date. `?schema=name` keeps Switchboard's tables in their own schema. */
  static async open(url: string): Promise<PostgresStore> {
    const { connectionString, schema } = parsePostgresUrl(url);
    if (schema && !/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new StoreError(`schema "${schema}" is not a plain identifier`);
    const pool = new pg.Pool({
      connectionString,
      types,
      max: 10,
      connectionTimeoutMillis: 5000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    pool.on('error', () => undefined); // an idle client's lost connection: the next query reconnects
    // A client that loses its connection while checked out also emits 'error': its query
    // rejects (and the request is answered 503), but an unheard 'error' would end the process.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store = new PostgresStore(pool);
    try {
      await store.migrate(schema);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new StoreError(`cannot open PostgreSQL store: ${errorMessage(err)}`);
    }
    return store;
  }

  private async migrate(schema: string | undefined): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query('CREATE TABLE IF NOT EXISTS switchboard_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM switchboard_migrations');
      const version = rows[0]?.v ?? 0;
      if (version > MIGRATIONS.length) {
        throw new StoreError(`the database was written by a newer Switchboard (schema ${version}, this one knows ${MIGRATIONS.length})`);
      }
      for (let v = version; v < MIGRATIONS.length; v++) {
        await client.query('BEGIN');
        await client.query(MIGRATIONS[v]!);
        await client.query('INSERT INTO switchboard_migrations (version) VALUES ($1)', [v + 1]);
        await client.query('COMMIT');
      }
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  private async tx<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new StoreError(`${what}: ${errorMessage(err)}`);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err instanceof StoreError ? err : new StoreError(`${what}: ${errorMessage(err)}`);
    } finally {
      client.release();
    }
  }

  /** `name`: a prepared statement (parsed and planned once per connection), for the hot paths. */
  private async q<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = [], name?: string): Promise<R[]> {
    try {
      return (await this.pool.query<R>(name ? { name, text: sql, values: params } : { text: sql, values: params })).rows;
    } catch (err) {
      throw new StoreError(`${what}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Ingests arriving in the same turn of the event loop are written by one statement, so one commit (see GroupCommit). */
  async ingest(e: NewEvent): Promise<IngestResult> {
    if (this.closed) throw new StoreError('could not store the event: the store is closed');
    const [result] = await this.ingests.add([e]);
    return result!;
  }

  /**
   * Joins the ingests of the turn in their one statement (so one transaction):
   * a statement fails whole, so either every event of the batch is stored or none is.
   */
  async ingestMany(events: readonly NewEvent[]): Promise<IngestResult[]> {
    if (this.closed) throw new StoreError('could not store the event: the store is closed');
    if (events.length === 0) return [];
    return this.ingests.add([...events]);
  }

  /**
   * One statement for a batch: the events, and the deliveries of those that were not
   * duplicates. The bodies travel as one binary parameter with offsets (a bytea[]
   * would be sent as hex text).
   */
  private async ingestBatch(batch: NewEvent[]): Promise<IngestResult[]> {
    const ids = batch.map(() => newId('evt'));
    const offsets: number[] = [];
    let at = 0;
    for (const e of batch) {
      offsets.push(at);
      at += e.body.length;
    }
    const deliveries = batch.flatMap((e, i) => e.routes.map((route) => ({ id: newId('dlv'), event: ids[i]!, route, at: e.receivedAt })));
    const inserted = await this.q<{ id: string }>(
      'could not store the event',
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $8::int[], $9::int[], $10::text[], $11::text[], $16::text[])
           WITH ORDINALITY AS t(id, source, topic, delivery_id, received_at, headers, off, len, content_type, query, routing, n)),
       ev AS (
         INSERT INTO events (id, source, topic, delivery_id, received_at, headers, body, content_type, query, routing)
         SELECT id, source, topic, delivery_id, received_at, headers::jsonb, substring($7::bytea FROM off + 1 FOR len), content_type, query::jsonb, routing::jsonb
         FROM input ORDER BY n
         ON CONFLICT (source, delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING RETURNING id),
       d AS (
         INSERT INTO deliveries (id, event_id, route, next_attempt_at, created_at, updated_at)
         SELECT r.id, r.event_id, r.route, r.at, r.at, r.at
         FROM unnest($12::text[], $13::text[], $14::text[], $15::bigint[]) WITH ORDINALITY AS r(id, event_id, route, at, n)
         WHERE r.event_id IN (SELECT id FROM ev) ORDER BY n)
       SELECT id FROM ev`,
      [
        ids,
        batch.map((e) => e.source),
        batch.map((e) => e.topic),
        batch.map((e) => e.deliveryId ?? null),
        batch.map((e) => e.receivedAt),
        batch.map((e) => JSON.stringify(e.headers)),
        Buffer.concat(batch.map((e) => e.body)),
        offsets,
        batch.map((e) => e.body.length),
        batch.map((e) => e.contentType ?? null),
        batch.map((e) => (e.query && Object.keys(e.query).length ? JSON.stringify(e.query) : null)),
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.event),
        deliveries.map((d) => d.route),
        deliveries.map((d) => d.at),
        batch.map((e) => routingText(e.routing)),
      ],
      'sb_ingest',
    );
    const fresh = new Set(inserted.map((r) => r.id));
    const dupes = batch.filter((_, i) => !fresh.has(ids[i]!));
    // A delivery id seen before (or earlier in this batch): answer with the event that has it.
    const existing = new Map<string, string>();
    if (dupes.length) {
      const rows = await this.q<{ source: string; delivery_id: string; id: string }>(
        'could not store the event',
        `SELECT e.source, e.delivery_id, e.id FROM events e JOIN unnest($1::text[], $2::text[]) AS k(source, delivery_id)
           ON e.source = k.source AND e.delivery_id = k.delivery_id`,
        [dupes.map((e) => e.source), dupes.map((e) => e.deliveryId ?? null)],
        'sb_duplicates',
      );
      for (const r of rows) existing.set(`${r.source}\0${r.delivery_id}`, r.id);
    }
    return batch.map((e, i) =>
      fresh.has(ids[i]!) ? { eventId: ids[i]!, duplicate: false, deliveries: e.routes.length } : { eventId: existing.get(`${e.source}\0${e.deliveryId}`)!, duplicate: true, deliveries: 0 },
    );
  }

  private async insertDeliveries(c: pg.PoolClient, eventId: string, routes: readonly string[], now: number): Promise<string[]> {
    const ids = routes.map(() => newId('dlv'));
    await c.query(
      `INSERT INTO deliveries (id, event_id, route, next_attempt_at, created_at, updated_at)
       SELECT d.id, $2, d.route, $3, $3, $3 FROM unnest($1::text[], $4::text[]) WITH ORDINALITY AS d(id, route, n) ORDER BY n`,
      [ids, eventId, now, routes],
    );
    return ids;
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const [row] = await this.q<EventRow>('could not read the event', 'SELECT * FROM events WHERE id = $1', [id]);
    return row && toEvent(row);
  }

  async deliveriesFor(eventId: string): Promise<StoredDelivery[]> {
    return (await this.q<DeliveryRow>('could not read deliveries', 'SELECT * FROM deliveries WHERE event_id = $1 ORDER BY seq', [eventId])).map(toDelivery);
  }

  async getDelivery(id: string): Promise<StoredDelivery | undefined> {
    const [row] = await this.q<DeliveryRow>('could not read the delivery', 'SELECT * FROM deliveries WHERE id = $1', [id]);
    return row && toDelivery(row);
  }

  async countEvents(): Promise<number> {
    const [row] = await this.q<{ n: number }>('could not count events', 'SELECT count(*)::int AS n FROM events');
    return row!.n;
  }

  /** The claim is one statement; the events are read after it (they never change, and a claimed delivery keeps its event). */
  async claimDue(owner: string, now: number, leaseMs: number, limit: number, shares?: ClaimShares): Promise<ClaimedDelivery[]> {
    const rows = shares
      ? await this.q<DeliveryRow>(
          'could not claim deliveries',
          // The candidates: the oldest due of each route with room (by its index, up to its room) and, for the routes
          // not listed, the front of the queue. Then the groups take turns, oldest first within each. Only the rows
          // picked are locked (skipping what other workers lock), and the lock rechecks each is still due and unleased.
          `WITH q AS (SELECT * FROM unnest($5::text[], $6::text[], $7::int[]) AS q(route, grp, room)),
           cand AS (
             SELECT c.id, c.route, c.next_attempt_at FROM q CROSS JOIN LATERAL (
               SELECT id, route, next_attempt_at FROM deliveries
               WHERE route = q.route AND status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
               ORDER BY next_attempt_at LIMIT q.room) c
             WHERE q.room > 0
             UNION
             SELECT f.id, f.route, f.next_attempt_at FROM (
               SELECT id, route, next_attempt_at FROM deliveries
               WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
               ORDER BY next_attempt_at LIMIT $2) f
             WHERE f.route NOT IN (SELECT route FROM q)),
           ranked AS (
             SELECT c.id, c.next_attempt_at, q.room,
               ROW_NUMBER() OVER (PARTITION BY q.grp, CASE WHEN q.grp IS NULL THEN c.route END ORDER BY c.next_attempt_at, c.id) AS rn
             FROM cand c LEFT JOIN q ON q.route = c.route),
           picked AS (SELECT id FROM ranked WHERE room IS NULL OR rn <= room ORDER BY rn, next_attempt_at, id LIMIT $2),
           due AS (
             SELECT d.id FROM deliveries d JOIN picked p ON p.id = d.id
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
             FOR UPDATE OF d SKIP LOCKED)
           UPDATE deliveries d SET lease_owner = $3, lease_until = $1 + $4, updated_at = $1
           FROM due WHERE d.id = due.id RETURNING d.*`,
          [now, limit, owner, leaseMs, shares.routes.map((r) => r.route), shares.routes.map((r) => r.group), shares.routes.map((r) => r.room)],
          'sb_claim_shared',
        )
      : await this.q<DeliveryRow>(
          'could not claim deliveries',
          `WITH due AS (
             SELECT id FROM deliveries
             WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
             ORDER BY next_attempt_at LIMIT $2
             FOR UPDATE SKIP LOCKED)
           UPDATE deliveries d SET lease_owner = $3, lease_until = $1 + $4, updated_at = $1
           FROM due WHERE d.id = due.id RETURNING d.*`,
          [now, limit, owner, leaseMs],
          'sb_claim',
        );
    if (rows.length === 0) return [];
    const events = await this.q<EventRow>('could not claim deliveries', 'SELECT * FROM events WHERE id = ANY($1)', [[...new Set(rows.map((r) => r.event_id))]], 'sb_claimed_events');
    const byId = new Map(events.map((e) => [e.id, toEvent(e)]));
    return rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at)).map((r) => ({ delivery: toDelivery(r), event: byId.get(r.event_id)! }));
  }

  async renewLeases(owner: string, ids: readonly string[], until: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.q<{ id: string }>(
      'could not renew leases',
      `UPDATE deliveries SET lease_until = $3 WHERE id = ANY($1) AND lease_owner = $2 AND status = 'pending' RETURNING id`,
      [[...ids], owner, until],
      'sb_renew',
    );
    return rows.map((r) => r.id);
  }

  /** Outcomes reported in the same turn of the event loop are written by one statement (see GroupCommit). */
  async finish(deliveryId: string, owner: string, attempts: readonly AttemptRecord[], outcome: Outcome): Promise<void> {
    if (this.closed) throw new StoreError('could not record the delivery: the store is closed');
    return this.outcomes.add({ deliveryId, owner, attempts, outcome });
  }

  /** One statement, so one commit: every attempt of the batch, and each delivery's outcome. */
  private async finishBatch(batch: Finishing[]): Promise<void[]> {
    const tried = batch.flatMap((f) => f.attempts.map((a) => ({ id: f.deliveryId, a })));
    await this.q(
      'could not record the delivery',
      `WITH f AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::int[], $7::text[])
           AS f(id, owner, status, tried, next_at, last_status, why)),
       a AS (
         INSERT INTO attempts (delivery_id, started_at, duration_ms, request, response_status, response_headers, response_body, error)
         SELECT t.delivery_id, t.started_at, t.duration_ms, t.request::jsonb, t.response_status, t.response_headers::jsonb, t.response_body, t.error
         FROM unnest($9::text[], $10::bigint[], $11::float8[], $12::text[], $13::int[], $14::text[], $15::text[], $16::text[])
           WITH ORDINALITY AS t(delivery_id, started_at, duration_ms, request, response_status, response_headers, response_body, error, n)
         ORDER BY n)
       -- Only the holder of the claim settles it: a late report from a worker whose lease ran out changes nothing.
       UPDATE deliveries d SET status = f.status, attempts = d.attempts + f.tried, next_attempt_at = COALESCE(f.next_at, d.next_attempt_at),
         last_status = COALESCE(f.last_status, d.last_status), last_error = f.why, lease_owner = NULL, lease_until = NULL, updated_at = $8
       FROM f WHERE d.id = f.id AND d.lease_owner = f.owner`,
      [
        batch.map((f) => f.deliveryId),
        batch.map((f) => f.owner),
        batch.map((f) => f.outcome.status),
        batch.map((f) => (f.attempts.length > 0 ? 1 : 0)),
        batch.map((f) => (f.outcome.status === 'pending' ? f.outcome.nextAttemptAt : null)),
        batch.map((f) => ('lastStatus' in f.outcome ? (f.outcome.lastStatus ?? null) : null)),
        batch.map((f) => ('error' in f.outcome ? f.outcome.error : 'reason' in f.outcome ? f.outcome.reason : null)),
        Date.now(),
        tried.map((t) => t.id),
        tried.map((t) => t.a.startedAt),
        tried.map((t) => t.a.durationMs),
        tried.map((t) => JSON.stringify(t.a.request)),
        tried.map((t) => t.a.responseStatus ?? null),
        tried.map((t) => (t.a.responseHeaders ? JSON.stringify(t.a.responseHeaders) : null)),
        tried.map((t) => t.a.responseBody ?? null),
        tried.map((t) => t.a.error ?? null),
      ],
      'sb_finish',
    );
    return batch.map(() => undefined);
  }

  async attemptsFor(deliveryId: string): Promise<StoredAttempt[]> {
    const rows = await this.q<AttemptRow>('could not read attempts', 'SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY id', [deliveryId]);
    return rows.map(toAttempt);
  }

  async nextDueAt(): Promise<number | undefined> {
    const [row] = await this.q<{ t: number | null }>(
      'could not read the queue',
      // In index order, so it reads from the front of the queue, not all of it.
      `SELECT next_attempt_at AS t FROM deliveries WHERE status = 'pending' AND lease_until IS NULL ORDER BY next_attempt_at LIMIT 1`,
      [],
      'sb_next_due',
    );
    return row ? Number(row.t) : undefined;
  }

  async replayEvent(eventId: string, routes: readonly string[], now: number): Promise<string[]> {
    return this.tx('could not replay the event', async (c) => {
      const { rowCount } = await c.query('SELECT 1 FROM events WHERE id = $1', [eventId]);
      if (!rowCount) return [];
      return this.insertDeliveries(c, eventId, routes, now);
    });
  }

  async retryDelivery(deliveryId: string, now: number): Promise<boolean> {
    const rows = await this.q(
      'could not retry the delivery',
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_owner = NULL, lease_until = NULL,
         last_error = NULL, updated_at = $1 WHERE id = $2 AND status IN ('dead', 'cancelled') RETURNING id`,
      [now, deliveryId],
    );
    return rows.length === 1;
  }

  async listEvents(q: EventQuery): Promise<EventPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (q.cursor) where.push(`e.id < ${p(q.cursor)}`);
    if (q.source) where.push(`e.source = ${p(q.source)}`);
    if (q.topic) {
      if (q.topic.endsWith('*')) where.push(`e.topic LIKE ${p(`${q.topic.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`)}`);
      else where.push(`e.topic = ${p(q.topic)}`);
    }
    if (q.status) where.push(`EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = ${p(q.status)})`);
    const rows = await this.q<EventRow & { size: number; counts: Record<string, number> | null }>(
      'could not list events',
      `SELECT e.id, e.source, e.topic, e.delivery_id, e.received_at, octet_length(e.body) AS size,
              (SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM deliveries WHERE event_id = e.id GROUP BY status) s) AS counts
       FROM events e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT ${p(q.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    const events = page.map((r) => ({
      id: r.id,
      source: r.source,
      topic: r.topic,
      ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
      receivedAt: r.received_at,
      size: r.size,
      deliveries: r.counts ?? {},
    }));
    return rows.length > q.limit ? { events, nextCursor: page[page.length - 1]!.id } : { events };
  }

  async findDeliveries(f: BulkFilter): Promise<Matches<MatchedDelivery>> {
    const { where, params } = bulkWhere(f, 'deliveries');
    const from = `FROM deliveries d JOIN events e ON e.id = d.event_id ${where}`;
    const [count] = await this.q<{ n: number }>('could not count deliveries', `SELECT count(*)::int AS n ${from}`, params);
    const rows = await this.q<DeliveryRow & { source: string; topic: string; received_at: number }>(
      'could not find deliveries',
      `SELECT d.*, e.source, e.topic, e.received_at ${from} ORDER BY d.id LIMIT $${params.length + 1}`,
      [...params, f.limit],
    );
    return { total: count!.n, items: rows.map((r) => ({ ...toDelivery(r), source: r.source, topic: r.topic, receivedAt: r.received_at })) };
  }

  async findEvents(f: BulkFilter): Promise<Matches<EventSummary>> {
    const { where, params } = bulkWhere(f, 'events');
    const from = `FROM events e ${where}`;
    const [count] = await this.q<{ n: number }>('could not count events', `SELECT count(*)::int AS n ${from}`, params);
    const rows = await this.q<EventRow & { size: number; counts: Record<string, number> | null }>(
      'could not find events',
      `SELECT e.id, e.source, e.topic, e.delivery_id, e.received_at, octet_length(e.body) AS size,
              (SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM deliveries WHERE event_id = e.id GROUP BY status) s) AS counts
       ${from} ORDER BY e.id LIMIT $${params.length + 1}`,
      [...params, f.limit],
    );
    const items: EventSummary[] = rows.map((r) => ({
      id: r.id,
      source: r.source,
      topic: r.topic,
      ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
      receivedAt: r.received_at,
      size: r.size,
      deliveries: r.counts ?? {},
    }));
    return { total: count!.n, items };
  }

  async prune(cutoff: number, batch: number): Promise<number> {
    // Small batches, rows other processes hold skipped: pruning never waits on, or blocks, live work.
    const rows = await this.q(
      'could not prune events',
      `DELETE FROM events WHERE id IN (
         SELECT e.id FROM events e WHERE e.received_at < $1
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'dead'))
         LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [cutoff, batch],
    );
    return rows.length;
  }

  async queueStats(now: number): Promise<QueueStats> {
    const [row] = await this.q<{ pending: number; dead: number; oldest: number | null }>(
      'could not read the queue',
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'dead')::int AS dead,
              min(created_at) FILTER (WHERE status = 'pending') AS oldest FROM deliveries`,
    );
    return { pending: row!.pending, dead: row!.dead, oldestPendingAgeSeconds: row!.oldest === null ? 0 : Math.max(0, (now - row!.oldest) / 1000) };
  }

  /** Leases in a shared database may belong to live processes: they are left to expire. */
  async releaseStaleLeases(): Promise<number> {
    return 0;
  }

  async releaseLeasesOf(owner: string): Promise<number> {
    const rows = await this.q<{ id: string }>(
      'could not release leases',
      `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND status = 'pending' RETURNING id`,
      [owner],
      'sb_release_owner',
    );
    return rows.length;
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * The WHERE clause of a bulk filter. `topic` is a route-style glob, turned into
 * LIKE (`*` → `%`, `?` → `_`, LIKE's own `%`, `_` and backslash made literal).
 */
function bulkWhere(f: BulkFilter, over: 'deliveries' | 'events'): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.source !== undefined) where.push(`e.source = ${p(f.source)}`);
  if (f.topic !== undefined) {
    if (/[*?]/.test(f.topic)) {
      where.push(
        `e.topic LIKE ${p(
          f.topic
            .replace(/[\\%_]/g, '\\$&')
            .replace(/\*/g, '%')
            .replace(/\?/g, '_'),
        )}`,
      );
    } else where.push(`e.topic = ${p(f.topic)}`);
  }
  if (f.since !== undefined) where.push(`e.received_at >= ${p(f.since)}`);
  if (f.until !== undefined) where.push(`e.received_at < ${p(f.until)}`);
  if (over === 'deliveries') {
    if (f.route !== undefined) where.push(`d.route = ${p(f.route)}`);
    if (f.status !== undefined) where.push(`d.status = ${p(f.status)}`);
  } else {
    if (f.cursor !== undefined) where.push(`e.id > ${p(f.cursor)}`);
    if (f.route !== undefined || f.status !== undefined) {
      const inner = ['d.event_id = e.id'];
      if (f.route !== undefined) inner.push(`d.route = ${p(f.route)}`);
      if (f.status !== undefined) inner.push(`d.status = ${p(f.status)}`);
      where.push(`EXISTS (SELECT 1 FROM deliveries d WHERE ${inner.join(' AND ')})`);
    }
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/**
 * Whether PostgreSQL itself refused the statement (a SQLSTATE other than a lost
 * connection, a shutdown or exhausted resources): then one item may be the cause,
 * and the others are worth retrying alone. An unreachable database fails them all at once.
 */
function rejectedByServer(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } }).cause ?? err;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57)/.test(code);
}
