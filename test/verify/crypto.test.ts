// Signature primitives (src/verify/crypto.ts): strict decoding — one spelling
// per signature, so a signature with its spare bits changed is not "the same"
// — timestamps, and comparisons that never pass on nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, hmac, safeEqual, safeEqualText } from '../../src/verify/crypto.js';

describe('decode', () => {
  it('round-trips any bytes through hex, base64 and base64url', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(decode(b.toString('hex'), 'hex')).toEqual(b);
        expect(decode(b.toString('hex').toUpperCase(), 'hex')).toEqual(b);
        expect(decode(b.toString('base64'), 'base64')).toEqual(b);
        expect(decode(b.toString('base64url'), 'base64')).toEqual(b);
        expect(decode(` ${b.toString('base64')}\t`, 'base64')).toEqual(b);
      }),
    );
  });

  it('refuses a base64 spelling with its spare bits changed (one signature, one spelling)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }).filter((b) => b.length % 3 !== 0),
        (bytes) => {
          const canonical = Buffer.from(bytes).toString('base64').replace(/=+$/, '');
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
          const last = alphabet.indexOf(canonical.at(-1)!);
          // The last symbol carries 2 (one byte left) or 4 (two left) bits that are not data.
          const spare = bytes.length % 3 === 1 ? 4 : 2;
          for (let v = 1; v < 2 ** spare; v++) {
            const other = `${canonical.slice(0, -1)}${alphabet[last ^ v]}`;
            expect(decode(other, 'base64'), other).toBeUndefined();
          }
        },
      ),
    );
  });

  it.each([
    ['', 'hex'],
    ['a', 'hex'],
    ['abc', 'hex'],
    ['zz', 'hex'],
    ['0x00', 'hex'],
    ['ab cd', 'hex'],
    ['', 'base64'],
    ['====', 'base64'],
    ['QQ===', 'base64'],
    ['QQ==QQ==', 'base64'],
    ['Q Q==', 'base64'],
    ['*QQ==', 'base64'],
  ] as const)('refuses %j as %s', (text, encoding) => {
    expect(decode(text, encoding)).toBeUndefined();
  });

  it('never throws on any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => (decode(s, 'hex'), decode(s, 'base64'), true)));
  });
});

describe('comparisons', () => {
  it('safeEqual: equal bytes only, and never two empty ones', () => {
    expect(safeEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(safeEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(safeEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
    expect(safeEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(false);
  });

  it('safeEqualText: any two texts, of any lengths', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => safeEqualText(a, b) === (a === b)));
    expect(safeEqualText('', '')).toBe(true);
  });

  it('hmac over parts is the hmac over their concatenation', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), (parts) => {
        expect(hmac('sha256', 'k', ...parts)).toEqual(hmac('sha256', 'k', parts.join('')));
      }),
    );
  });
});
