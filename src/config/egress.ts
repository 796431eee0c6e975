// The egress rules as the config states them (SPEC guarantee 8): the origins
// written literally in target URLs, and the `egress.allow` entries, parsed once
// at load. Deciding about one call is src/delivery/egress.ts's job.
import { parseAddress, parseNetwork, type Network } from '../lib/ip.js';

export type EgressHost =
  | { readonly kind: 'name'; readonly name: string }
  /** `*.example.com`: names ending in `.example.com` (not example.com itself). */
  | { readonly kind: 'suffix'; readonly suffix: string }
  /** `*`: any host on the public internet. */
  | { readonly kind: 'any' }
  /** An IP address or a CIDR range. */
  | { readonly kind: 'network'; readonly network: Network };

export interface EgressRule {
  /** The entry as written, for messages. */
  readonly text: string;
  /** Only this scheme; both http and https when absent. */
  readonly scheme?: 'http:' | 'https:';
  readonly host: EgressHost;
  /** A port, any port, or (absent) the scheme's default port only. */
  readonly port?: number | 'any';
}

export interface Egress {
  /** `scheme://host:port` of each target URL whose scheme, host and port are written literally. */
  readonly origins: ReadonlySet<string>;
  readonly allow: readonly EgressRule[];
}

export const DEFAULT_PORT: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/** The normalised `scheme://host:port` of a parsed URL: lower case, default port written out, no trailing dot. */
export function originKey(url: URL): string {
  return `${url.protocol}//${bareHost(url.hostname)}:${url.port === '' ? DEFAULT_PORT[url.protocol] : url.port}`;
}

/** A WHATWG hostname without its IPv6 brackets or a trailing root dot. */
export function bareHost(hostname: string): string {
  if (hostname.startsWith('[')) return hostname.slice(1, -1);
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}

const TEMPLATE = /\{\{[\s\S]*?\}\}/g;

/**
 * The origin of a target URL template when its scheme, host and port are
 * literal text (templates, if any, only in the user name, path, query or
 * fragment); undefined when a template can choose where the call goes.
 */
export function literalOrigin(template: string): string | undefined {
  const masked = template.trim().replace(TEMPLATE, '\u0000');
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(masked);
  if (!m) return undefined;
  const authority = m[2]!;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (m[1]!.includes('\u0000') || hostPort.includes('\u0000') || hostPort === '') return undefined;
  try {
    const url = new URL(`${m[1]}${hostPort}/`);
    return url.protocol === 'http:' || url.protocol === 'https:' ? originKey(url) : undefined;
  } catch {
    return undefined;
  }
}

const ENTRY_HELP = 'expected a host (api.example.com), *.example.com, *, an IP address or CIDR range (10.0.0.0/8), optionally with a scheme (https://) and a port (:8443, or :* for any)';

/** Parses one `egress.allow` entry; a string is the problem with it. */
export function parseAllowEntry(text: string): EgressRule | string {
  let rest = text.trim().toLowerCase();
  let scheme: EgressRule['scheme'];
  const s = /^([a-z][a-z0-9+.-]*):\/\//.exec(rest);
  if (s) {
    if (s[1] !== 'http' && s[1] !== 'https') return `"${text}": only http:// and https:// can be allowed`;
    scheme = `${s[1]}:`;
    rest = rest.slice(s[0].length);
  }
  // A CIDR range's "/8" is not a path; anything else after a "/" is (ignored: egress is per origin).
  const cidrMatch = /^\[?([0-9a-f:.]+)\]?\/(\d{1,3})(?::(\d+|\*))?$/.exec(rest);
  const cidr = cidrMatch && parseAddress(cidrMatch[1]!) ? cidrMatch : undefined;
  let hostText: string;
  let portText: string | undefined;
  let host: EgressHost | undefined;
  if (cidr) {
    const network = parseNetwork(`${cidr[1]}/${cidr[2]}`);
    if (!network) return `"${text}": not a valid CIDR range (${ENTRY_HELP})`;
    host = { kind: 'network', network };
    hostText = '';
    portText = cidr[3];
  } else {
    rest = rest.replace(/[/?#].*$/, '');
    const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
    if (v6) {
      hostText = v6[1]!;
      portText = v6[2];
    } else if (parseAddress(rest)) {
      hostText = rest; // a bare IPv6 address: its colons are not a port
    } else {
      const colon = rest.lastIndexOf(':');
      hostText = colon === -1 ? rest : rest.slice(0, colon);
      portText = colon === -1 ? undefined : rest.slice(colon + 1);
    }
  }
  let port: EgressRule['port'];
  if (portText !== undefined) {
    if (portText === '*') port = 'any';
    else if (/^\d{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535) port = Number(portText);
    else return `"${text}": "${portText}" is not a port (${ENTRY_HELP})`;
  }
  if (!host) {
    if (hostText === '*') host = { kind: 'any' };
    else if (hostText.startsWith('*.')) {
      const name = normaliseName(hostText.slice(2));
      if (!name || parseAddress(name)) return `"${text}": not a valid host pattern (${ENTRY_HELP})`;
      host = { kind: 'suffix', suffix: `.${name}` };
    } else {
      // Through the same WHATWG parser as URLs, so 0x7f000001 here means 127.0.0.1 there.
      const name = normaliseName(hostText);
      if (!name) return `"${text}": not a valid host (${ENTRY_HELP})`;
      const address = parseAddress(name);
      host = address ? { kind: 'network', network: parseNetwork(name)! } : { kind: 'name', name };
    }
  }
  return { text, ...(scheme ? { scheme } : {}), host, ...(port !== undefined ? { port } : {}) };
}

function normaliseName(text: string): string | undefined {
  if (text === '' || /[\s@\\%*[\]]/.test(text)) return undefined;
  try {
    const v6 = parseAddress(text) && text.includes(':');
    const url = new URL(`http://${v6 ? `[${text}]` : text}/`);
    if (url.port !== '' || url.username !== '' || url.pathname !== '/') return undefined;
    return bareHost(url.hostname);
  } catch {
    return undefined;
  }
}
