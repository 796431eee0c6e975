import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time: one call into the CSPRNG per 256 ids
// instead of one per id (it showed up in the ingest profile).
const pool = Buffer.alloc(4096);
let offset = pool.length;

/**
 * Time-ordered ids (UUIDv7 layout: 48 bits of milliseconds, then random bits),
 * so ids sort by arrival and can serve as paging cursors.
 */
export function newId(prefix: 'evt' | 'dlv'): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16); // used once, so written in place
  offset += 16;
  const ms = Date.now();
  // 48-bit milliseconds, big-endian: the high 16 bits, then the low 32
  bytes.writeUInt16BE(Math.floor(ms / 2 ** 32), 0);
  bytes.writeUInt32BE(ms % 2 ** 32, 2);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return `${prefix}_${bytes.toString('hex')}`;
}
