// The payloads kept from ingest for the delivery that follows: bounded in count
// and in bytes (oldest out first), large bodies never kept, a miss is a miss.
import { describe, expect, it } from 'vitest';
import { freshCount, freshPayload, rememberPayload } from '../../src/event/fresh.js';

describe('fresh payloads', () => {
  it('keeps what ingest parsed, by event id; an unknown id is a miss', () => {
    rememberPayload('evt_fresh_a', { n: 1 }, 8, 1);
    expect(freshPayload('evt_fresh_a')).toEqual({ ok: true, payload: { n: 1 } });
    expect(freshPayload('evt_fresh_unknown')).toBeUndefined();
  });

  it('lets a payload go once each of its deliveries has read it (it stayed until evicted: 2,000 payloads live at rest after a burst)', () => {
    const before = freshCount();
    rememberPayload('evt_two_routes', { n: 2 }, 8, 2);
    expect(freshCount()).toBe(before + 1);
    expect(freshPayload('evt_two_routes')).toEqual({ ok: true, payload: { n: 2 } });
    expect(freshCount()).toBe(before + 1);
    expect(freshPayload('evt_two_routes')).toEqual({ ok: true, payload: { n: 2 } });
    expect(freshCount()).toBe(before);
    expect(freshPayload('evt_two_routes')).toBeUndefined();
    rememberPayload('evt_no_reader', { n: 0 }, 8, 0);
    expect(freshPayload('evt_no_reader')).toBeUndefined();
  });

  it('holds at most 2,000 entries and 16 MB of bodies, the oldest going first; a body over 1 MB is not kept', () => {
    for (let i = 0; i < 2500; i++) rememberPayload(`evt_count_${i}`, i, 10, 1);
    expect(freshCount()).toBe(2000);
    expect(freshPayload('evt_count_0')).toBeUndefined();
    expect(freshPayload('evt_count_2499')).toEqual({ ok: true, payload: 2499 });
    for (let i = 0; i < 40; i++) rememberPayload(`evt_bytes_${i}`, i, 1024 * 1024, 1);
    expect(freshPayload('evt_bytes_0')).toBeUndefined();
    expect(freshPayload('evt_bytes_39')).toEqual({ ok: true, payload: 39 });
    rememberPayload('evt_huge', 'x', 2 * 1024 * 1024, 1);
    expect(freshPayload('evt_huge')).toBeUndefined();
  });
});
