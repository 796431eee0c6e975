import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { SqliteStore } from '../../src/store/sqlite.js';
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
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    db.close();
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
