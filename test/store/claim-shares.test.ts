// Claims with per-target shares (delivery fairness), the same cases for both
// stores: a group with no room is skipped so the work behind it is reached, a
// group's room is shared by its routes, groups take turns, routes not listed
// are not limited (found at the front of the queue), and the work behind a
// backlog is reached whether or not the backlog's group has room.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { ClaimShares, Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/config.js';
import { dropSchemas, freshSchemaUrl, PG_URL, postgresReachable } from '../helpers/postgres.js';

const pgUnreachable = await postgresReachable();
if (pgUnreachable) console.warn(`SKIPPING the PostgreSQL shared claims: no PostgreSQL at ${PG_URL} (${pgUnreachable}).`);
afterAll(async () => {
  if (!pgUnreachable) await dropSchemas();
});

const T0 = 1_900_000_000_000;
const NOW = 2_000_000_000_000;

/** `count` deliveries to `route`, received (and due) one millisecond apart from `at`. */
async function queue(store: Store, route: string, count: number, at: number): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    const n = Math.min(500, count - i);
    await store.ingestMany(
      Array.from({ length: n }, (_, j) => ({ source: 'gh', topic: 't', receivedAt: at + i + j, headers: {}, body: Buffer.from('{}'), contentType: 'application/json', routes: [route] })),
    );
  }
}

const shares = (...routes: [route: string, group: string, room: number][]): ClaimShares => ({ routes: routes.map(([route, group, room]) => ({ route, group, room })) });
const routesOf = (claimed: { delivery: { route: string } }[]) => claimed.map((c) => c.delivery.route);

function cases(name: string, open: () => Promise<Store>) {
  describe(`${name}: shared claims`, () => {
    it('skips a group with no room, reaching the work queued behind it, and caps the others at their room', async () => {
      const store = await open();
      try {
        await queue(store, 'slow', 50, T0);
        await queue(store, 'fast', 10, T0 + 1000);
        const none = await store.claimDue('w', NOW, 60_000, 100, shares(['slow', 'slow', 0], ['fast', 'fast', 4]));
        expect(routesOf(none)).toEqual(['fast', 'fast', 'fast', 'fast']);
        // the oldest of the group first
        expect(none.map((c) => c.delivery.createdAt)).toEqual([T0 + 1000, T0 + 1001, T0 + 1002, T0 + 1003]);
        // without shares: the front of the queue, as before
        expect(new Set(routesOf(await store.claimDue('w', NOW, 60_000, 5)))).toEqual(new Set(['slow']));
      } finally {
        await store.close();
      }
    });

    it('takes the groups in turn, shares a group room between its routes, and leaves routes not listed unlimited', async () => {
      const store = await open();
      try {
        await queue(store, 'a1', 10, T0);
        await queue(store, 'a2', 10, T0 + 100);
        await queue(store, 'b', 10, T0 + 200);
        await queue(store, 'gone', 3, T0 + 300);
        const claimed = await store.claimDue('w', NOW, 60_000, 100, shares(['a1', 'A', 3], ['a2', 'A', 3], ['b', 'B', 2]));
        const got = routesOf(claimed);
        expect(got.filter((r) => r === 'a1' || r === 'a2')).toHaveLength(3);
        expect(got.filter((r) => r === 'b')).toHaveLength(2);
        expect(got.filter((r) => r === 'gone')).toHaveLength(3);
      } finally {
        await store.close();
      }
    });

    it('with a small limit, each group gets its turn instead of the oldest group taking all', async () => {
      const store = await open();
      try {
        await queue(store, 'x', 20, T0);
        await queue(store, 'y', 20, T0 + 100);
        // x's are all older than y's: by age alone, a claim of 4 would take x's only
        const claimed = await store.claimDue('w', NOW, 60_000, 4, shares(['x', 'X', 10], ['y', 'Y', 10]));
        expect(routesOf(claimed).sort()).toEqual(['x', 'x', 'y', 'y']);
        // claimed ones are leased: the next claim takes the following ones, and another owner sees only the rest
        const next = await store.claimDue('w2', NOW, 60_000, 100, shares(['x', 'X', 100], ['y', 'Y', 100]));
        expect(next).toHaveLength(36);
        expect(new Set([...claimed, ...next].map((c) => c.delivery.id)).size).toBe(40);
      } finally {
        await store.close();
      }
    });

    it('reaches a route behind a backlog of 3,000 whether the backlog has room or not; routes not listed are found at the front of the queue', async () => {
      const store = await open();
      try {
        await queue(store, 'big', 3000, T0);
        await queue(store, 'small', 5, T0 + 10_000);
        await queue(store, 'gone', 2, T0 + 20_000);
        const first = await store.claimDue('w', NOW, 60_000, 100, shares(['big', 'big', 5], ['small', 'small', 3]));
        expect(routesOf(first).sort()).toEqual(['big', 'big', 'big', 'big', 'big', 'small', 'small', 'small']);
        const second = await store.claimDue('w', NOW, 60_000, 100, shares(['big', 'big', 0], ['small', 'small', 5]));
        expect(routesOf(second)).toEqual(['small', 'small']);
        // 'gone' (not listed: its route left the config) is behind the backlog, out of the front's reach
        expect(routesOf(await store.claimDue('w', NOW, 60_000, 100, shares(['big', 'big', 0])))).toEqual([]);
        await queue(store, 'gone', 1, T0 - 1);
        expect(routesOf(await store.claimDue('w', NOW, 60_000, 100, shares(['big', 'big', 0])))).toEqual(['gone']);
      } finally {
        await store.close();
      }
    });
  });
}

cases('SQLite', async () => new SqliteStore(`sqlite:${join(tempDir(), 'shares.db')}`));
if (!pgUnreachable) cases('PostgreSQL', () => PostgresStore.open(freshSchemaUrl()));
