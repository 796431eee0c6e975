// `kind: nats`: a JetStream publish. The message goes to `subject` (a template)
// with the target's headers as NATS headers and `Nats-Msg-Id` = the delivery id,
// so a retried or replayed delivery that JetStream already stored is dropped
// by the stream (within its duplicate window) instead of stored twice. It
// counts as delivered once the stream's PubAck arrives: the stream's name and
// the sequence it stored the message at (or `duplicate`) are recorded.
//
// A subject that no stream captures gets "no responders" (status 503) from the
// server. That is no overload: nothing subscribes to the subject, and retrying
// the same subject meets the same nothing, like an AMQP queue that does not
// exist. But in a cluster a stream changing leader can answer "no responders"
// for a moment too. So the JetStream API is asked which stream captures the
// subject: none → permanent (the delivery goes dead, replay it once a stream
// exists); a stream does → retried; the API itself has no responders →
// JetStream is not enabled for the account: permanent.
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { PublishError, type Confirmation, type KindKey, type KindProblem, type Message, type TargetKind } from './types.js';
import { errorMessage } from '../../lib/errors.js';

export interface NatsSettings {
  readonly host: string;
  readonly port: number;
  /** nats:// or tls:// (TLS required). */
  readonly tls: boolean;
  readonly user?: string;
  readonly pass?: string;
  /** `nats://token@host`: a user part without a password is a token (the NATS URL convention). */
  readonly token?: string;
  /** The subject as written (rendered per delivery into `msg.values.subject` when it holds a template). */
  readonly subject: string;
}

export interface NatsConnectionHandle {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
}

const DEFAULT_PORT = 4222;
const SCHEMES: Readonly<Record<string, boolean>> = { 'nats:': false, 'tls:': true };
// Subjects that are the server's own, not streams: a publish there could delete
// a stream ($JS.API.…), write a KV bucket ($KV.…) or an object store ($O.…), ack
// a consumer's message or talk to the system account, whatever a template
// rendered. Every subject whose first token starts with `$` is the server's by
// convention (JetStream, KV, object store, system, MQTT bridge, Raft), and so
// are inboxes.
const RESERVED = /^(\$[^.]*|_INBOX)(\.|$)/;
/**
 * The longest subject published. The server's control line (`HPUB <subject>
 * <reply> <sizes>`) is at most max_control_line (4096 bytes by default); a
 * longer one makes it close the connection, failing every publish in flight on
 * it. 1024 bytes leaves room for the reply inbox and for servers configured
 * tighter, and is far beyond any subject a stream is organised by.
 */
export const MAX_SUBJECT_BYTES = 1024;

const keys: Record<string, KindKey> = {
  url: {
    type: 'string',
    description:
      'The NATS server: `nats://[user:pass@]host:4222` (`nats://token@host` for a token; `tls://` when the server requires TLS). Static: no templates; the token or password is masked everywhere. Only this server is used (cluster peers it announces are ignored).',
  },
  subject: {
    type: 'string',
    minLength: 1,
    description:
      'The subject to publish to (a template, e.g. `orders.{{ type }}`); a JetStream stream must capture it. Tokens separated by dots, no spaces or control characters, no `*` or `>` wildcards, at most 1024 bytes, not the server\u2019s own (`$JS.`, `$KV.`, `$O.`, `$SYS.`, any `$…`, `_INBOX.`). A rendered subject breaking these fails its delivery permanently.',
  },
};

const RESERVED_TEXT = 'the subject is the server\u2019s own ($JS., $KV., $O., $SYS., any $…, _INBOX.), not a stream';

/** Why `subject` cannot be published to, or undefined. `partial`: a template's literal text only. */
export function subjectProblem(subject: string, partial = false): string | undefined {
  if (/\s/.test(subject) || [...subject].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))) return 'a subject cannot hold spaces or control characters';
  if (Buffer.byteLength(subject) > MAX_SUBJECT_BYTES) return `the subject is ${Buffer.byteLength(subject)} bytes, longer than ${MAX_SUBJECT_BYTES} bytes (the server would close the connection)`;
  // A template's literal start is judged too: `$KV.{{ bucket }}` is the KV store whatever it renders.
  if (partial) return /^(\$|_INBOX(\.|$))/.test(subject) ? RESERVED_TEXT : undefined;
  if (subject === '') return 'the subject is empty';
  const tokens = subject.split('.');
  if (tokens.some((t) => t === '')) return 'a subject cannot have an empty token (a leading, trailing or doubled dot)';
  if (tokens.some((t) => t === '*' || t === '>')) return 'a subject to publish to cannot hold the wildcards * or >';
  if (RESERVED.test(subject)) return RESERVED_TEXT;
  return undefined;
}

