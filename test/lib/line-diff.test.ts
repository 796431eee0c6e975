// The unified diff the preview shows: correct (applying it to the old text
// gives the new one, for any texts), minimal where it can be, and bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/lib/line-diff.js';

const labels = { before: 'a', after: 'b' };

/** Applies a unified diff to `before`, checking every context and removed line against it. */
function apply(before: string, diff: string): string {
  const a = before.split('\n');
  const out: string[] = [];
  let at = 0; // next line of `a` not yet copied
  const lines = diff.split('\n').slice(2);
  for (let i = 0; i < lines.length; i++) {
    const m = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(lines[i]!);
    if (!m) throw new Error(`expected a hunk header, got ${JSON.stringify(lines[i])}`);
    const start = Number(m[2]) === 0 ? Number(m[1]) : Number(m[1]) - 1;
    while (at < start) out.push(a[at++]!);
    for (i++; i < lines.length && !lines[i]!.startsWith('@@'); i++) {
      const l = lines[i]!;
      if (l.startsWith('+')) out.push(l.slice(1));
      else {
        if (a[at] !== l.slice(1)) throw new Error(`line ${at + 1}: the diff says ${JSON.stringify(l)}, the text has ${JSON.stringify(a[at])}`);
        if (l.startsWith(' ')) out.push(a[at]!);
        at++;
      }
    }
    i--;
  }
  while (at < a.length) out.push(a[at++]!);
  return out.join('\n');
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('x\ny', 'x\ny', labels)).toBe('');
  });

  it('shows a changed line with three lines of context, removals before additions', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const after = before.replace('5', 'five');
    expect(unifiedDiff(before, after, labels)).toBe(['--- a', '+++ b', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8'].join('\n'));
  });

  it('keeps far-apart changes in separate hunks and merges near ones', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const after = [...lines];
    after[2] = 'changed 2';
    after[25] = 'changed 25';
    const d = unifiedDiff(lines.join('\n'), after.join('\n'), labels);
    expect(d.match(/^@@/gm)).toHaveLength(2);
    after[8] = 'changed 8'; // within 2×3 lines of the first change
    expect(unifiedDiff(lines.join('\n'), after.join('\n'), labels).match(/^@@/gm)).toHaveLength(2);
  });

  it('for any two texts, applying the diff to the first gives the second', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', '', '  "x": 1', '}'), { maxLength: 30 }).map((l) => l.join('\n'));
    fc.assert(
      fc.property(text, text, (before, after) => {
        const d = unifiedDiff(before, after, labels, { maxLines: 10_000 });
        if (before === after) return d === '';
        return apply(before, d) === after;
      }),
      { numRuns: 500 },
    );
  });

  it('stays correct past the alignment bound (large texts) and caps what it prints', () => {
    const before = Array.from({ length: 2000 }, (_, i) => `a${i}`).join('\n');
    const after = Array.from({ length: 2000 }, (_, i) => (i % 2 ? `a${i}` : `b${i}`)).join('\n');
    const full = unifiedDiff(before, after, labels, { maxLines: 100_000 });
    expect(apply(before, full)).toBe(after);
    const capped = unifiedDiff(before, after, labels);
    expect(capped.split('\n')).toHaveLength(201);
    expect(capped).toMatch(/… \d+ more lines of diff left out$/);
  });
});
