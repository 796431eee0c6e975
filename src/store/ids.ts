import { randomBytes } from 'node:crypto';

/**
 * Time-ordered ids (UUIDv7 layout: 48 bits of milliseconds, then random bits),
 * so ids sort by arrival and can serve as paging cursors.
 */
export function newId(prefix: 'evt' | 'dlv'): string {
  const bytes = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return `${prefix}_${bytes.toString('hex')}`;
}
