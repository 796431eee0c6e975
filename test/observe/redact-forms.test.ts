// Review finding F8: a secret is masked in every form text we show can hold it
// — percent-encoded with upper- or lower-case hex, form-encoded, JSON-escaped
// (`\/`, `\"`, `\uXXXX` in either case, surrogate pairs), and any mix of these
// within one occurrence — and F9's helper: masking before cutting.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, MASK } from '../../src/observe/redact.js';

// Characters with every escaping quirk: reserved in URLs, escaped in JSON, multi-byte, astral.
const SPECIAL = ['/', '"', '\\', ' ', '+', '%', '&', '=', '?', '#', '.', '-', '_', '~', '\n', '\t', ':', '@', '\u00e9', '\u20ac', '\u{1F511}', '*', '(', ')', '[', ']', '{', '}', '|', '$', '^'];
const PLAIN = [...'aBz09XyQ'];
const secretArb = fc.string({ unit: fc.constantFrom(...SPECIAL, ...PLAIN), minLength: 8, maxLength: 24 });

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const lowerHex = (s: string) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
const jsonUnits = (ch: string, upper: boolean) => [...Array(ch.length).keys()].map((i) => `\\u${upper ? hex(ch.charCodeAt(i), 4).toUpperCase() : hex(ch.charCodeAt(i), 4)}`).join('');

/** One character written each way an encoder may write it. */
const CHAR_FORMS: readonly ((ch: string) => string)[] = [
  (ch) => ch,
  (ch) => encodeURIComponent(ch),
  (ch) => lowerHex(encodeURIComponent(ch)),
  (ch) => [...Buffer.from(ch)].map((b) => `%${hex(b, 2)}`).join(''), // every character encoded, lower case
  (ch) => JSON.stringify(ch).slice(1, -1),
  (ch) => (ch === '/' ? '\\/' : JSON.stringify(ch).slice(1, -1)),
  (ch) => jsonUnits(ch, false),
  (ch) => jsonUnits(ch, true),
];

/** Whole-value encoders as libraries apply them. */
const ENCODERS: readonly [string, (s: string) => string][] = [
  ['raw', (s) => s],
  ['encodeURIComponent', encodeURIComponent],
  ['encodeURIComponent, lower-case hex', (s) => lowerHex(encodeURIComponent(s))],
  ['form', (s) => new URLSearchParams({ x: s }).toString().slice(2)],
  ['form, lower-case hex', (s) => lowerHex(new URLSearchParams({ x: s }).toString().slice(2))],
  ['JSON', (s) => JSON.stringify(s).slice(1, -1)],
  ['JSON with \\/', (s) => JSON.stringify(s).slice(1, -1).replace(/\//g, '\\/')],
  ['JSON, all \\u, lower case', (s) => [...s].map((c) => jsonUnits(c, false)).join('')],
  ['JSON, all \\U, upper case', (s) => [...s].map((c) => jsonUnits(c, true)).join('')],
  [
    'JSON, non-ASCII as \\u (as JSON.stringify in some libraries)',
    (s) =>
      JSON.stringify(s)
        .slice(1, -1)
        .replace(/[^\x20-\x7e]/gu, (c) => jsonUnits(c, false)),
  ],
];

describe('every encoded form of a secret is masked (F8)', () => {
  it.each([
    ['lower-case percent-encoding', 'obviously/fake+secret', 'u=obviously%2ffake%2bsecret&x=1', 'u=***&x=1'],
    ['mixed-case percent-encoding', 'obviously/fake+secret', 'u=obviously%2Ffake%2bsecret', 'u=***'],
    ['JSON \\/', 'https://fake.example/hook/obviously-fake', '{"u":"https:\\/\\/fake.example\\/hook\\/obviously-fake"}', '{"u":"https://fake.example/***"}'],
    ['JSON \\u escapes', 'fake<secret>&value', '{"s":"fake\\u003csecret\\u003e\\u0026value"}', '{"s":"***"}'],
    ['JSON \\u escapes, upper case', 'fake<secret>&value', '{"s":"fake\\u003Csecret\\u003E\\u0026value"}', '{"s":"***"}'],
    ['a JSON surrogate pair', 'fake-\u{1F511}-secret', '"fake-\\ud83d\\udd11-secret"', '"***"'],
    ['percent-encoded UTF-8, lower case', 'fake-\u20ac-secret', 'q=fake-%e2%82%ac-secret', 'q=***'],
  ])('%s', (_, secret, text, want) => {
    expect(createRedactor([secret]).text(text)).toBe(want);
  });

  it('a short secret is masked as a whole token also after an escape, still not inside words', () => {
    const r = createRedactor(['12345', 't']);
    expect(r.text('pin%3D12345&pin%3d12345')).toBe('pin%3D***&pin%3d***');
    expect(r.text('{"a":"\\u003d12345"}')).toBe('{"a":"\\u003d***"}');
    expect(r.text('x112345 123456 application/json')).toBe('x112345 123456 application/json');
    expect(r.text('t=%74')).toBe('***=***');
  });

  it.each(ENCODERS)('property: %s', (_, encode) => {
    fc.assert(
      fc.property(secretArb, (secret) => {
        const r = createRedactor([secret]);
        const out = r.text(`<<${encode(secret)}>>`);
        expect(out).toBe(`<<${MASK}>>`);
      }),
      { numRuns: 300 },
    );
  });

  it('property: each character in any form, forms mixed within one occurrence', () => {
    fc.assert(
      fc.property(
        secretArb.chain((secret) => fc.tuple(fc.constant(secret), fc.array(fc.nat(CHAR_FORMS.length - 1), { minLength: [...secret].length, maxLength: [...secret].length }))),
        fc.constantFrom('', 'prefix ', 'a='),
        ([secret, choice], before) => {
          const encoded = [...secret].map((ch, i) => CHAR_FORMS[choice[i]!]!(ch)).join('');
          const out = createRedactor([secret]).text(`${before}${encoded} after`);
          expect(out).toBe(`${before}${MASK} after`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('masking stays linear: a megabyte of text with many secrets', () => {
    const secrets = Array.from({ length: 30 }, (_, i) => `obviously-fake-secret-${i}-${'x'.repeat(i)}`);
    const r = createRedactor(secrets);
    const text = `${'lorem ipsum %2F \\u0041 dolor '.repeat(40_000)}${secrets[7]}`;
    const started = performance.now();
    expect(r.text(text).endsWith(MASK)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
