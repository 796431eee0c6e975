import { SqliteStore } from './sqlite.js';
import { StoreError, type Store } from './types.js';

/** The store a URL names: `sqlite:<path>` (the default) or, later, `postgres://…`. */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) return new SqliteStore(url);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new StoreError('the PostgreSQL store is not built yet (use sqlite:<path> for now)');
  }
  throw new StoreError(`unknown store "${url.split(':')[0]}:": use sqlite:<path> or postgres://…`);
}
