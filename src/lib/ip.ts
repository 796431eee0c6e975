// IP addresses as 16 bytes (IPv4 as its IPv4-mapped IPv6 form), so one range
// check covers both families and ::ffff:127.0.0.1 is seen as the 127.0.0.1 it is.
// Inputs are canonical text (from WHATWG URL parsing or from the resolver):
// the odd IPv4 spellings (0x7f000001, 0177.0.0.1, 127.1) are normalised before
// they get here.
import { isIP } from 'node:net';

export type Address = Uint8Array;

export interface Network {
  readonly address: Address;
  /** Prefix length over the 16 bytes (an IPv4 /8 is 104). */
  readonly bits: number;
}

/** Parses "127.0.0.1", "::1", "[::1]", "fe80::1%eth0"; undefined when not an IP address. */
export function parseAddress(text: string): Address | undefined {
  let t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = t.indexOf('%');
  if (zone !== -1) t = t.slice(0, zone);
  const family = isIP(t);
  if (family === 4) return mapped(t.split('.').map(Number));
  if (family === 6) return parse6(t);
  return undefined;
}

function mapped(octets: number[]): Address {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(octets, 12);
  return out;
}

function parse6(t: string): Address {
  let text = t;
  const lastColon = text.lastIndexOf(':');
  const v4 = text.slice(lastColon + 1);
  if (v4.includes('.')) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
    const o = v4.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const hex = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = text.indexOf('::');
  const groups =
    gap === -1
      ? hex(text)
      : (() => {
          const left = hex(text.slice(0, gap));
          const right = hex(text.slice(gap + 2));
          return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
        })();
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** "10.0.0.0/8", "fd00::/8", or a bare address (a network of one). */
export function parseNetwork(text: string): Network | undefined {
  const slash = text.lastIndexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const address = parseAddress(addrText);
  if (!address) return undefined;
  const v4 = isIP(addrText) === 4;
  const max = v4 ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const suffix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(suffix) || Number(suffix) > max) return undefined;
    bits = Number(suffix);
  }
  return { address, bits: v4 ? bits + 96 : bits };
}

export function inNetwork(a: Address, net: Network): boolean {
  const whole = net.bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== net.address[i]) return false;
  const rest = net.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole]! & mask) === (net.address[whole]! & mask);
}

const RANGES: readonly (readonly [string, string])[] = [
  // IPv4 (written as IPv4; stored mapped)
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
  ['192.0.0.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  // IPv6
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['fc00::/7', 'private (unique local)'],
  ['fec0::/10', 'private (site-local)'],
  ['ff00::/8', 'multicast'],
  ['100::/64', 'reserved'],
];
const CLASSES = RANGES.map(([net, name]) => ({ net: parseNetwork(net)!, name }));

// IPv6 forms that carry an IPv4 address a gateway or the stack may act on.
const EMBEDDING: readonly { net: Network; at: number; name: string }[] = [
  { net: parseNetwork('64:ff9b::/96')!, at: 12, name: 'NAT64' },
  { net: parseNetwork('::/96')!, at: 12, name: 'IPv4-compatible' },
  { net: parseNetwork('2002::/16')!, at: 2, name: '6to4' },
];

/**
 * Why an address is not on the public internet ("loopback", "private", …), or
 * undefined for a public one. IPv4-mapped (::ffff:…), NAT64, IPv4-compatible and
 * 6to4 forms are judged by the IPv4 address inside them.
 */
export function nonPublic(a: Address): string | undefined {
  for (const c of CLASSES) if (inNetwork(a, c.net)) return c.name;
  for (const e of EMBEDDING) {
    if (!inNetwork(a, e.net)) continue;
    const inner = nonPublic(mapped([...a.subarray(e.at, e.at + 4)]));
    if (inner) return `${e.name} ${inner}`;
  }
  return undefined;
}

/** An address as URLs write it (IPv4 dotted, IPv6 compressed): for messages. */
export function formatAddress(a: Address): string {
  if (a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff) return [...a.subarray(12)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}