function parseUrl(raw: unknown): Omit<NatsSettings, 'subject'> | string {
  if (typeof raw !== 'string' || raw.trim() === '') return 'url is required: nats://[user:pass@]host:4222';
  if (raw.includes('{{')) return 'url is static: it cannot hold templates';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'url is not a URL (nats://[user:pass@]host:4222)';
  }
  const tls = SCHEMES[u.protocol];
  if (tls === undefined) return `url must be nats:// or tls://, not ${u.protocol}//`;
  if (u.hostname === '') return 'url has no host';
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') return 'url takes no path, query or fragment: the subject is its own key';
  const port = u.port === '' ? DEFAULT_PORT : Number(u.port);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  let user: string, pass: string;
  try {
    user = decodeURIComponent(u.username);
    pass = decodeURIComponent(u.password);
  } catch {
    return 'url has a badly percent-encoded user name or password';
  }
  if (user !== '' && pass !== '') return { host, port, tls, user, pass };
  if (pass !== '') return 'url has a password but no user name';
  if (user !== '') return { host, port, tls, token: user };
  return { host, port, tls };
}

function compile(raw: Readonly<Record<string, unknown>>): NatsSettings | { problems: KindProblem[] } {
  const problems: KindProblem[] = [];
  const url = parseUrl(raw.url);
  if (typeof url === 'string') problems.push({ key: 'url', message: url });
  const subject = raw.subject;
  if (typeof subject !== 'string' || subject === '') {
    problems.push({ key: 'subject', message: 'subject is required: the subject a JetStream stream captures (e.g. orders.created)' });
  } else {
    const templated = subject.includes('{{');
    // With a template only the literal text can be judged now; the rendered subject is checked per delivery.
    const why = subjectProblem(templated ? subject.replace(/\{\{\{[\s\S]*?\}\}\}|\{\{[\s\S]*?\}\}/g, 'x') : subject, templated);
    if (why) problems.push({ key: 'subject', message: why });
  }
  if (problems.length > 0 || typeof url === 'string' || typeof subject !== 'string') return { problems };
  return { ...url, subject };
}

/** Rejects with `message` when `ms` passes first; `late` disposes of a result that arrives after that. */
function withTimeout<T>(p: Promise<T>, ms: number, message: string, late?: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new PublishError(message));
    }, ms);
  });
  p.then(
    (v) => {
      if (timedOut) late?.(v);
    },
    () => undefined,
  );
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

function isNoResponders(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.name === 'NoRespondersError') return true;
    const check = (e as Error & { isNoResponders?: () => boolean }).isNoResponders;
    if (e.name === 'RequestError' && typeof check === 'function' && check.call(e) === true) return true;
  }
  return false;
}

async function connect(settings: NatsSettings, timeoutMs: number): Promise<NatsConnectionHandle> {
  const { connect: natsConnect } = await import('@nats-io/transport-node');
  const { jetstream } = await import('@nats-io/jetstream');
  const server = `${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}`;
  const opening = natsConnect({
    servers: server,
    name: 'switchboard',
    timeout: Math.max(1, timeoutMs),
    // One owner for reconnecting: the target's pool closes the connection after an error and opens
    // a new one on the next attempt. The client's own reconnect would hold publishes in a buffer
    // during an outage instead of failing them.
    reconnect: false,
    // Stay on the configured server: a server's announced cluster peers are not configured targets (egress).
    ignoreClusterUpdates: true,
    noEcho: true,
    ...(settings.tls ? { tls: {} } : {}),
    ...(settings.user !== undefined ? { user: settings.user, pass: settings.pass } : {}),
    ...(settings.token !== undefined ? { token: settings.token } : {}),
  });
  let nc: NatsConnection;
  try {
    nc = await withTimeout(opening, timeoutMs, `NATS ${server}: no connection within ${timeoutMs} ms`, (late) => void late.close().catch(() => undefined));
  } catch (err) {
    if (err instanceof PublishError) throw err;
    const text = errorMessage(err);
    // Credentials the server refuses stay refused: retrying with the same ones cannot help.
    if (errorName(err) === 'AuthorizationError' && !/timeout/i.test(text)) throw new PublishError(`NATS ${server}: the server refused the credentials (${text})`, true);
    throw new PublishError(`NATS ${server}: cannot connect: ${text}`);
  }
  return { nc, js: jetstream(nc, { timeout: Math.max(1, timeoutMs) }) };
}

/** Why the server had no responders for `subject`: no stream captures it (permanent), or a stream did not answer (retried). */
async function noResponders(conn: NatsConnectionHandle, subject: string, remainingMs: number): Promise<PublishError> {
  const what = `no responders for subject ${JSON.stringify(subject)}`;
  if (remainingMs <= 0) return new PublishError(`${what}, and no time left to ask JetStream which stream captures it`);
  try {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(conn.nc, { checkAPI: false, timeout: remainingMs });
    const stream = await withTimeout(jsm.streams.find(subject), remainingMs, 'timed out');
    return new PublishError(`${what}: stream ${stream} captures it but did not answer (a leader change?)`);
  } catch (err) {
    if (errorName(err) === 'StreamNotFoundError') return new PublishError(`${what}: no JetStream stream captures this subject (create one, then replay)`, true);
    if (isNoResponders(err) || errorName(err) === 'JetStreamNotEnabled') return new PublishError(`${what}: JetStream is not enabled on this server (account)`, true);
    return new PublishError(`${what}, and JetStream did not say which stream captures it (${errorMessage(err)})`);
  }
}

