import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time: one call into the CSPRNG per 256 ids
// instead of one per id (it showed up in the ingest profile).
const pool = Buffer.alloc(4096);
let offset = pool.length;

let lastMs = 0;
let seq = 0;

/**
 * Time-ordered ids (UUIDv7 layout: 48 bits of milliseconds, a 12-bit sequence,
 * then random bits), so ids sort by arrival and can serve as paging cursors.
 * Within one millisecond the sequence counts up (from a random start with room
 * to spare), so the events of one batch (`split:`) list in their order; should
 * it run out, the next millisecond is borrowed. A clock that steps back keeps
 * the last millisecond.
 */
export function newId(prefix: 'evt' | 'dlv'): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16); // used once, so written in place
  offset += 16;
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    seq += 1;
    if (seq > 0xfff) {
      ms = lastMs + 1;
      seq = 0;
    }
  } else seq = bytes[7]! & 0x7f; // a random start in the lower part of the range
  lastMs = ms;
  // 48-bit milliseconds, big-endian: the high 16 bits, then the low 32
  bytes.writeUInt16BE(Math.floor(ms / 2 ** 32), 0);
  bytes.writeUInt32BE(ms % 2 ** 32, 2);
  bytes[6] = 0x70 | (seq >> 8);
  bytes[7] = seq & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return `${prefix}_${bytes.toString('hex')}`;
}
