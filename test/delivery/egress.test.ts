// The egress rules (SPEC guarantee 8) on URLs, as a payload-controlled template
// could produce them: every spelling of an address is judged as the address it
// is, a literal target allows exactly its scheme, host and port, and egress.allow
// entries say host, *.suffix, *, an address or range, with optional scheme and port.
import { describe, expect, it } from 'vitest';
import { literalOrigin, parseAllowEntry } from '../../src/config/egress.js';
import type { Config } from '../../src/config/types.js';
import { addressRefusal, egressDecision, egressRefusal } from '../../src/delivery/egress.js';
import { nonPublic, parseAddress } from '../../src/lib/ip.js';
import { load } from '../helpers/config.js';

function configWith(allow: string[] = [], extraTargets = ''): Config {
  const text = `version: 1
sources:
  src:
    verify: { scheme: none }
targets:
  sink: { url: "http://127.0.0.1:9999/sink" }
  api: { url: "https://api.example.com/v1/{{ id }}" }
  dyn: { url: "{{ callback }}" }
${extraTargets}egress:
  allow: ${JSON.stringify(allow)}
routes:
  - { name: r, source: src, target: dyn }
`;
  const { config, errors } = load(text);
  if (!config) throw new Error(errors.join('\n'));
  return config;
}

describe('a literal target URL allows exactly its scheme, host and port', () => {
  const config = configWith();

  it('the origin a target names is allowed, whatever its address (a local sink)', () => {
    expect(egressRefusal('http://127.0.0.1:9999/other?x=1', config)).toBeUndefined();
    expect(egressRefusal('https://api.example.com/v1/7', config)).toBeUndefined();
    expect(egressRefusal('https://api.example.com:443/else', config)).toBeUndefined();
  });

  it.each([
    ['another port on the same host', 'http://127.0.0.1:6379/', 'egress to http://127.0.0.1:6379 refused: loopback address; add it to egress.allow if intended'],
    ['the default port', 'http://127.0.0.1/', 'egress to http://127.0.0.1 refused: loopback address; add it to egress.allow if intended'],
    ['hex', 'http://0x7f000001:6379/', 'egress to http://127.0.0.1:6379 refused: loopback address; add it to egress.allow if intended'],
    ['one decimal number', 'http://2130706433:6379/', 'egress to http://127.0.0.1:6379 refused: loopback address; add it to egress.allow if intended'],
    ['octal', 'http://0177.0.0.1:6379/', 'egress to http://127.0.0.1:6379 refused: loopback address; add it to egress.allow if intended'],
    ['short form', 'http://127.1:6379/', 'egress to http://127.0.0.1:6379 refused: loopback address; add it to egress.allow if intended'],
    ['trailing dot', 'http://127.0.0.1.:6379/', 'egress to http://127.0.0.1:6379 refused: loopback address; add it to egress.allow if intended'],
    ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]:9999/', 'egress to http://[::ffff:7f00:1]:9999 refused: loopback address; add it to egress.allow if intended'],
    ['IPv6 loopback', 'http://[::1]:9999/', 'egress to http://[::1]:9999 refused: loopback address; add it to egress.allow if intended'],
    ['unspecified', 'http://0.0.0.0:9999/', 'egress to http://0.0.0.0:9999 refused: unspecified address; add it to egress.allow if intended'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data', 'egress to http://169.254.169.254 refused: link-local address; add it to egress.allow if intended'],
    ['a private network', 'http://10.0.0.5/', 'egress to http://10.0.0.5 refused: private address; add it to egress.allow if intended'],
    ['unique local IPv6', 'http://[fd00::1]/', 'egress to http://[fd00::1] refused: private (unique local) address; add it to egress.allow if intended'],
  ])('refuses %s', (_, url, reason) => {
    expect(egressRefusal(url, config)).toBe(reason);
  });

  it('the same IPv4-mapped address is refused even on the literal port (it is not the origin written)', () => {
    expect(egressRefusal('http://[::ffff:7f00:1]:9999/', config)).toMatch(/refused: loopback address/);
  });

  it('userinfo cannot change the host, and a computed URL may not carry any', () => {
    // WHATWG parsing puts the host after the "@": 127.0.0.1, on a port no target names.
    expect(egressRefusal('http://api.example.com@127.0.0.1:6379/', config)).toBe(
      'egress to http://127.0.0.1:6379 refused: the URL holds a user name or password (user@host), which only a target URL written in the config may',
    );
    expect(egressRefusal('https://api.example.com:x@evil.example/', config)).toMatch(/^egress to https:\/\/evil\.example refused: the URL holds a user name/);
    // The literal origin with credentials the template added: the host is still the one written.
    expect(egressRefusal('http://user:pw@127.0.0.1:9999/', config)).toBeUndefined();
  });

  it('scheme and port differences are different origins', () => {
    expect(egressRefusal('http://api.example.com/v1/7', config)).toBe(
      'egress to http://api.example.com refused: not the scheme, host and port of a configured target, nor in egress.allow (targets go to https://api.example.com only); add it to egress.allow if intended',
    );
    expect(egressRefusal('https://api.example.com:8443/v1/7', config)).toMatch(/^egress to https:\/\/api\.example\.com:8443 refused: not the scheme, host and port/);
    expect(egressRefusal('https://127.0.0.1:9999/', config)).toMatch(/refused: loopback address/);
    expect(egressRefusal('ftp://api.example.com/', config)).toBe('egress to ftp://api.example.com refused: only http and https calls are made, not ftp:');
  });

  it('a host a template chooses is not a literal origin', () => {
    expect(literalOrigin('{{ callback }}')).toBeUndefined();
    expect(literalOrigin('https://{{ tenant }}.example.com/x')).toBeUndefined();
    expect(literalOrigin('https://api.example.com:{{ port }}/x')).toBeUndefined();
    expect(literalOrigin('{{ scheme }}://api.example.com/x')).toBeUndefined();
    expect(literalOrigin('https://{{ user }}:{{ pw }}@API.example.com./x/{{ id }}?q={{ q }}')).toBe('https://api.example.com:443');
    expect(literalOrigin('http://127.0.0.1:80')).toBe('http://127.0.0.1:80');
  });
});

