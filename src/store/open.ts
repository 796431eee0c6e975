import { SqliteStore } from './sqlite.js';
import { StoreError, type Store } from './types.js';

/** The store a URL names: `sqlite:<path>` (the default) or `postgres://user:pass@host:5432/db[?schema=name]`. */
export async function openStore(url: string, opts: { inProcess?: boolean } = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) return new SqliteStore(url, opts);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // Loaded only when used: the PostgreSQL driver is ~8 MB of memory a SQLite server never needs.
    const { PostgresStore } = await import('./postgres.js');
    return PostgresStore.open(url);
  }
  throw new StoreError(`unknown store "${url.split(':')[0]}:": use sqlite:<path> or postgres://…`);
}
