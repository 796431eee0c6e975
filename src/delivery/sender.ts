// Outgoing HTTP: pooled keep-alive connections per origin (undici), a time
// limit per call, redirects only when the target allows them (each hop checked
// like the first call, and no credential handed to another origin), and at most
// the first 4 KiB of any answer kept (a 50 MB reply costs 4 KiB, plus a little
// more read so that a secret across the cut can be masked whole). Every call is
// checked against the egress rules here, so no caller can forget to: on its URL,
// and, for names other than a target's own host, on the addresses they resolve
// to at the moment of connecting.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { bareHost } from '../config/egress.js';
import type { Config, Target } from '../config/types.js';
import type { Network } from '../lib/ip.js';
import { createRedactor, SENSITIVE_HEADER } from '../observe/redact.js';
import { addressRefusal, allowedNetworks, egressDecision, isLoopbackName } from './egress.js';
import { Publisher } from './kinds/publisher.js';
import type { Message } from './kinds/types.js';
import type { OutgoingRequest } from './plan.js';

/** Every target a config sends to: the named ones and those written inline in routes. */
export function targetsOf(c: Config): Map<string, Target> {
  return new Map([...c.targets, ...c.routes.map((r) => [r.target.name, r.target] as const)]);
}

export const RESPONSE_EXCERPT_BYTES = 4096;
export const MAX_REDIRECTS = 5;
/** At most this much is read past RESPONSE_EXCERPT_BYTES (for a secret across the cut): longer secrets are not supported there. */
export const EXCERPT_LOOKAHEAD_MAX = 64 * 1024;

/** How names are resolved: dns.lookup with `all: true`. Tests pass their own. */
export type Resolver = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface SenderOptions {
  resolve?: Resolver;
}

export interface SendResult {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /**
   * The start of the answer's body: its first 4 KiB and up to excerptLookahead()
   * bytes more, so that a secret across the 4 KiB mark is masked whole before
   * the excerpt is cut (see responseExcerpt in attempt.ts).
   */
  readonly body?: string;
  /** Why there is no answer: a timeout, a refused or reset connection… */
  readonly error?: string;
  /** The egress rules forbade the call (or a redirect hop): permanent, a retry would be refused the same way. */
  readonly refused?: boolean;
  /** A kind other than HTTP: the other side confirmed (publisher confirm, PubAck, PUBACK, XADD, 250, exit 0). */
  readonly confirmed?: boolean;
  /** Retrying cannot help (a kind's PublishError with permanent set). */
  readonly permanent?: boolean;
  readonly durationMs: number;
}

/** Raised from inside a connection attempt when the address is not one calls may go to. */
class EgressRefused extends Error {
  readonly code = 'ERR_SWITCHBOARD_EGRESS';
}

const AGENT_OPTIONS = { keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 64 } as const;

export class Sender {
  /** For a target's own origin (and loopback names egress.allow names): connects wherever they resolve. */
  private readonly agent: Agent;
  /** For other names egress.allow matches: resolved addresses are checked, keyed by the address ranges egress.allow names. */
  private readonly checked = new Map<string, Agent>();
  private readonly publisher = new Publisher();
  private readonly resolve: Resolver;

  constructor(options: SenderOptions = {}) {
    this.resolve = options.resolve ?? ((hostname, opts, callback) => dnsLookup(hostname, opts, callback));
    this.agent = new Agent(options.resolve ? { ...AGENT_OPTIONS, connect: resolvingConnector(options.resolve) } : AGENT_OPTIONS);
  }