async function publish(conn: NatsConnectionHandle, msg: Message, settings: NatsSettings, timeoutMs: number): Promise<Confirmation> {
  const started = Date.now();
  const subject = settings.subject.includes('{{') ? (msg.values.subject ?? '') : settings.subject;
  const bad = subjectProblem(subject);
  if (bad) throw new PublishError(`subject ${JSON.stringify(subject.slice(0, 200))}: ${bad}`, true);
  if (conn.nc.isClosed()) throw new PublishError('the NATS connection is closed');
  const { headers: natsHeaders } = await import('@nats-io/transport-node');
  const h = natsHeaders();
  try {
    let contentType = false;
    for (const [name, value] of Object.entries(msg.headers)) {
      const lower = name.toLowerCase();
      // The delivery id is the message id, whatever the target's headers say: JetStream dedups on it.
      if (lower === 'nats-msg-id') continue;
      if (lower === 'content-type') contentType = true;
      h.set(name, value);
    }
    if (!contentType) h.set('Content-Type', msg.contentType);
    if (msg.traceparent && !h.has('traceparent')) h.set('traceparent', msg.traceparent);
  } catch (err) {
    throw new PublishError(`headers cannot be sent as NATS headers: ${errorMessage(err)}`, true);
  }
  let ack: PubAck;
  try {
    ack = await withTimeout(
      conn.js.publish(subject, msg.body, { msgID: msg.deliveryId, headers: h, timeout: Math.max(1, timeoutMs) }),
      timeoutMs + 50,
      `no PubAck from JetStream within ${timeoutMs} ms`,
    );
  } catch (err) {
    if (err instanceof PublishError) throw err;
    const name = errorName(err);
    if (isNoResponders(err)) throw await noResponders(conn, subject, timeoutMs - (Date.now() - started));
    if (name === 'TimeoutError') throw new PublishError(`no PubAck from JetStream within ${timeoutMs} ms`);
    if (name === 'JetStreamApiError') {
      const api = err as Error & { code?: number; status?: number };
      // 503 (a full stream that discards new messages, JetStream busy) may clear; 4xx (too large, sealed…) will not.
      throw new PublishError(`JetStream refused the message: ${api.message} (${api.status ?? '?'}, err_code ${api.code ?? '?'})`, (api.status ?? 500) < 500);
    }
    if (name === 'InvalidSubjectError' || name === 'InvalidArgumentError' || name === 'PermissionViolationError') throw new PublishError(`NATS refused the publish: ${errorMessage(err)}`, true);
    if (name === 'ClosedConnectionError' || name === 'ConnectionError' || name === 'DrainingConnectionError' || (name === 'RequestError' && /connection/i.test(errorMessage(err))))
      throw new PublishError(`the NATS connection was lost: ${errorMessage(err)}`);
    throw new PublishError(`NATS publish failed: ${errorMessage(err)}`);
  }
  return { detail: `PubAck stream ${ack.stream} seq ${ack.seq}${ack.duplicate ? ' duplicate (already stored under this Nats-Msg-Id)' : ''}` };
}

async function close(conn: NatsConnectionHandle): Promise<void> {
  if (conn.nc.isClosed()) return;
  await withTimeout(conn.nc.close(), 5000, 'NATS close timed out').catch(() => undefined);
}

export const nats: TargetKind<NatsSettings, NatsConnectionHandle> = {
  name: 'nats',
  summary: 'Publishes to a NATS JetStream stream (Nats-Msg-Id = delivery id, deduplicated by the stream).',
  confirmedBy: 'the stream\u2019s PubAck (stream and sequence recorded)',
  keys,
  required: ['url', 'subject'],
  templated: ['subject'],
  credentialUrls: ['url'],
  // `nats://token@host`: the token is the URL's user part, which no URL masking hides.
  secrets: (s) => [s.token, s.pass].filter((x): x is string => x !== undefined && x !== ''),
  packages: ['@nats-io/transport-node', '@nats-io/jetstream'],
  compile,
  endpoint: (s) => ({ scheme: s.tls ? 'tls' : 'nats', host: s.host, port: s.port }),
  describe(s, msg) {
    const host = s.host.includes(':') ? `[${s.host}]` : s.host;
    const subject = s.subject.includes('{{') ? (msg.values.subject ?? s.subject) : s.subject;
    return { method: 'PUBLISH', url: `${s.tls ? 'tls' : 'nats'}://${host}:${s.port} \u2192 subject ${subject}` };
  },
  connect,
  publish,
  close,
};
