// Group commit: writes requested in the same turn of the event loop share one
// transaction (one commit instead of one each). Each caller is answered only
// after the transaction holding its item has committed. If the shared one fails,
// each item is retried alone, so one bad item does not fail the others.
// `commit` may be synchronous (SQLite) or return a promise (PostgreSQL).
import { StoreError } from './types.js';
import { errorMessage } from '../lib/errors.js';

export class GroupCommit<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: Error) => void }[] = [];
  private scheduled = false;

  /**
   * `commit` writes a batch in one transaction and returns one result per item;
   * `written` hears whether each write succeeded; `what` prefixes errors.
   * `retryAlone` says whether a failed batch is worth retrying item by item (a
   * rejected item, say); when not (the database is unreachable), all fail at once.
   */
  constructor(
    private readonly commit: (items: T[]) => R[] | Promise<R[]>,
    private readonly written: (ok: boolean) => void,
    private readonly what: string,
    private readonly retryAlone: (err: unknown) => boolean = () => true,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    try {
      const results = await this.commit(batch.map((b) => b.item));
      this.written(true);
      batch.forEach((b, i) => b.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1 || !this.retryAlone(err)) {
        this.written(false);
        const e = this.asStoreError(err);
        for (const b of batch) b.reject(e);
        return;
      }
      for (const b of batch) {
        try {
          const [result] = await this.commit([b.item]);
          this.written(true);
          b.resolve(result!);
        } catch (err) {
          this.written(false);
          b.reject(this.asStoreError(err));
        }
      }
    }
  }

  private asStoreError(err: unknown): StoreError {
    return err instanceof StoreError ? err : new StoreError(`${this.what}: ${errorMessage(err)}`);
  }
}

/**
 * For a GroupCommit whose items are groups of writes that commit whole (a split
 * batch, or a single write as a group of one): turns `commit`, which writes a
 * flat list in one transaction, into one that writes every group of a turn in
 * that one transaction and answers each group its own slice of the results.
 * Since a group is one item, a failed turn is retried group by group: a group
 * never half-commits.
 */
export function commitGroups<T, R>(commit: (items: T[]) => R[] | Promise<R[]>): (groups: (readonly T[])[]) => R[][] | Promise<R[][]> {
  return (groups) => {
    const slice = (results: R[]): R[][] => {
      let at = 0;
      return groups.map((g) => results.slice(at, (at += g.length)));
    };
    const results = commit(groups.flat());
    return results instanceof Promise ? results.then(slice) : slice(results);
  };
}