  async send(req: OutgoingRequest, target: Target, config: Config): Promise<SendResult> {
    const started = performance.now();
    const took = () => Math.round((performance.now() - started) * 100) / 100;
    // One deadline for the whole call, redirects included, cleared as soon as it ends (AbortSignal.timeout
    // would keep a timer and its signal alive for the full timeout after every call).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('deadline', 'TimeoutError')), target.timeoutMs);
    let url = req.url;
    let method = req.method;
    let headers: Record<string, string> = { ...req.headers };
    let body = req.body;
    let from: { origin: string; status: number } | undefined;
    // Headers the target was configured with: a credential among them stays with the origin the config named.
    const configured = new Set(target.headers.map(([name]) => name.toLowerCase()));
    const redact = createRedactor(config.secrets);
    try {
      for (let hop = 0; ; hop++) {
        const decision = egressDecision(url, config);
        if (!decision.ok) return { error: from ? viaRedirect(decision.reason, from) : decision.reason, refused: true, durationMs: took() };
        let res: Dispatcher.ResponseData;
        try {
          res = await request(decision.url.href, {
            method: method as Dispatcher.HttpMethod,
            headers,
            ...(body !== undefined ? { body } : {}),
            dispatcher: decision.resolve ? this.checkedAgent(config) : this.agent,
            headersTimeout: target.timeoutMs,
            bodyTimeout: target.timeoutMs,
            signal: deadline.signal,
          });
        } catch (err) {
          const refusal = refusalOf(err);
          if (refusal) {
            // A name egress.allow permits is not enough for a non-public address: its address or range must be named.
            const advice = isLoopbackName(bareHost(decision.url.hostname)) ? 'add it to egress.allow if intended' : 'add the address or its range to egress.allow if intended';
            const reason = `egress to ${decision.url.origin} refused: ${refusal}; ${advice}`;
            return { error: from ? viaRedirect(reason, from) : reason, refused: true, durationMs: took() };
          }
          throw err;
        }
        const location = res.headers.location;
        const next = target.followRedirects && REDIRECTS.has(res.statusCode) && typeof location === 'string' ? resolveLocation(location, decision.url) : undefined;
        if (!next || hop >= MAX_REDIRECTS) {
          const excerpt = await readExcerpt(res.body, RESPONSE_EXCERPT_BYTES + excerptLookahead(config.secrets));
          const stopped = next ? { error: `stopped after ${MAX_REDIRECTS} redirects (the last answer was ${res.statusCode} to ${next.origin})` } : {};
          return { status: res.statusCode, headers: flatHeaders(res.headers), body: excerpt, ...stopped, durationMs: took() };
        }
        await res.body.dump({ limit: RESPONSE_EXCERPT_BYTES }).catch(() => undefined);
        // As browsers do: 303, and 301/302 after a POST, become a GET without a body; 307/308 repeat the request.
        if (res.statusCode === 303 ? method !== 'HEAD' : (res.statusCode === 301 || res.statusCode === 302) && method === 'POST') {
          method = 'GET';
          body = undefined;
          headers = dropHeaders(headers, (name) => name.startsWith('content-'));
        }
        // Credentials meant for one origin are not handed to another (scheme, host or port differing):
        // credential headers by name, any header holding a secret of the config in any form, and
        // the target's own headers whose value came from the environment or a secret file.
        if (next.origin !== decision.url.origin)
          headers = dropHeaders(
            headers,
            (name, value) => CREDENTIAL_HEADERS.has(name) || SENSITIVE_HEADER.test(name) || redact.text(value) !== value || (configured.has(name) && fromSecret(value, config.secrets)),
          );
        from = { origin: decision.url.origin, status: res.statusCode };
        url = next.href;
      }
    } catch (err) {
      return { error: describe(err, target.timeoutMs), durationMs: took() };
    } finally {
      clearTimeout(timer);
    }
  }

  private checkedAgent(config: Config): Agent {
    const allowed = allowedNetworks(config);
    const key = allowed.map((n) => `${Buffer.from(n.address).toString('hex')}/${n.bits}`).join(',');
    let agent = this.checked.get(key);
    if (!agent) {
      agent = new Agent({ ...AGENT_OPTIONS, connect: guardedConnector(allowed, this.resolve) });
      this.checked.set(key, agent);
    }
    return agent;
  }

