import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PostgresStore } from '../../src/store/postgres.js';
import { dropSchemas, freshSchemaUrl, PG_URL, postgresReachable } from '../helpers/postgres.js';
import { storeContract } from './contract.js';

const unreachable = await postgresReachable();
if (unreachable) console.warn(`SKIPPING the PostgreSQL store tests: no PostgreSQL at ${PG_URL} (${unreachable}). .ci/run starts one.`);

afterAll(dropSchemas);

describe.skipIf(unreachable !== undefined)('PostgreSQL', () => {
  storeContract('PostgreSQL', () => PostgresStore.open(freshSchemaUrl()));

  it('migrations are safe when several processes start at once, and run once', async () => {
    const url = freshSchemaUrl();
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresStore.open(url)));
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const schema = new URL(url).searchParams.get('schema');
      const { rows } = await client.query(`SELECT version FROM "${schema}".switchboard_migrations ORDER BY version`);
      expect(rows.map((r: { version: number }) => r.version)).toEqual([1, 2, 3, 4]);
    } finally {
      await client.end();
    }
  });

  it('two workers never claim the same delivery', async () => {
    const url = freshSchemaUrl();
    const [a, b] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    try {
      for (let i = 0; i < 40; i++) await a.ingest({ source: 's', topic: 't', receivedAt: 1, headers: {}, body: Buffer.from('{}'), routes: ['r'] });
      const now = Date.now();
      const claims = await Promise.all([a.claimDue('wa', now, 60_000, 25), b.claimDue('wb', now, 60_000, 25), a.claimDue('wa2', now, 60_000, 25)]);
      const ids = claims.flat().map((c) => c.delivery.id);
      expect(ids.length).toBe(40);
      expect(new Set(ids).size).toBe(40);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the same delivery id ingested at once through two connections is stored once', async () => {
    const url = freshSchemaUrl();
    const [a, b] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    try {
      const e = { source: 'gh', topic: 't', deliveryId: 'same-id', receivedAt: 1, headers: {}, body: Buffer.from('{}'), routes: ['r1', 'r2'] };
      const results = await Promise.all([a.ingest(e), b.ingest(e), a.ingest(e), b.ingest(e)]);
      expect(new Set(results.map((r) => r.eventId)).size).toBe(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(await a.countEvents()).toBe(1);
      expect((await a.deliveriesFor(results[0]!.eventId)).length).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('ingestMany joins the single ingests of its turn in one transaction, and an empty one sends nothing', async () => {
    const url = freshSchemaUrl();
    const store = await PostgresStore.open(url);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const e = (deliveryId: string) => ({ source: 's', topic: 't', deliveryId, receivedAt: 1, headers: {}, body: Buffer.from('{}'), routes: ['r1', 'r2'] });
      const [a, many, b] = await Promise.all([store.ingest(e('a')), store.ingestMany([e('m1'), e('m2'), e('a')]), store.ingest(e('b'))]);
      expect(many.map((r) => r.duplicate)).toEqual([false, false, true]);
      expect(many[2]!.eventId).toBe(a.eventId);
      expect(b.duplicate).toBe(false);
      // xmin: the transaction that wrote each row. One for all the events and deliveries of the turn.
      const schema = new URL(url).searchParams.get('schema');
      const { rows } = await client.query<{ tx: string; n: number }>(
        `SELECT tx, count(*)::int AS n FROM (SELECT xmin::text AS tx FROM "${schema}".events UNION ALL SELECT xmin::text FROM "${schema}".deliveries) r GROUP BY tx`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.n).toBe(4 + 8);
      const pool = (store as unknown as { pool: pg.Pool }).pool;
      const query = vi.spyOn(pool, 'query');
      const connect = vi.spyOn(pool, 'connect');
      expect(await store.ingestMany([])).toEqual([]);
      await new Promise((r) => setImmediate(r));
      expect(query).not.toHaveBeenCalled();
      expect(connect).not.toHaveBeenCalled();
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('a bad URL or a database that is not there is a clear error', async () => {
    await expect(PostgresStore.open('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow(/cannot open PostgreSQL store/);
  });
});
