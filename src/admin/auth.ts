// Who may use /admin: with admin.token set, whoever presents it as a bearer
// token; without one, only requests from this machine (loopback). Forwarded-for
// headers are not trusted: behind a reverse proxy, set admin.token. Either way,
// only requests for a Host name this server serves (adminHosts, below).
import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Next } from 'hono';
import type { Config } from '../config/types.js';
import { parseAddress } from '../lib/ip.js';
import { safeEqualText } from '../verify/crypto.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Behind @hono/node-server, `c.env` holds Node's request and response. An
 * in-process `app.request()` has no bindings unless its caller passes some:
 * `c.env` is then undefined, hence the `?.` where it is read.
 */
type NodeEnv = { Bindings: HttpBindings };

export function remoteAddress(c: Context<NodeEnv>): string | undefined {
  // getConnInfo reads Node's socket: an in-process request has none, nor has a request whose stream was destroyed.
  return c.env?.incoming?.socket ? getConnInfo(c).remote.address : undefined;
}

/**
 * A state-changing request (replay, retry, reload) must come from this
 * origin: a web page elsewhere could otherwise make the operator's browser
 * post to http://localhost:8080/admin/… (a "simple" request needs no CORS
 * preflight). Browsers say where a request comes from in Sec-Fetch-Site and Origin.
 */
function crossSite(c: Context): boolean {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return false;
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = c.req.header('origin');
  if (!origin) return false;
  try {
    return new URL(origin).host !== (c.req.header('host') ?? '');
  } catch {
    return true;
  }
}

export function adminAuth(config: () => Config) {
  return async (c: Context<NodeEnv>, next: Next) => {
    if (crossSite(c)) return c.json({ error: 'cross-site request refused' }, 403);
    const token = config().admin.token;
    if (token) {
      const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim() ?? '';
      if (!safeEqualText(given, token)) {
        return c.json({ error: given ? 'wrong admin token' : 'admin token required (Authorization: Bearer …)' }, 401, { 'WWW-Authenticate': 'Bearer realm="switchboard admin"' });
      }
      return next();
    }
    const addr = remoteAddress(c);
    if (!addr || !LOOPBACK.has(addr)) {
      return c.json({ error: 'the admin API answers only this machine until admin.token is set' }, 403);
    }
    return next();
  };
}

/** A Host header's name (lower-cased, IP literals canonical, one trailing dot dropped) and port. */
export interface HostName {
  name: string;
  port?: number;
}