  /** A message for a kind other than HTTP (amqp, nats, mqtt, redis, smtp, exec), confirmed by the other side. */
  publish(target: Target, msg: Message): Promise<SendResult> {
    return this.publisher.publish(target, msg);
  }

  /** At start-up: broker targets connect now; `warn` hears of those that cannot (their deliveries retry). */
  warm(targets: Iterable<Target>, warn: (target: string, reason: string) => void): Promise<void> {
    return this.publisher.warm(targets, warn);
  }

  /** After a reload: connections of removed or changed targets are closed. */
  retain(targets: ReadonlyMap<string, Target>): void {
    this.publisher.retain(targets);
  }

  async close(): Promise<void> {
    await Promise.all([this.publisher.close(), ...[this.agent, ...this.checked.values()].map((a) => a.close().catch(() => undefined))]);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

function resolveLocation(location: string, base: URL): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

function dropHeaders(headers: Record<string, string>, drop: (lowerName: string, value: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name, value]) => !drop(name.toLowerCase(), value)));
}

/**
 * Whether a configured header's value holds a secret, found as plain text:
 * the redactor masks a short one only as a whole token, but a header built
 * around it (`key=${SHORT}x`) still carries it.
 */
function fromSecret(value: string, secrets: readonly string[]): boolean {
  return secrets.some((s) => s.length > 0 && value.includes(s));
}

/** How far past RESPONSE_EXCERPT_BYTES to read so that the longest secret, in its longest encoded form (9 bytes a character), fits. */
export function excerptLookahead(secrets: readonly string[]): number {
  let longest = 0;
  for (const s of secrets) longest = Math.max(longest, s.length);
  return Math.min(EXCERPT_LOOKAHEAD_MAX, 9 * longest);
}

function viaRedirect(reason: string, from: { origin: string; status: number }): string {
  return reason.replace(/^(egress to \S+ refused)/, `$1 (a ${from.status} redirect from ${from.origin})`);
}

/**
 * Connections whose addresses are checked as they are made: a name's DNS
 * answer is filtered to the addresses calls may go to (none left: refused), so
 * the check and the connection use the same answer (no rebinding in between).
 */
function guardedConnector(allowed: readonly Network[], resolve: Resolver): buildConnector.connector {
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const kept = addresses.filter((a) => addressRefusal(a.address, allowed) === undefined);
      if (kept.length === 0) {
        const first = addresses[0];
        const why = first ? `${hostname} resolves to ${first.address}, a ${addressRefusal(first.address, allowed)}` : `${hostname} resolves to no address`;
        return callback(new EgressRefused(why), '', 0);
      }
      if (options.all) callback(null, kept);
      else callback(null, kept[0]!.address, kept[0]!.family);
    });
  };
  const connect = buildConnector({ lookup } as buildConnector.BuildOptions);
  return (opts, callback) => {
    // An address literal never reaches the lookup: judge it here.
    const host = opts.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host)) {
      const why = addressRefusal(host, allowed);
      if (why) return callback(new EgressRefused(`${why}`), null);
    }
    connect(opts, callback);
  };
}

/** Unchecked connections, names resolved by `resolve` (a test's resolver) instead of dns.lookup. */
function resolvingConnector(resolve: Resolver): buildConnector.connector {
  const lookup: LookupFunction = (hostname, options, callback) =>
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  return buildConnector({ lookup } as buildConnector.BuildOptions);
}

function refusalOf(err: unknown): string | undefined {
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e instanceof EgressRefused) return e.message;
  }
  return undefined;
}

async function readExcerpt(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const b = chunk as Buffer;
      chunks.push(b);
      size += b.length;
      if (size >= limit) break; // leaving the loop destroys the stream: the rest is never read
    }
  } catch {
    // A body cut off mid-way still gives what arrived.
  }
  if (size < limit) body.destroy();
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || e.name === 'AbortError') {
    return `timeout: no answer within ${timeoutMs} ms`;
  }
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset by the target';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return 'request body length mismatch';
  return `${e.message ?? String(err)}${code ? ` (${code})` : ''}`;
}
