// `kind: redis` — an entry appended to a Redis stream (node-redis), confirmed
// by the XADD reply, the new entry's id. Fields: body (the bytes as they are),
// topic, source, event (the event id) and delivery (the delivery id: XADD has
// no server-side dedup, so a retried attempt can append twice and consumers
// dedup on it). `maxLen` caps the stream with MAXLEN ~ n (approximate: Redis
// trims whole nodes, so the length stays at or a little above n).
//
// The client never reconnects on its own and never queues commands while
// offline: a lost link fails the publish at once (retryable), and the
// publisher's pool closes it and connects again on the next attempt.
// Reply errors that retrying cannot change are permanent: WRONGTYPE (the key
// holds something else than a stream) and NOPERM (the ACL user may not write
// it). Anything else (OOM, READONLY on a replica, LOADING, a timeout, a lost
// connection) is retried.
import type { RedisClientType } from 'redis';
import { PublishError, type KindProblem, type TargetKind } from './types.js';
import { deadline } from './util.js';
import { errorMessage } from '../../lib/errors.js';

export interface RedisSettings {
  readonly url: string;
  /** The configured text (possibly a template); the rendered one is `msg.values.stream`. */
  readonly stream: string;
  readonly maxLen?: number;
}

export interface RedisConnection {
  readonly client: RedisClientType;
  /** Whether an error is a reply from the server (node-redis's ErrorReply), as opposed to a socket error. */
  readonly isReply: (err: unknown) => boolean;
  /** The last error the client reported (the link's fate, when a command fails with a less telling one). */
  lastError?: Error;
  closing: boolean;
}

const CLOSE_GRACE_MS = 2000;

