// Where outgoing calls may go (guarantee 8). Two checks, both needed:
// - before a call (and before each redirect hop), on the URL as WHATWG parses
//   it, so every spelling of an address (0x7f000001, 2130706433, 0177.0.0.1,
//   127.1, 127.0.0.1., [::ffff:127.0.0.1]) is judged as the address it is;
// - when connecting, on the addresses a name resolves to, for every host but
//   a target's own and a loopback name egress.allow writes out (a DNS answer
//   can point anywhere, and change): a name in egress.allow permits the name,
//   not whatever address it is pointed at.
import { bareHost, DEFAULT_PORT, originKey, type EgressRule } from '../config/egress.js';
import type { Config } from '../config/types.js';
import { inNetwork, nonPublic, parseAddress, type Address, type Network } from '../lib/ip.js';

export type EgressDecision =
  /** `resolve`: the host is a name that is not a target's own, so check what it resolves to. */
  { readonly ok: true; readonly url: URL; readonly resolve: boolean } | { readonly ok: false; readonly reason: string };

const ADVICE = 'add it to egress.allow if intended';

/** Whether (and how) a call to `url` may be made under `config`. */
export function egressDecision(url: string | URL, config: Config): EgressDecision {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return { ok: false, reason: `egress refused: ${JSON.stringify(String(url).slice(0, 100))} is not a URL` };
  }
  const refuse = (why: string, advice = true): EgressDecision => ({ ok: false, reason: `egress to ${u.origin} refused: ${why}${advice ? `; ${ADVICE}` : ''}` });
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return refuse(`only http and https calls are made, not ${u.protocol}`, false);
  const egress = config.egress;
  // What the user wrote as a target: exactly that scheme, host and port, whatever it is (a local sink included).
  if (egress.origins.has(originKey(u))) return { ok: true, url: u, resolve: false };
  // A user name in a computed URL could only be there to mislead (allowed.example@127.0.0.1).
  if (u.username !== '' || u.password !== '') return refuse('the URL holds a user name or password (user@host), which only a target URL written in the config may', false);

  const host = bareHost(u.hostname);
  const address = parseAddress(host);
  const port = u.port === '' ? DEFAULT_PORT[u.protocol]! : Number(u.port);
  const matching = egress.allow.filter((r) => ruleMatches(r, u.protocol, host, address, port));
  if (address) {
    const why = nonPublic(address);
    // An address outside the public internet needs an entry naming it (or its range); `*` is not enough.
    if (why && !matching.some((r) => r.host.kind === 'network')) return refuse(`${why} address`);
    if (matching.length === 0) return refuse(notListed(u, config));
    return { ok: true, url: u, resolve: false };
  }
  if (matching.length === 0) return refuse(notListed(u, config));
  // A name egress.allow permits must still resolve to a public address (or to one in a range an entry
  // names): whoever runs its DNS could otherwise point it at 169.254.169.254 or the local network.
  // Only a loopback name written out exactly (localhost:8080) is this machine by the user's own choice.
  return { ok: true, url: u, resolve: !matching.some((r) => r.host.kind === 'name' && isLoopbackName(r.host.name)) };
}

/** The static check before a call: undefined when allowed, else the reason (for the attempt record). */
export function egressRefusal(url: string, config: Config): string | undefined {
  const d = egressDecision(url, config);
  return d.ok ? undefined : d.reason;
}

function ruleMatches(rule: EgressRule, scheme: string, host: string, address: Address | undefined, port: number): boolean {
  if (rule.scheme && rule.scheme !== scheme) return false;
  if (rule.port === undefined ? port !== DEFAULT_PORT[scheme] : rule.port !== 'any' && rule.port !== port) return false;
  switch (rule.host.kind) {
    case 'any':
      return true;
    case 'name':
      return !address && host === rule.host.name;
    case 'suffix':
      return !address && host.endsWith(rule.host.suffix);
    case 'network':
      return address !== undefined && inNetwork(address, rule.host.network);
  }
}

/** `localhost` and the names under it (RFC 6761): this machine, whatever a resolver says. */
export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

function notListed(u: URL, config: Config): string {
  const host = bareHost(u.hostname);
  const sameHost = [...config.egress.origins].filter((o) => bareHost(new URL(o).hostname) === host);
  const near = sameHost.length > 0 ? ` (targets go to ${sameHost.map((o) => new URL(o).origin).join(', ')} only)` : '';
  return `not the scheme, host and port of a configured target, nor in egress.allow${near}`;
}

/** The address ranges egress.allow names: resolved addresses in them are accepted even when not public. */
export function allowedNetworks(config: Config): readonly Network[] {
  return config.egress.allow.flatMap((r) => (r.host.kind === 'network' ? [r.host.network] : []));
}

/** Why a resolved address may not be connected to, or undefined when it may. */
export function addressRefusal(ip: string, allowed: readonly Network[]): string | undefined {
  const a = parseAddress(ip);
  if (!a) return `"${ip}" is not an IP address`;
  const why = nonPublic(a);
  if (!why || allowed.some((n) => inNetwork(a, n))) return undefined;
  return `${why} address`;
}
