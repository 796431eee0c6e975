// IP addresses and networks (src/lib/ip.ts), the ground the egress rules
// stand on. Range checks are compared with Node's own net.BlockList; the
// public/non-public verdicts are probed at the edges of each range, where an
// off-by-one prefix would show.
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress, inNetwork, nonPublic, parseAddress, parseNetwork } from '../../src/lib/ip.js';

const hex = (a: Uint8Array) => Buffer.from(a).toString('hex');

describe('parseAddress', () => {
  it('stores IPv4 as its IPv4-mapped IPv6 form', () => {
    expect(hex(parseAddress('127.0.0.1')!)).toBe('00000000000000000000ffff7f000001');
    expect(parseAddress('::ffff:127.0.0.1')).toEqual(parseAddress('127.0.0.1'));
    expect(parseAddress('::ffff:7f00:1')).toEqual(parseAddress('127.0.0.1'));
  });

  it('reads brackets, zones, compressed and embedded forms', () => {
    expect(hex(parseAddress('[::1]')!)).toBe('00000000000000000000000000000001');
    expect(parseAddress('fe80::1%eth0')).toEqual(parseAddress('fe80::1'));
    expect(parseAddress('[fe80::1%25eth0]')).toEqual(parseAddress('fe80::1'));
    expect(hex(parseAddress('1::')!)).toBe('00010000000000000000000000000000');
    expect(hex(parseAddress('::')!)).toBe('0'.repeat(32));
    expect(hex(parseAddress('2001:db8::ff00:42:8329')!)).toBe('20010db8000000000000ff0000428329');
    expect(hex(parseAddress('64:ff9b::192.0.2.33')!)).toBe('0064ff9b0000000000000000c0000221');
    expect(hex(parseAddress('FFFF:ffff:FFFF:ffff:ffff:ffff:ffff:ffff')!)).toBe('f'.repeat(32));
  });

  it.each([
    '',
    'localhost',
    '127.1',
    '0x7f000001',
    '0177.0.0.1',
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '[::1',
    '::1]',
    ':::',
    '1::2::3',
    '12345::',
    'g::1',
    '::ffff:1.2.3.256',
    ' 1.2.3.4',
    '1.2.3.4/8',
    '%eth0',
    '[]',
  ])('refuses %j', (text) => expect(parseAddress(text)).toBeUndefined());

  it('round-trips through formatAddress to the canonical text URLs use', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const a = parseAddress(ip);
        expect(a, ip).toBeDefined();
        const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
        const shown = formatAddress(a!);
        // A mapped address is shown as the IPv4 address it is.
        if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(canonical)) expect(parseAddress(shown)).toEqual(a);
        else expect(shown).toBe(canonical);
        expect(parseAddress(shown)).toEqual(a);
      }),
      { numRuns: 1000 },
    );
    fc.assert(fc.property(fc.ipV4(), (ip) => formatAddress(parseAddress(ip)!) === ip));
  });

  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const a = parseAddress(s);
        return a === undefined || a.length === 16;
      }),
    );
  });
});