export const redis: TargetKind<RedisSettings, RedisConnection> = {
  name: 'redis',
  summary: 'Append an entry to a Redis stream (XADD), with fields body, topic, source, event and delivery.',
  confirmedBy: 'the XADD reply (the new entry id)',
  keys: {
    url: {
      type: 'string',
      pattern: '^rediss?://',
      description: 'Redis URL, redis://[user:pass@]host:6379[/db] (rediss:// for TLS). No templates; the password is masked everywhere.',
    },
    stream: {
      type: 'string',
      minLength: 1,
      description: 'Stream key to append to (a template, e.g. "events.{{ source }}"). Created by the first XADD if it does not exist.',
    },
    maxLen: {
      type: 'integer',
      minimum: 1,
      description: 'Cap the stream near this many entries (XADD MAXLEN ~ n: approximate, cheap trimming of the oldest entries). Unset: never trimmed.',
    },
  },
  required: ['url', 'stream'],
  templated: ['stream'],
  credentialUrls: ['url'],
  packages: ['redis'],

  compile(raw) {
    const problems: KindProblem[] = [];
    const url = raw.url;
    if (typeof url !== 'string' || url === '') problems.push({ key: 'url', message: 'url is required: redis://[user:pass@]host:6379[/db]' });
    else {
      const why = badUrl(url);
      if (why) problems.push({ key: 'url', message: why });
    }
    const stream = raw.stream;
    if (typeof stream !== 'string' || stream === '') problems.push({ key: 'stream', message: 'stream is required: the stream key (it may hold {{ }} templates)' });
    const maxLen = raw.maxLen;
    if (maxLen !== undefined && !(typeof maxLen === 'number' && Number.isSafeInteger(maxLen) && maxLen >= 1))
      problems.push({ key: 'maxLen', message: 'maxLen must be a whole number of entries, 1 or more' });
    // Shared by every kind, but redis has nowhere to put them: refused rather than silently dropped.
    if (raw.headers !== undefined && raw.headers !== null && (typeof raw.headers !== 'object' || Object.keys(raw.headers).length > 0))
      problems.push({ key: 'headers', message: 'redis targets take no headers: a stream entry has no headers (its fields are body, topic, source, event and delivery)' });
    if (problems.length) return { problems };
    return { url: url as string, stream: stream as string, ...(maxLen !== undefined ? { maxLen: maxLen as number } : {}) };
  },

  endpoint(settings) {
    const u = new URL(settings.url);
    return { scheme: u.protocol.slice(0, -1), host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 6379 };
  },

  describe(settings, msg) {
    const u = new URL(settings.url);
    const db = u.pathname.slice(1) || '0';
    const trim = settings.maxLen !== undefined ? `, MAXLEN ~ ${settings.maxLen}` : '';
    return { method: 'XADD', url: `${u.protocol}//${u.hostname}:${u.port || '6379'}/${db} → stream ${msg.values.stream ?? settings.stream}${trim}` };
  },

  async connect(settings, timeoutMs) {
    const { createClient, ErrorReply } = await import('redis');
    const client = createClient({
      url: settings.url,
      disableOfflineQueue: true,
      socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
    }) as unknown as RedisClientType;
    const conn: RedisConnection = { client, isReply: (err) => err instanceof ErrorReply, closing: false };
    client.on('error', (err: Error) => {
      conn.lastError = err;
    });
    try {
      await deadline(client.connect(), timeoutMs, () => new Error(`Redis connect timed out after ${timeoutMs} ms`));
    } catch (err) {
      destroy(client);
      throw new Error(`Redis connect failed: ${errorMessage(err)}`);
    }
    return conn;
  },

  async publish(conn, msg, settings, timeoutMs) {
    const stream = msg.values.stream ?? settings.stream;
    if (stream === '') throw new PublishError('the stream name rendered empty', true);
    if (conn.closing) throw new Error('connection closed');
    if (!conn.client.isReady) throw new Error(`connection lost${conn.lastError ? `: ${conn.lastError.message}` : ''}`);
    const fields = { body: msg.body, topic: msg.topic, source: msg.source, event: msg.eventId, delivery: msg.deliveryId, ...(msg.traceparent ? { traceparent: msg.traceparent } : {}) };
    const options = settings.maxLen !== undefined ? { TRIM: { strategy: 'MAXLEN' as const, strategyModifier: '~' as const, threshold: settings.maxLen } } : undefined;
    let id: string;
    try {
      id = String(await deadline(conn.client.xAdd(stream, '*', fields, options), timeoutMs, () => new Error(`no XADD reply within ${timeoutMs} ms`)));
    } catch (err) {
      throw failure(conn, err);
    }
    return { detail: `XADD ${id}` };
  },

  async close(conn) {
    if (conn.closing) return;
    conn.closing = true;
    if (!conn.client.isOpen) return;
    try {
      // close() waits for the replies still owed; a stalled link owes them forever.
      await deadline(conn.client.close(), CLOSE_GRACE_MS, () => new Error('close timed out'));
    } catch {
      destroy(conn.client);
    }
  },
};

function failure(conn: RedisConnection, err: unknown): Error {
  const m = errorMessage(err);
  if (conn.isReply(err) && /^(WRONGTYPE|NOPERM)\b/.test(m)) return new PublishError(`Redis refused the XADD: ${m}`, true);
  if (conn.isReply(err)) return new Error(`Redis refused the XADD: ${m}`);
  if (!conn.client.isReady) return new Error(`connection lost: ${m}`);
  return err instanceof Error ? err : new Error(m);
}

function destroy(client: RedisClientType): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

function badUrl(url: string): string | undefined {
  if (url.includes('{{')) return 'url cannot hold templates (a connection is opened once per target)';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'url is not a valid URL (expected redis://[user:pass@]host:6379[/db]; percent-encode special characters in the password)';
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `url must start with redis:// or rediss:// (got ${u.protocol}//)`;
  if (!u.hostname) return 'url has no host';
  const db = u.pathname.slice(1);
  if (db !== '' && !/^\d+$/.test(db)) return 'url path is the database number (redis://host:6379/0)';
  return undefined;
}