describe('egress.allow entries', () => {
  it('a host alone: http and https on their default ports, no other port', () => {
    const config = configWith(['hooks.example.com']);
    expect(egressRefusal('https://hooks.example.com/a', config)).toBeUndefined();
    expect(egressRefusal('http://HOOKS.example.com./a', config)).toBeUndefined();
    expect(egressRefusal('https://hooks.example.com:8443/a', config)).toMatch(/refused: not the scheme, host and port/);
    expect(egressRefusal('https://other.example.com/a', config)).toMatch(/refused/);
  });

  it('with a scheme and a port', () => {
    const config = configWith(['https://api.partner.io', 'hooks.example.com:8443', 'http://any.example.com:*']);
    expect(egressRefusal('https://api.partner.io/x', config)).toBeUndefined();
    expect(egressRefusal('http://api.partner.io/x', config)).toMatch(/refused/);
    expect(egressRefusal('https://hooks.example.com:8443/x', config)).toBeUndefined();
    expect(egressRefusal('http://hooks.example.com:8443/x', config)).toBeUndefined();
    expect(egressRefusal('https://hooks.example.com/x', config)).toMatch(/refused/);
    expect(egressRefusal('http://any.example.com:1234/x', config)).toBeUndefined();
    expect(egressRefusal('https://any.example.com:1234/x', config)).toMatch(/refused/);
  });

  it('*.suffix: names under it (not the bare name, not an address); checked again once resolved', () => {
    const config = configWith(['*.example.net']);
    expect(egressDecision('https://a.b.example.net/x', config)).toMatchObject({ ok: true, resolve: true });
    expect(egressRefusal('https://example.net/x', config)).toMatch(/refused/);
    expect(egressRefusal('https://evilexample.net/x', config)).toMatch(/refused/);
    // A name written out exactly is trusted as written; a literal target too.
    expect(egressDecision('https://api.example.com/v1/x', config)).toMatchObject({ ok: true, resolve: false });
  });

  it('*: any public host, but never an internal address, in any spelling', () => {
    const config = configWith(['*:*']);
    expect(egressDecision('https://anything.example.org:8080/', config)).toMatchObject({ ok: true, resolve: true });
    expect(egressDecision('http://93.184.215.14/', config)).toMatchObject({ ok: true, resolve: false });
    for (const url of ['http://0x7f000001:6379/', 'http://2130706433/', 'http://0177.0.0.1/', 'http://127.1/', 'http://127.0.0.1./', 'http://[::ffff:127.0.0.1]/', 'http://x@127.0.0.1/']) {
      expect(egressRefusal(url, config), url).toMatch(/refused: (loopback address|the URL holds a user name)/);
    }
    // `localhost` is a name: refused when it resolves (see the connect-time check), allowed here.
    expect(egressDecision('http://localhost:6379/', config)).toMatchObject({ ok: true, resolve: true });
  });

  it('an address or range named explicitly is allowed, in any spelling', () => {
    const config = configWith(['127.0.0.1:6379', '10.0.0.0/8', '[fd00::1]', 'localhost:8080']);
    expect(egressRefusal('http://0x7f000001:6379/', config)).toBeUndefined();
    expect(egressRefusal('http://127.0.0.1:6380/', config)).toMatch(/refused: loopback address/);
    expect(egressRefusal('http://10.1.2.3/', config)).toBeUndefined();
    expect(egressRefusal('http://[::ffff:10.1.2.3]/', config)).toBeUndefined();
    expect(egressRefusal('http://11.1.2.3/', config)).toMatch(/refused: not the scheme/);
    expect(egressRefusal('http://[fd00::1]/', config)).toBeUndefined();
    // A loopback name written out exactly is this machine by the user's choice; any other name is checked once resolved.
    expect(egressDecision('http://localhost:8080/', config)).toMatchObject({ ok: true, resolve: false });
  });

  it('entries are checked at load, with the place and what was expected', () => {
    const text = `version: 1
sources:
  src:
    verify: { scheme: none }
targets:
  sink: { url: "http://127.0.0.1:9999/sink" }
egress:
  allow: [ok.example.com, "ftp://x.example.com", "x.example.com:99999", "a b", "10.0.0.0/33"]
routes:
  - { name: r, source: src, target: sink }
`;
    const { errors } = load(text);
    expect(errors).toEqual([
      'routes.yaml:8:27: egress.allow[1]: "ftp://x.example.com": only http:// and https:// can be allowed',
      expect.stringMatching(/^routes\.yaml:8:50: egress\.allow\[2\]: "x\.example\.com:99999": "99999" is not a port \(expected a host/),
      expect.stringMatching(/^routes\.yaml:8:73: egress\.allow\[3\]: "a b": not a valid host/),
      expect.stringMatching(/^routes\.yaml:8:80: egress\.allow\[4\]: "10\.0\.0\.0\/33": not a valid CIDR range/),
    ]);
  });

  it('parses the forms it documents', () => {
    expect(parseAllowEntry('https://x.example.org/path')).toEqual({ text: 'https://x.example.org/path', scheme: 'https:', host: { kind: 'name', name: 'x.example.org' } });
    expect(parseAllowEntry('*.Example.com:443')).toEqual({ text: '*.Example.com:443', host: { kind: 'suffix', suffix: '.example.com' }, port: 443 });
    expect(parseAllowEntry('*')).toEqual({ text: '*', host: { kind: 'any' } });
    expect(parseAllowEntry('fd00::/8')).toMatchObject({ host: { kind: 'network', network: { bits: 8 } } });
    expect(parseAllowEntry('[::1]:8080')).toMatchObject({ host: { kind: 'network', network: { bits: 128 } }, port: 8080 });
  });
});

describe('resolved addresses (the connect-time check)', () => {
  it.each([
    ['127.0.0.1', 'loopback address'],
    ['127.255.0.9', 'loopback address'],
    ['::1', 'loopback address'],
    ['::ffff:127.0.0.1', 'loopback address'],
    ['::ffff:7f00:1', 'loopback address'],
    ['0.0.0.0', 'unspecified address'],
    ['::', 'unspecified address'],
    ['169.254.169.254', 'link-local address'],
    ['fe80::1%eth0', 'link-local address'],
    ['10.0.0.1', 'private address'],
    ['172.16.0.1', 'private address'],
    ['192.168.1.1', 'private address'],
    ['fc00::1', 'private (unique local) address'],
    ['fd12:3456::1', 'private (unique local) address'],
    ['100.100.100.200', 'shared (carrier-grade NAT) address'],
    ['64:ff9b::7f00:1', 'NAT64 loopback address'],
    ['2002:a00:1::', '6to4 private address'],
  ])('%s is refused: %s', (ip, why) => {
    expect(addressRefusal(ip, [])).toBe(why);
  });

  it.each(['93.184.215.14', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (ip) => {
    expect(addressRefusal(ip, [])).toBeUndefined();
  });

  it('a range egress.allow names is accepted', () => {
    const rule = parseAllowEntry('10.0.0.0/8');
    if (typeof rule === 'string' || rule.host.kind !== 'network') throw new Error(String(rule));
    expect(addressRefusal('10.9.9.9', [rule.host.network])).toBeUndefined();
    expect(addressRefusal('192.168.0.1', [rule.host.network])).toBe('private address');
  });

  it('parses addresses the resolver and URLs give', () => {
    expect(nonPublic(parseAddress('[::ffff:7f00:1]')!)).toBe('loopback');
    expect(parseAddress('localhost')).toBeUndefined();
    expect(parseAddress('0x7f000001')).toBeUndefined(); // URL parsing normalises it first
  });
});
