// "did you mean" (src/config/didyoumean.ts): the optimal-string-alignment
// distance against a plain full-table reference, the choice of candidate,
// and the work budget that keeps a hostile file's hints cheap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closest, editDistance, hint, withHintBudget } from '../../src/config/didyoumean.js';

/** Optimal string alignment by the textbook: the whole table, no cut-offs, no reused rows. */
function osa(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** What closest should answer: the first candidate at the least distance (case ignored), if within a third of the word. */
function expectedClosest(word: string, candidates: string[]): string | undefined {
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = osa(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= allowed ? best : undefined;
}

const word = fc.array(fc.constantFrom('a', 'b', 'c', 'A', 'é', '_'), { maxLength: 9 }).map((cs) => cs.join(''));

describe('editDistance', () => {
  it('agrees with the full-table reference', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(editDistance(a, b), `${a} / ${b}`).toBe(osa(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees after a long word has grown the shared rows, and on short words after that', () => {
    const long = 'x'.repeat(500);
    expect(editDistance(long, `${long}y`)).toBe(1);
    fc.assert(fc.property(word, word, (a, b) => editDistance(a, b) === osa(a, b)));
  });

  it('is symmetric, zero only for equal words, and never more than the longer length', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        const d = editDistance(a, b);
        expect(editDistance(b, a)).toBe(d);
        expect(d === 0).toBe(a === b);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }),
    );
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('slakc', 'slack')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('ca', 'abc')).toBe(3); // OSA, not Damerau: no edit of a swapped pair
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
  });
});

describe('closest', () => {
  it('picks the first candidate at the least distance, within a third of the word', () => {
    fc.assert(
      fc.property(word, fc.array(word, { maxLength: 6 }), (w, candidates) => {
        expect(closest(w, candidates), `${w} among ${JSON.stringify(candidates)}`).toBe(expectedClosest(w, candidates));
      }),
      { numRuns: 3000 },
    );
  });

  it('ignores case but answers with the candidate as written', () => {
    expect(closest('GitHub', ['github', 'gitlab'])).toBe('github');
    expect(closest('stripe', ['Stripe'])).toBe('Stripe');
  });

  it('allows one edit for short words, more for long ones', () => {
    expect(closest('ab', ['xy'])).toBeUndefined();
    expect(closest('ab', ['ax'])).toBe('ax');
    expect(closest('maxBodySiz', ['maxBodySize'])).toBe('maxBodySize');
    expect(closest('maxBdySze', ['maxBodySize'])).toBe('maxBodySize'); // 9 letters: 3 edits allowed
    expect(closest('maxBdySz', ['maxBodySize'])).toBeUndefined(); // 8 letters: 2 allowed, 3 needed
    expect(closest('mxBdySz', ['maxBodySize'])).toBeUndefined();
  });

  it('no candidates, no answer; an empty word matches a one-letter candidate at most', () => {
    expect(closest('anything', [])).toBeUndefined();
    expect(closest('', ['a'])).toBe('a');
    expect(closest('', ['ab'])).toBeUndefined();
  });

  it('takes any iterable, once', () => {
    function* names() {
      yield 'transform';
      yield 'filter';
    }
    expect(closest('trnsform', names())).toBe('transform');
    expect(closest('filtr', new Set(['filter', 'transform']))).toBe('filter');
  });

  it('a hostile word (very long, against many names) stays cheap', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `name_${i}_${'x'.repeat(i % 50)}`);
    const started = performance.now();
    closest('y'.repeat(100_000), names);
    closest('name_1', names);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('withHintBudget', () => {
  it('past the budget, hints are left out rather than computed', () => {
    const candidates = ['transform', 'filter'];
    expect(withHintBudget(() => closest('trnsform', candidates), 10)).toBeUndefined();
    expect(withHintBudget(() => closest('trnsform', candidates), 1_000)).toBe('transform');
  });

  it('the budget is shared by every hint of one load', () => {
    const results = withHintBudget(() => Array.from({ length: 50 }, () => closest('trnsform', ['transform'])), 1_000);
    expect(results[0]).toBe('transform');
    expect(results.at(-1)).toBeUndefined();
  });

  it('a nested load has its own budget, and the outer one is restored after, even when the inner one throws', () => {
    withHintBudget(() => {
      expect(() =>
        withHintBudget(() => {
          throw new Error('boom');
        }, 0),
      ).toThrow('boom');
      expect(closest('trnsform', ['transform'])).toBe('transform');
    }, 1_000);
    // Outside any load: unbounded.
    for (let i = 0; i < 100; i++) expect(closest('trnsform', ['transform'])).toBe('transform');
  });

  it('returns what the function returns', () => {
    expect(withHintBudget(() => 42)).toBe(42);
  });
});

describe('hint', () => {
  it('reads as the tail of a message, or nothing', () => {
    expect(hint('slakc', ['slack'])).toBe('; did you mean "slack"?');
    expect(hint('zzz', ['slack'])).toBe('');
  });
});