// No userinfo, path, percent-escapes or spaces: only what a browser puts in Host.
const HOST_SHAPE = /^(\[[0-9a-f:.]+\]|[^\s[\]@/\\?#:%]+)(?::(\d{0,5}))?$/i;

export function parseHost(value: string): HostName | undefined {
  const m = HOST_SHAPE.exec(value.trim());
  if (!m) return undefined;
  let name: string;
  try {
    // The URL parser lower-cases, turns IDNs into punycode and writes every IPv4 and IPv6 form one way.
    name = new URL(`http://${m[1]}/`).hostname;
  } catch {
    return undefined;
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (!name || name.endsWith('.')) return undefined;
  const port = m[2] ? Number(m[2]) : undefined;
  if (port !== undefined && port > 65535) return undefined;
  return port === undefined ? { name } : { name, port };
}

/** Names only this machine can stand behind: a DNS-rebinding page always has a name of its own in Host. */
export function isLoopbackName(name: string): boolean {
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') || // RFC 6761: browsers resolve these to loopback themselves
    /^127\.\d+\.\d+\.\d+$/.test(name) ||
    name === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name)
  );
}

interface HostRule {
  /** Names answered on any port. */
  names: Set<string>;
  /** `name:port` pairs answered on that port only. */
  pairs: Set<string>;
}

const rules = new WeakMap<Config, HostRule>();

function hostRule(config: Config): HostRule {
  let rule = rules.get(config);
  if (!rule) {
    rule = { names: new Set(), pairs: new Set() };
    if (config.server.publicUrl) {
      try {
        // Proxies differ in the port they pass on; the name is what tells a rebinding page apart.
        const h = parseHost(new URL(config.server.publicUrl).host);
        if (h) rule.names.add(h.name);
      } catch {
        // the schema has checked it is a URL; nothing to add otherwise
      }
    }
    for (const entry of config.admin.hosts ?? []) {
      const h = parseHost(entry);
      if (!h) continue;
      if (h.port === undefined) rule.names.add(h.name);
      else rule.pairs.add(`${h.name}:${h.port}`);
    }
    rules.set(config, rule);
  }
  return rule;
}

/** Why /admin does not answer for this Host, or undefined when it does. */
export function hostRefusal(config: Config, host: string | undefined): string | undefined {
  if (host === undefined || host.trim() === '') return 'a Host header is required';
  const h = parseHost(host);
  const shown = JSON.stringify(host.length > 100 ? `${host.slice(0, 100)}…` : host);
  if (!h) return `Host ${shown} is not a host name`;
  if (isLoopbackName(h.name)) return undefined;
  if (!config.admin.token) {
    return `the admin API answers only loopback host names (localhost, 127.0.0.1, [::1]) until admin.token is set; this request was for ${shown}`;
  }
  const rule = hostRule(config);
  if (rule.names.has(h.name) || (h.port !== undefined && rule.pairs.has(`${h.name}:${h.port}`))) return undefined;
  return `the admin API does not answer for Host ${shown}: add "${h.port === undefined ? h.name : `${h.name}:${h.port}`}" to admin.hosts, or set server.publicUrl to the URL it is reached at`;
}

function requestHosts(c: Context<NodeEnv>): (string | undefined)[] {
  const incoming = c.env?.incoming;
  if (!incoming) {
    // Not behind Node's server (in-process requests): the Request is all there is.
    return [c.req.header('host') ?? new URL(c.req.url).host];
  }
  // The raw header, not the URL built from it: a request without one gets a made-up host there.
  const raw = incoming.headers.host;
  const hosts = [Array.isArray(raw) ? raw[0] : raw];
  // An absolute request target (GET http://name/admin/…) names the host the request is for, too.
  const target = /^https?:\/\/([^/?#]*)/i.exec(incoming.url ?? '');
  if (target) hosts.push(target[1]!.replace(/^.*@/, ''));
  return hosts;
}

/**
 * DNS rebinding: a page on a name the attacker controls, resolved to 127.0.0.1,
 * is same-origin with this server as far as the browser knows, so it could read
 * /admin. Its requests still carry its own name in Host; only names this server
 * serves are answered. Runs before anything else under /admin, the page included.
 */
export function adminHosts(config: () => Config) {
  return hostGuard(config, hostRefusal);
}

/** Why /metrics does not answer for this Host, or undefined when it does. */
export function metricsHostRefusal(config: Config, host: string | undefined): string | undefined {
  if (host === undefined || host.trim() === '') return 'a Host header is required';
  const h = parseHost(host);
  const shown = JSON.stringify(host.length > 100 ? `${host.slice(0, 100)}…` : host);
  if (!h) return `Host ${shown} is not a host name`;
  // An address is no rebinding page's name (a page at http://10.1.2.3:8080 is this server's own): Prometheus scrapes by address.
  if (isLoopbackName(h.name) || parseAddress(h.name)) return undefined;
  const rule = hostRule(config);
  if (rule.names.has(h.name) || (h.port !== undefined && rule.pairs.has(`${h.name}:${h.port}`))) return undefined;
  return `/metrics does not answer for Host ${shown}: scrape it by IP address or a loopback name, or add "${h.name}" to admin.hosts (or set server.publicUrl)`;
}

/**
 * DNS rebinding, as for /admin: a page on the attacker's name, resolved to this
 * server, could read /metrics (the config's source, route and target names,
 * traffic). Its requests carry its own name in Host, so only names this server
 * serves are answered — loopback names, IP addresses, server.publicUrl's host
 * and admin.hosts — whether or not admin.token is set; others get 421.
 */
export function metricsHosts(config: () => Config) {
  return hostGuard(config, metricsHostRefusal);
}

/** 421 unless every host the request names (its Host header, an absolute target's host) passes `refusal`. */
function hostGuard(config: () => Config, refusal: (config: Config, host: string | undefined) => string | undefined) {
  return async (c: Context<NodeEnv>, next: Next) => {
    const live = config();
    for (const host of requestHosts(c)) {
      const reason = refusal(live, host);
      if (reason) return c.json({ error: reason }, 421);
    }
    return next();
  };
}
