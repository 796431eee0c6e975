// hasTraversal (src/lib/request-target.ts): a request target that URL parsing,
// or a proxy decoding it once or more, could turn into another path is
// refused. The property: whatever it lets through keeps its segments — the
// same count, none a dot segment — however many times it is decoded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasTraversal } from '../../src/lib/request-target.js';

describe('hasTraversal', () => {
  it.each([
    '/hooks/../admin',
    '/hooks/./x',
    '/hooks/..',
    '/..',
    '/hooks/%2e%2e/admin',
    '/hooks/%2E%2e/admin',
    '/hooks/.%2e/admin',
    '/hooks/%2e./admin',
    '/hooks/%2e',
    '/hooks/%252e%252e/admin', // a proxy that decodes once sees %2e%2e
    '/hooks/%25252e%25252e/admin',
    '/hooks/%2525252e%2525252e/admin', // four rounds of encoding
    '/hooks\\..\\admin',
    '/hooks\\admin',
    '/hooks/%5c..%5cadmin',
    '/hooks/%5C',
    '/hooks/a%2fb',
    '/hooks/a%2F..%2Fadmin',
    '/hooks/a%252fb',
    '/hooks/a%2f%e0b', // a malformed UTF-8 run still yields its slash
    '/hooks/%5c%ff',
    '/hooks/%e0/%2e%2e/admin',
  ])('refuses %j', (target) => expect(hasTraversal(target)).toBe(true));

  it.each([
    '/hooks/github',
    '/',
    '',
    '/hooks/github/',
    '/hooks//github',
    '/hooks/.well-known',
    '/hooks/a.b',
    '/hooks/...',
    '/hooks/..a',
    '/hooks/a..',
    '/hooks/%2e%2e%2e', // "..." is a name, not a dot segment
    '/hooks/%e0%2e%2e', // a byte, then two dots: a name
    '/hooks/%C0%AE%C0%AE', // overlong UTF-8 is no dot to any decoder in use today
    '/hooks/%20',
    '/hooks/%zz',
    '/hooks/%',
    '/hooks/100%25',
    '/hooks/caf%C3%A9',
    '/hooks/github?next=../admin',
    '/hooks/github?path=a\\b',
    '/hooks/github#/../admin',
    '/hooks/github?x=%2e%2e',
  ])('lets %j through', (target) => expect(hasTraversal(target)).toBe(false));

  it('stops after four rounds of decoding rather than looping on a hostile escape', () => {
    // Five layers: past what any chain of proxies is assumed to decode.
    expect(hasTraversal('/hooks/%252525252e%252525252e/admin')).toBe(false);
    const long = `/hooks/${'%25'.repeat(10_000)}2e`;
    const started = performance.now();
    expect(hasTraversal(long)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  // Lenient decoding, as a proxy might do it: every escape of an ASCII byte, whatever surrounds it.
  const lenient = (s: string) => s.replace(/%([0-7][0-9a-f])/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  const pathOf = (t: string) => t.replace(/[?#].*$/s, '');

  const targetArb = fc.array(fc.constantFrom('a', '.', '/', '%', '2', '5', 'e', 'E', 'f', 'F', 'c', 'C', '\\', '?', '#', 'é'), { maxLength: 24 }).map((cs) => `/${cs.join('')}`);

  it('what it lets through, decoded up to four times, keeps its segments and has no dot segment', () => {
    fc.assert(
      fc.property(targetArb, (target) => {
        fc.pre(!hasTraversal(target));
        let path = pathOf(target);
        const segments = path.split('/').length;
        for (let round = 0; round <= 4; round++) {
          expect(path.includes('\\'), `${target} after ${round} rounds: ${path}`).toBe(false);
          const parts = path.split('/');
          expect(parts.length, `${target} after ${round} rounds: ${path}`).toBe(segments);
          for (const p of parts) expect(p === '.' || p === '..', `${target} after ${round} rounds: ${path}`).toBe(false);
          path = lenient(path);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('what it lets through, WHATWG URL parsing (what Hono routes on) leaves with the same segments', () => {
    fc.assert(
      fc.property(targetArb, (target) => {
        fc.pre(!hasTraversal(target));
        const parsed = new URL(`http://h${target}`).pathname;
        expect(parsed.split('/').length, `${target} → ${parsed}`).toBe(pathOf(target).split('/').length);
      }),
      { numRuns: 5000 },
    );
  });

  it('an absolute-form target (GET http://host/… HTTP/1.1) is judged by its path too', () => {
    expect(hasTraversal('http://example.com/hooks/%2e%2e/admin')).toBe(true);
    expect(hasTraversal('http://example.com/hooks/github')).toBe(false);
  });
});
