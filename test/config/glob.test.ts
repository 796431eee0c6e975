// Topic globs (src/config/glob.ts) against a reference matcher written here
// from the documented rule — `*` any run of characters, `?` exactly one,
// everything else literal — by dynamic programming over code points, so no
// regular expression stands on both sides of the comparison.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTopics, globToRegExp } from '../../src/config/glob.js';

/** The documented rule, by the book: a table of which pattern prefixes match which topic prefixes. */
function reference(pattern: string, topic: string): boolean {
  const p = [...pattern];
  const t = [...topic];
  // row[j]: does p[0..i) match t[0..j)?
  let row = Array.from({ length: t.length + 1 }, (_, j) => j === 0);
  for (const ch of p) {
    const next = Array.from({ length: t.length + 1 }, () => false);
    if (ch === '*') next[0] = row[0]!;
    for (let j = 1; j <= t.length; j++) {
      if (ch === '*') next[j] = row[j]! || next[j - 1]!;
      else if (ch === '?') next[j] = row[j - 1]!;
      else next[j] = row[j - 1]! && t[j - 1] === ch;
    }
    row = next;
  }
  return row[t.length]!;
}

// Letters topics use, the wildcards, every character a regular expression gives meaning to, and a newline.
const ALPHABET = ['a', 'b', '.', '_', '*', '?', '\\', '^', '$', '+', '(', ')', '|', '[', ']', '{', '}', '-', '/', '\n', 'é'];
const patternArb = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 8 }).map((cs) => cs.join(''));
const topicArb = fc.array(fc.constantFrom(...ALPHABET.filter((c) => c !== '*' && c !== '?'), '*', '?'), { maxLength: 10 }).map((cs) => cs.join(''));

describe('globToRegExp', () => {
  it('agrees with the reference matcher on any pattern and topic', () => {
    fc.assert(
      fc.property(patternArb, topicArb, (pattern, topic) => {
        expect(globToRegExp(pattern).test(topic), `${JSON.stringify(pattern)} vs ${JSON.stringify(topic)}`).toBe(reference(pattern, topic));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on topics built to match (a pattern with its wildcards filled in)', () => {
    const filled = patternArb.chain((pattern) =>
      fc
        .tuple(...[...pattern].map((ch) => (ch === '*' ? fc.string({ maxLength: 3 }) : ch === '?' ? fc.string({ minLength: 1, maxLength: 1 }) : fc.constant(ch))))
        .map((parts) => ({ pattern, topic: parts.join('') })),
    );
    fc.assert(
      fc.property(filled, ({ pattern, topic }) => {
        expect(reference(pattern, topic)).toBe(true);
        expect(globToRegExp(pattern).test(topic), `${JSON.stringify(pattern)} vs ${JSON.stringify(topic)}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('is anchored at both ends and spans newlines', () => {
    expect(globToRegExp('a').test('xa')).toBe(false);
    expect(globToRegExp('a').test('ax')).toBe(false);
    expect(globToRegExp('a').test('a\n')).toBe(false); // `$` without the m flag still must not accept a trailing newline
    expect(globToRegExp('a*b').test('a\nb')).toBe(true);
    expect(globToRegExp('a?b').test('a\nb')).toBe(true);
  });

  it('gives a character class or an alternation no meaning', () => {
    expect(globToRegExp('[ab]').test('a')).toBe(false);
    expect(globToRegExp('[ab]').test('[ab]')).toBe(true);
    expect(globToRegExp('a|b').test('a')).toBe(false);
    expect(globToRegExp('a{2}').test('aa')).toBe(false);
    expect(globToRegExp('\\d').test('1')).toBe(false);
    expect(globToRegExp('\\d').test('\\d')).toBe(true);
  });

  // Regression: a pattern's stars used to become `.*` and V8 backtracked: `*.*.*.created` against a topic of 1,000 dots takes ~130 ms, 5,000 dots some
  // seconds, `*a*a*a*a*ab` against 100 a's ~0.7 s — the event loop blocked while a webhook is routed
  // (a topic is read from the payload). Matching is now linear (globMatch).
  it('a run of stars stays fast on a topic that nearly matches (no catastrophic backtracking)', () => {
    const started = performance.now();
    expect(compileTopics(['*a*a*a*a*ab'])('a'.repeat(100))).toBe(false);
    expect(compileTopics(['*.*.*.created'])('.'.repeat(2000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(250);
  });

  // Regression: `?` used to match one UTF-16 unit, so an emoji (two) was not "exactly one character".
  it('? matches one character outside the BMP too', () => {
    expect(compileTopics(['reaction:?'])('reaction:\u{1F600}')).toBe(true);
  });
});

describe('compileTopics', () => {
  it('matches a topic when any one pattern of the list does', () => {
    fc.assert(
      fc.property(fc.array(patternArb, { minLength: 1, maxLength: 4 }), topicArb, (patterns, topic) => {
        expect(compileTopics(patterns)(topic)).toBe(patterns.some((p) => reference(p, topic)));
      }),
      { numRuns: 2000 },
    );
  });

  it('"*" anywhere in the list opens it to every topic', () => {
    const m = compileTopics(['push', '*', 'issues.opened']);
    expect(m('')).toBe(true);
    expect(m('anything')).toBe(true);
  });

  it('an exact entry does not also act as a glob of its dots', () => {
    const m = compileTopics(['a.b']);
    expect(m('a.b')).toBe(true);
    expect(m('axb')).toBe(false);
  });

  it('an empty-string entry matches only the empty topic', () => {
    const m = compileTopics(['']);
    expect(m('')).toBe(true);
    expect(m('x')).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(compileTopics(['Issues.*'])('issues.opened')).toBe(false);
    expect(compileTopics(['push'])('PUSH')).toBe(false);
  });
});