describe('parseNetwork', () => {
  it('counts IPv4 prefixes over the 16 bytes', () => {
    expect(parseNetwork('10.0.0.0/8')!.bits).toBe(104);
    expect(parseNetwork('0.0.0.0/0')!.bits).toBe(96);
    expect(parseNetwork('1.2.3.4')!.bits).toBe(128);
    expect(parseNetwork('fd00::/8')!.bits).toBe(8);
    expect(parseNetwork('::/0')!.bits).toBe(0);
    expect(parseNetwork('::1')!.bits).toBe(128);
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/1.5', '10.0.0.0/0x8', '10.0.0.0/8/8', '10.0.0.0/0008', 'example.com/8', '/8', '10.0.0.0/ 8'])('refuses %j', (text) =>
    expect(parseNetwork(text)).toBeUndefined(),
  );

  it('a /0 IPv4 network holds every IPv4 address and no IPv6 one', () => {
    const all4 = parseNetwork('0.0.0.0/0')!;
    expect(inNetwork(parseAddress('255.255.255.255')!, all4)).toBe(true);
    expect(inNetwork(parseAddress('::1')!, all4)).toBe(false);
    expect(inNetwork(parseAddress('2001:db8::1')!, all4)).toBe(false);
  });
});

describe('inNetwork agrees with net.BlockList', () => {
  it('IPv4, any prefix', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4(), (net, bits, addr) => {
        const list = new BlockList();
        list.addSubnet(net, bits, 'ipv4');
        expect(inNetwork(parseAddress(addr)!, parseNetwork(`${net}/${bits}`)!), `${addr} in ${net}/${bits}`).toBe(list.check(addr, 'ipv4'));
      }),
      { numRuns: 2000 },
    );
  });

  it('IPv4, addresses near the network (where the last prefix bit decides)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 32 }), fc.integer({ min: -300, max: 300 }), (net, bits, delta) => {
        const n = net.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
        const v = (((n + delta) % 2 ** 32) + 2 ** 32) % 2 ** 32;
        const addr = [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
        const list = new BlockList();
        list.addSubnet(net, bits, 'ipv4');
        expect(inNetwork(parseAddress(addr)!, parseNetwork(`${net}/${bits}`)!), `${addr} in ${net}/${bits}`).toBe(list.check(addr, 'ipv4'));
      }),
      { numRuns: 2000 },
    );
  });

  it('IPv6, any prefix', () => {
    const v6 = fc.ipV6().filter((ip) => !ip.includes('.')); // BlockList reads embedded IPv4 tails differently
    fc.assert(
      fc.property(v6, fc.integer({ min: 0, max: 128 }), v6, (net, bits, addr) => {
        const list = new BlockList();
        list.addSubnet(net, bits, 'ipv6');
        expect(inNetwork(parseAddress(addr)!, parseNetwork(`${net}/${bits}`)!), `${addr} in ${net}/${bits}`).toBe(list.check(addr, 'ipv6'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('nonPublic', () => {
  const why = (ip: string) => nonPublic(parseAddress(ip)!);

  it.each([
    ['0.255.255.255', 'unspecified'],
    ['126.255.255.255', undefined],
    ['127.0.0.0', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['128.0.0.0', undefined],
    ['9.255.255.255', undefined],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', undefined],
    ['172.15.255.255', undefined],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', undefined],
    ['192.167.255.255', undefined],
    ['192.168.0.0', 'private'],
    ['192.169.0.0', undefined],
    ['100.63.255.255', undefined],
    ['100.64.0.0', 'shared (carrier-grade NAT)'],
    ['100.127.255.255', 'shared (carrier-grade NAT)'],
    ['100.128.0.0', undefined],
    ['169.253.255.255', undefined],
    ['169.254.169.254', 'link-local'],
    ['169.255.0.0', undefined],
    ['192.0.0.255', 'reserved'],
    ['192.0.1.0', undefined],
    ['198.17.255.255', undefined],
    ['198.18.0.0', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.20.0.0', undefined],
    ['223.255.255.255', undefined],
    ['224.0.0.0', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.0', 'reserved'],
    ['255.255.255.255', 'reserved'],
  ])('%s → %s', (ip, want) => expect(why(ip)).toBe(want));

  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::2', 'IPv4-compatible unspecified'],
    ['fe7f:ffff::', undefined],
    ['fe80::', 'link-local'],
    ['febf:ffff::', 'link-local'],
    ['fec0::', 'private (site-local)'],
    ['fbff:ffff::', undefined],
    ['fc00::', 'private (unique local)'],
    ['fdff:ffff::1', 'private (unique local)'],
    ['ff02::1', 'multicast'],
    ['100::1', 'reserved'],
    ['100:0:0:1::', undefined],
    ['2606:4700:4700::1111', undefined],
  ])('%s → %s', (ip, want) => expect(why(ip)).toBe(want));

  it('judges an IPv4 address inside IPv6 by that address, in every embedding', () => {
    expect(why('::ffff:10.1.2.3')).toBe('private');
    expect(why('::ffff:8.8.8.8')).toBeUndefined();
    expect(why('64:ff9b::a9fe:a9fe')).toBe('NAT64 link-local');
    expect(why('64:ff9b::808:808')).toBeUndefined();
    expect(why('::7f00:1')).toBe('IPv4-compatible loopback');
    expect(why('::c0a8:1')).toBe('IPv4-compatible private');
    expect(why('2002:7f00:1::')).toBe('6to4 loopback');
    expect(why('2002:c0a8:101:ffff::1')).toBe('6to4 private');
    expect(why('2002:808:808::')).toBeUndefined();
  });

  it('every IPv4 address gets the same verdict as its IPv4-mapped and NAT64 forms', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const plain = why(ip);
        expect(why(`::ffff:${ip}`)).toBe(plain);
        const nat64 = why(`64:ff9b::${ip}`);
        expect(nat64).toBe(plain === undefined ? undefined : `NAT64 ${plain}`);
      }),
      { numRuns: 2000 },
    );
  });
});
