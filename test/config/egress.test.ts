// The egress rules as the config states them (src/config/egress.ts): the
// origin a target URL template fixes, and each `egress.allow` entry. The
// delivery-side decision is test/delivery/egress.test.ts's subject; here, the
// parsing — every spelling it must read as the same thing, and what it must refuse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bareHost, literalOrigin, originKey, parseAllowEntry, type EgressRule } from '../../src/config/egress.js';
import { formatAddress } from '../../src/lib/ip.js';

function rule(text: string): EgressRule {
  const r = parseAllowEntry(text);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

/** An entry's host in words, for comparisons: `name:x`, `suffix:.x`, `any`, `net:addr/bits`. */
function hostOf(r: EgressRule): string {
  const h = r.host;
  if (h.kind === 'name') return `name:${h.name}`;
  if (h.kind === 'suffix') return `suffix:${h.suffix}`;
  if (h.kind === 'any') return 'any';
  return `net:${formatAddress(h.network.address)}/${h.network.bits}`;
}

describe('originKey and bareHost', () => {
  it('write the default port out, lower-case the host and drop a trailing dot', () => {
    expect(originKey(new URL('HTTPS://API.Example.COM./x'))).toBe('https://api.example.com:443');
    expect(originKey(new URL('http://example.com:80/'))).toBe('http://example.com:80');
    expect(originKey(new URL('http://example.com:8080/'))).toBe('http://example.com:8080');
    expect(originKey(new URL('http://[::1]:9/'))).toBe('http://::1:9');
    expect(originKey(new URL('http://0x7f000001/'))).toBe('http://127.0.0.1:80');
  });

  it('bareHost strips IPv6 brackets and one root dot', () => {
    expect(bareHost('[::1]')).toBe('::1');
    expect(bareHost('example.com.')).toBe('example.com');
    expect(bareHost('example.com')).toBe('example.com');
  });
});

describe('literalOrigin', () => {
  it.each([
    ['https://api.example.com/hooks/{{ id }}', 'https://api.example.com:443'],
    ['  http://127.0.0.1:8080/{{ path }}?q={{ q }}  ', 'http://127.0.0.1:8080'],
    ['https://{{ user }}@api.example.com/x', 'https://api.example.com:443'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example:443'],
    // Kept in its IPv6 form, as the URL of a call to it is keyed too (a call to 127.0.0.1 is another origin).
    ['HTTP://[::FFFF:7F00:1]/', 'http://::ffff:7f00:1:80'],
    ['http://2130706433/', 'http://127.0.0.1:80'],
    ['https://api.example.com#{{ x }}', 'https://api.example.com:443'],
  ])('%j → %s', (template, origin) => expect(literalOrigin(template)).toBe(origin));

  it.each([
    'https://{{ host }}/x',
    'https://api.{{ tenant }}.example.com/x',
    'https://api.example.com:{{ port }}/x',
    'http{{ s }}://api.example.com/x',
    '{{ url }}',
    'https://api.example.com{{ rest }}', // the rest could begin "@evil.example"
    'https://api.example.com\\{{ rest }}',
    'ftp://files.example.com/x',
    'mailto:someone@example.com',
    'https:///x',
    'not a url',
    '',
  ])('%j has no literal origin', (template) => expect(literalOrigin(template)).toBeUndefined());

  it('whatever a template renders to, a URL whose origin it calls literal goes to that origin', () => {
    const piece = fc.constantFrom('a', 'b.', '@', '/', '\\', ':', '#', '?', '%40', '80', '[', ']', 'evil.example', '');
    const rendered = fc.array(piece, { maxLength: 5 }).map((ps) => ps.join(''));
    const template = fc.constantFrom(
      'https://api.example.com/{{x}}',
      'https://{{x}}@api.example.com/',
      'https://api.example.com?{{x}}',
      'https://api.example.com/#{{x}}',
      'https://u:{{x}}@api.example.com:8443/p',
    );
    fc.assert(
      fc.property(template, rendered, (t, value) => {
        const origin = literalOrigin(t);
        expect(origin).toBeDefined();
        const url = t.replace('{{x}}', value);
        if (!URL.canParse(url)) return;
        const u = new URL(url);
        // A user name that swallows the host is what the delivery check refuses for computed URLs; for the
        // host itself the rule is strict: the call's origin is the literal one, or the URL does not parse.
        if (t.startsWith('https://{{x}}@') || t.includes(':{{x}}@')) return;
        expect(originKey(u), url).toBe(origin);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseAllowEntry', () => {
  it.each([
    ['api.example.com', 'name:api.example.com', undefined, undefined],
    ['API.Example.COM.', 'name:api.example.com', undefined, undefined],
    ['https://api.example.com:8443/ignored/path?q', 'name:api.example.com', 'https:', 8443],
    ['http://api.example.com:*', 'name:api.example.com', 'http:', 'any'],
    ['*.example.com', 'suffix:.example.com', undefined, undefined],
    ['*.EXAMPLE.com:*', 'suffix:.example.com', undefined, 'any'],
    ['*', 'any', undefined, undefined],
    ['*:8080', 'any', undefined, 8080],
    ['10.0.0.0/8', 'net:10.0.0.0/104', undefined, undefined],
    ['10.0.0.0/8:5432', 'net:10.0.0.0/104', undefined, 5432],
    ['https://192.168.0.0/16:*', 'net:192.168.0.0/112', 'https:', 'any'],
    ['127.0.0.1', 'net:127.0.0.1/128', undefined, undefined],
    ['0x7f000001', 'net:127.0.0.1/128', undefined, undefined], // as URL parsing reads it
    ['127.1:8080', 'net:127.0.0.1/128', undefined, 8080],
    ['::1', 'net:::1/128', undefined, undefined],
    ['::1:8080', 'net:::1:8080/128', undefined, undefined], // a bare IPv6 address: its colons are no port
    ['[::1]:8080', 'net:::1/128', undefined, 8080],
    ['fd00::/8', 'net:fd00::/8', undefined, undefined],
    ['[fd00::]/8:443', 'net:fd00::/8', undefined, 443],
    ['localhost:65535', 'name:localhost', undefined, 65535],
    ['xn--bcher-kva.example', 'name:xn--bcher-kva.example', undefined, undefined],
    ['bücher.example', 'name:xn--bcher-kva.example', undefined, undefined],
  ])('%j', (text, host, scheme, port) => {
    const r = rule(text);
    expect(r.text).toBe(text);
    expect(hostOf(r)).toBe(host);
    expect(r.scheme).toBe(scheme);
    expect(r.port).toBe(port);
  });

  it.each([
    ['ftp://files.example.com', /only http:\/\/ and https:\/\/ can be allowed/],
    ['file:///etc/passwd', /only http:\/\/ and https:\/\/ can be allowed/],
    ['api.example.com:0', /"0" is not a port/],
    ['api.example.com:65536', /"65536" is not a port/],
    ['api.example.com:', /"" is not a port/],
    ['api.example.com:http', /"http" is not a port/],
    ['api.example.com:-1', /"-1" is not a port/],
    ['10.0.0.0/33', /not a valid CIDR range/],
    ['fd00::/129', /not a valid CIDR range/],
    ['*.10.0.0.1', /not a valid host pattern/],
    ['*.', /not a valid host pattern/],
    ['*.*.example.com', /not a valid host pattern/],
    ['**', /not a valid host/],
    ['a*.example.com', /not a valid host/],
    ['exa mple.com', /not a valid host/],
    ['user@api.example.com', /not a valid host/],
    ['user:pw@api.example.com', /not a valid host|is not a port/],
    ['api%2eexample.com', /not a valid host/],
    ['api\\example.com', /not a valid host/],
    ['', /not a valid host/],
    ['https://', /not a valid host/],
    ['[::1', /not a valid host/],
  ])('refuses %j', (text, why) => {
    const r = parseAllowEntry(text);
    expect(typeof r, JSON.stringify(r)).toBe('string');
    expect(r as string).toMatch(why);
    // Every refusal quotes the entry and says what is expected.
    expect(r as string).toContain(`"${text}"`);
  });

  it('never throws, and what it accepts keeps the entry as written', () => {
    const piece = fc.constantFrom('a', 'example', '.', '*', ':', '/', '[', ']', '@', '%', '8', '0', '10.0.0.0', '::', 'https://', 'ftp://', ' ', '\\');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (ps) => {
        const text = ps.join('');
        const r = parseAllowEntry(text);
        if (typeof r !== 'string') {
          expect(r.text).toBe(text);
          if (r.port !== undefined && r.port !== 'any') expect(r.port >= 1 && r.port <= 65535).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a host name is read as URL parsing reads it', () => {
    fc.assert(
      fc.property(fc.domain(), (name) => {
        const r = rule(name);
        const expected = new URL(`http://${name}/`).hostname;
        // Some generated names are all digits and dots: URL parsing reads those as IPv4 addresses too.
        if (r.host.kind === 'network') expect(formatAddress(r.host.network.address)).toBe(expected);
        else expect(hostOf(r)).toBe(`name:${expected}`);
      }),
    );
  });
});
