import { describe, expect, it } from 'vitest';
import { newId } from '../../src/store/ids.js';

describe('newId', () => {
  it('is a UUIDv7 layout with the prefix, its first 48 bits the current milliseconds', () => {
    const before = Date.now();
    const id = newId('evt');
    const after = Date.now();
    expect(id).toMatch(/^evt_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    const ms = parseInt(id.slice(4, 16), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('never repeats, across many refills of the random pool, and sorts by time', async () => {
    const ids = Array.from({ length: 2000 }, () => newId('dlv'));
    expect(new Set(ids).size).toBe(ids.length);
    await new Promise((r) => setTimeout(r, 3));
    const later = newId('dlv');
    expect(ids.every((id) => id.slice(0, 16) <= later.slice(0, 16))).toBe(true);
    expect(later > ids[0]!).toBe(true);
  });

  it('made in one burst (the events of one split batch), they sort in the order they were made', () => {
    // Before the in-millisecond sequence, ids of the same millisecond sorted at random.
    const ids = Array.from({ length: 5000 }, () => newId('evt'));
    expect([...ids].sort()).toEqual(ids);
  });
});
