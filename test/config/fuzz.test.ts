// The loader against random damage to a real config: lines deleted, duplicated,
// swapped, re-indented, characters changed. Whatever the damage: no exception,
// and either a config or a list of errors that each point inside the file.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';

const EXAMPLE = readFileSync(resolve(__dirname, '../../routes.example.yaml'), 'utf8');
const LINES = EXAMPLE.split('\n');

type Mutation = (lines: string[]) => string[];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i) => (ls: string[]) => ls.filter((_, j) => j !== i % ls.length)),
  fc.nat().map((i) => (ls: string[]) => [...ls.slice(0, i % ls.length), ls[i % ls.length]!, ...ls.slice(i % ls.length)]),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (ls: string[]) => {
    const out = [...ls];
    const x = a % out.length;
    const y = b % out.length;
    [out[x], out[y]] = [out[y]!, out[x]!];
    return out;
  }),
  fc.tuple(fc.nat(), fc.constantFrom('', ' ', '  ', '\t', '    ')).map(
    ([i, indent]) =>
      (ls: string[]) =>
        ls.map((l, j) => (j === i % ls.length ? indent + l.trimStart() : l)),
  ),
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(':', '{', '}', '[', ']', '"', "'", '&', '*', '#', '-', '$', '(', 'x', '|', '>')).map(
    ([i, at, ch]) =>
      (ls: string[]) =>
        ls.map((l, j) => (j === i % ls.length && l.length ? l.slice(0, at % l.length) + ch + l.slice((at % l.length) + 1) : l)),
  ),
);

describe('config loader under random damage', () => {
  it('never throws; errors always carry a position inside the file', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const text = ms.reduce((ls, m) => m(ls), LINES).join('\n');
        const lineCount = text.split('\n').length;
        const result = loadConfigText('routes.yaml', text, {});
        if (result.config) return true;
        const errors = result.issues.filter((i) => i.severity === 'error');
        expect(errors.length).toBeGreaterThan(0);
        for (const e of errors) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.line).toBeLessThanOrEqual(lineCount + 1);
          expect(e.col).toBeGreaterThanOrEqual(1);
          expect(e.message.length).toBeGreaterThan(0);
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });
});
