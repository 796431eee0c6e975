import { describe, expect, it } from 'vitest';
import { commitGroups, GroupCommit } from '../../src/store/group-commit.js';
import { StoreError } from '../../src/store/types.js';

/** A commit that doubles each number, and refuses a batch holding a negative one; it records each batch. */
function doubler(opts: { async?: boolean } = {}) {
  const batches: number[][] = [];
  const commit = (items: number[]) => {
    batches.push(items);
    if (items.some((n) => n < 0)) throw Object.assign(new Error('negative'), { code: items.length > 1 ? 'BATCH' : 'ALONE' });
    const out = items.map((n) => n * 2);
    return opts.async ? Promise.resolve(out) : out;
  };
  return { batches, commit };
}

describe('GroupCommit', () => {
  it('writes the items added in one turn as one batch, and answers each its own result', async () => {
    for (const async of [false, true]) {
      const { batches, commit } = doubler({ async });
      const g = new GroupCommit(commit, () => undefined, 'could not write');
      expect(await Promise.all([1, 2, 3].map((n) => g.add(n)))).toEqual([2, 4, 6]);
      expect(batches).toEqual([[1, 2, 3]]);
    }
  });

  it('retries a failed batch item by item, so one bad item fails alone', async () => {
    const { batches, commit } = doubler({ async: true });
    const written: boolean[] = [];
    const g = new GroupCommit(commit, (ok) => written.push(ok), 'could not write');
    const results = await Promise.allSettled([1, -1, 3].map((n) => g.add(n)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([2, 'could not write: negative', 6]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
    expect(batches).toEqual([[1, -1, 3], [1], [-1], [3]]);
    expect(written).toEqual([true, false, true]);
  });

  it('fails the whole batch at once, without retries, when the failure is not worth retrying alone', async () => {
    const { batches, commit } = doubler();
    const g = new GroupCommit(
      commit,
      () => undefined,
      'could not write',
      (err) => (err as { code?: string }).code !== 'BATCH',
    );
    const results = await Promise.allSettled([1, -1, 3].map((n) => g.add(n)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'could not write: negative')).toBe(true);
    expect(batches).toEqual([[1, -1, 3]]);
  });

  it('commitGroups: the groups of a turn share one commit, each answered its own slice; a failed turn is retried group by group, so a group fails whole', async () => {
    for (const async of [false, true]) {
      const { batches, commit } = doubler({ async });
      const g = new GroupCommit(commitGroups(commit), () => undefined, 'could not write');
      expect(await Promise.all([g.add([1]), g.add([2, 3, 4]), g.add([5])])).toEqual([[2], [4, 6, 8], [10]]);
      expect(batches).toEqual([[1, 2, 3, 4, 5]]);
      batches.length = 0;
      const results = await Promise.allSettled([g.add([1, 2]), g.add([3, -1, 4]), g.add([5])]);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([[2, 4], 'could not write: negative', [10]]);
      expect(batches).toEqual([[1, 2, 3, -1, 4, 5], [1, 2], [3, -1, 4], [5]]);
    }
  });
});
