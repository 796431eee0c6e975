import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { IngestResult, NewEvent } from '../../src/store/types.js';
import { tempDir } from '../helpers/config.js';
import { storeContract } from './contract.js';

storeContract('SQLite', async () => new SqliteStore(`sqlite:${join(tempDir(), 'store.db')}`));

describe('SQLite specifics', () => {
  it('creates missing directories, uses WAL, and records its schema version', async () => {
    const path = join(tempDir(), 'nested', 'deeper', 'sb.db');
    const store = new SqliteStore(`sqlite:${path}`);
    await store.close();
    expect(existsSync(path)).toBe(true);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    db.close();
  });

  it('copies the WAL into the database file from a background thread, below the point where a commit would do it inline', async () => {
    const path = join(tempDir(), 'ckpt.db');
    const store = new SqliteStore(`sqlite:${path}`);
    try {
      const empty = statSync(path).size;
      // ~300 × 7 KB ≈ 600 WAL pages: fewer than the 1,000 at which SQLite checkpoints inside a commit
      const body = Buffer.alloc(7000, 'x');
      for (let i = 0; i < 300; i++) await store.ingest({ source: 's', topic: 't', receivedAt: i, headers: {}, body, routes: [] });
      const deadline = Date.now() + 5000;
      while (statSync(path).size < empty + 1_500_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(statSync(path).size).toBeGreaterThan(empty + 1_500_000);
      expect(await store.countEvents()).toBe(300);
    } finally {
      await store.close();
    }
  });

  it('ingestMany shares the one transaction of its turn with the single ingests, and an empty one writes nothing', async () => {
    const store = new SqliteStore(`sqlite:${join(tempDir(), 'many.db')}`);
    try {
      // commitIngests runs one IMMEDIATE transaction: one call is one commit
      const commits = vi.spyOn(store as unknown as { commitIngests: (es: NewEvent[]) => IngestResult[] }, 'commitIngests');
      const e = (deliveryId: string): NewEvent => ({ source: 's', topic: 't', deliveryId, receivedAt: 1, headers: {}, body: Buffer.from('{}'), routes: ['r'] });
      const [a, many, b] = await Promise.all([store.ingest(e('a')), store.ingestMany([e('m1'), e('m2'), e('a')]), store.ingest(e('b'))]);
      expect(commits).toHaveBeenCalledTimes(1);
      expect(commits.mock.calls[0]![0].map((x) => x.deliveryId)).toEqual(['a', 'm1', 'm2', 'a', 'b']);
      expect(many).toHaveLength(3);
      expect(many[2]).toEqual({ eventId: a.eventId, duplicate: true, deliveries: 0 });
      expect(b.duplicate).toBe(false);
      expect(await store.countEvents()).toBe(4);
      expect(await store.ingestMany([])).toEqual([]);
      await new Promise((r) => setImmediate(r));
      expect(commits).toHaveBeenCalledTimes(1);
    } finally {
      await store.close();
    }
  });

  it('reopening runs no migration twice and keeps the data', async () => {
    const path = join(tempDir(), 'sb.db');
    const a = new SqliteStore(`sqlite:${path}`);
    const { eventId } = await a.ingest({ source: 's', topic: 't', receivedAt: 1, headers: {}, body: Buffer.from('x'), routes: ['r'] });
    await a.close();
    const b = new SqliteStore(`sqlite:${path}`);
    expect((await b.getEvent(eventId))?.topic).toBe('t');
    await b.close();
  });

  it('refuses a file written by a newer schema', async () => {
    const path = join(tempDir(), 'future.db');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new SqliteStore(`sqlite:${path}`)).toThrow(/written by a newer Switchboard/);
  });

  it('openStore: sqlite URLs open, postgres URLs are tried, others are refused', async () => {
    const s = await openStore(`sqlite:${join(tempDir(), 'o.db')}`);
    expect(s.kind).toBe('sqlite');
    await s.close();
    await expect(openStore('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow(/cannot open PostgreSQL store/);
    await expect(openStore('mysql://x')).rejects.toThrow(/unknown store/);
  });
});
