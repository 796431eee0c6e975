import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTopics, globToRegExp } from '../../src/config/glob.js';
import { closest } from '../../src/config/didyoumean.js';
import { formatDuration, parseDuration, parseRate, parseSize } from '../../src/config/units.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1.5s', 1500],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    [' 2 s ', 2000],
  ])('%s → %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', 'five seconds', '5 sec', '-1s', '1w', 's'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('round-trips through formatDuration', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 9 }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });

  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const v = parseDuration(s);
        return v === undefined || (Number.isFinite(v) && v >= 0);
      }),
    );
  });
});

describe('sizes', () => {
  it.each([
    ['1mb', 1_048_576],
    ['1MB', 1_048_576],
    ['512kb', 524_288],
    ['100b', 100],
    ['2048', 2048],
    ['1gb', 1_073_741_824],
    ['1MiB', 1_048_576],
  ])('%s → %i bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it.each(['', 'lots', '1 tb', '-1mb', 'mb'])('rejects %j', (text) => expect(parseSize(text)).toBeUndefined());
});

describe('rates', () => {
  it.each([
    ['1/s', { count: 1, perMs: 1000 }],
    ['30/m', { count: 30, perMs: 60_000 }],
    ['30/min', { count: 30, perMs: 60_000 }],
    ['1000/h', { count: 1000, perMs: 3_600_000 }],
  ])('%s', (text, rate) => expect(parseRate(text)).toEqual(rate));

  it.each(['', 'fast', '0/s', '10/d', '10 per second', '/s'])('rejects %j', (text) => expect(parseRate(text)).toBeUndefined());
});

describe('topic globs', () => {
  it('matches exact topics, * and ?', () => {
    const m = compileTopics(['issues.*', 'issue_comment.created', 'charge.?efunded']);
    expect(m('issues.opened')).toBe(true);
    expect(m('issues.')).toBe(true);
    expect(m('issues')).toBe(false);
    expect(m('issue_comment.created')).toBe(true);
    expect(m('issue_comment.deleted')).toBe(false);
    expect(m('charge.refunded')).toBe(true);
    expect(m('xissues.opened')).toBe(false);
  });

  it('no list, an empty list or "*" match everything, the empty topic included', () => {
    for (const m of [compileTopics(undefined), compileTopics([]), compileTopics(['*'])]) {
      expect(m('')).toBe(true);
      expect(m('anything.at.all')).toBe(true);
    }
  });

  it('treats regex characters literally', () => {
    const m = compileTopics(['orders/create', 'a+b', '(x)']);
    expect(m('orders/create')).toBe(true);
    expect(m('a+b')).toBe(true);
    expect(m('aab')).toBe(false);
    expect(m('(x)')).toBe(true);
  });

  it('a pattern without wildcards matches only itself', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        fc.string(),
        (pattern, other) => {
          const re = globToRegExp(pattern);
          return re.test(pattern) && (other === pattern || !re.test(other));
        },
      ),
    );
  });

  it('prefix.* matches every topic that starts with the prefix', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        fc.string(),
        (prefix, rest) => compileTopics([`${prefix}.*`])(`${prefix}.${rest}`),
      ),
    );
  });
});

describe('did you mean', () => {
  it('suggests close names only', () => {
    expect(closest('trnsform', ['transform', 'filter'])).toBe('transform');
    expect(closest('slakc', ['slack', 'discord'])).toBe('slack');
    expect(closest('colour', ['version', 'server'])).toBeUndefined();
  });
});
