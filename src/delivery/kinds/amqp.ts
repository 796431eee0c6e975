// `kind: amqp` — a RabbitMQ publish (amqplib), confirmed by a publisher confirm
// on a confirm channel. Either `exchange` (+ `routingKey`, a template) or
// `queue` (published through the default exchange, with `mandatory` so that a
// queue that does not exist comes back as a basic.return instead of vanishing).
// Nothing is declared: exchanges and queues are the broker owner's to create.
//
// Errors: the broker closing the channel with 404 NOT_FOUND (no such exchange)
// or 403 ACCESS_REFUSED, and an unroutable message to a `queue`, are permanent —
// the broker has said, about this target's own configuration, that it will not
// take it, and every retry would get the same answer; the dead letter carries
// the broker's words and can be replayed once the exchange or queue exists.
// 406 PRECONDITION_FAILED is about one message (most often one over the
// broker's size limit), but it closes the channel and so fails every publish
// in flight on it: only the message the broker meant is permanent — the one
// over the limit its words name, or, when they name none, the only message in
// flight — and the others are retried. A nack, a lost connection, a closed
// channel without a reason and a timeout are retryable. A channel the broker
// closed is replaced on the next publish (the connection itself survives a
// channel error).
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { PublishError, type Confirmation, type KindProblem, type Message, type TargetKind } from './types.js';
import { deadline } from './util.js';
import { errorMessage } from '../../lib/errors.js';

export interface AmqpSettings {
  readonly url: string;
  readonly exchange?: string;
  readonly queue?: string;
  /** The configured text (possibly a template); the rendered one is `msg.values.routingKey`. */
  readonly routingKey?: string;
  readonly persistent: boolean;
}

interface ChannelState {
  readonly channel: ConfirmChannel;
  /** The reason the broker gave when it closed the channel. */
  error?: Error & { code?: number };
  closed: boolean;
  /** Message ids the broker returned (unroutable, mandatory), awaiting their confirm. */
  readonly returned: Map<string, number>;
  /** Publishes on this channel awaiting their confirm. */
  inFlight: number;
  /** How many were in flight when the broker closed the channel. */
  inFlightAtClose?: number;
}

export interface AmqpConnection {
  readonly model: ChannelModel;
  channel?: ChannelState;
  opening?: Promise<ChannelState>;
  /** Why the connection is gone (set on 'error' / 'close'). */
  broken?: Error;
  blocked?: string;
  closing: boolean;
}

const CLOSE_GRACE_MS = 2000;
const MAX_SHORTSTR = 255;
/** A content-header frame besides its properties: frame header and end (8), class, weight, body size, flags (14), timestamp and delivery mode (9), slack. */
const HEADER_FRAME_FIXED = 8 + 14 + 9 + 32;

export const amqp: TargetKind<AmqpSettings, AmqpConnection> = {
  name: 'amqp',
  summary: 'Publish to RabbitMQ (AMQP 0-9-1): an exchange with a routing key, or a queue through the default exchange.',
  confirmedBy: 'publisher confirm (basic.ack on a confirm channel)',
  keys: {
    url: {
      type: 'string',
      pattern: '^amqps?://',
      description: 'Broker URL, amqp://user:pass@host:5672/vhost (amqps:// for TLS; an empty path is the vhost "/", %2F spelt out works too). No templates; the password is masked everywhere.',
    },
    exchange: {
      type: 'string',
      minLength: 1,
      description: 'Exchange to publish to (it must exist: Switchboard declares nothing). Exactly one of exchange or queue.',
    },
    queue: {
      type: 'string',
      minLength: 1,
      description: 'Queue to publish to, through the default exchange (it must exist; an unroutable message fails the delivery permanently). Exactly one of exchange or queue.',
    },
    routingKey: {
      type: 'string',
      description: 'Routing key for `exchange` (a template, e.g. "{{ topic }}"); empty when omitted. Not used with `queue`.',
    },
    persistent: {
      type: 'boolean',
      default: true,
      description: 'Publish with delivery mode 2 (persistent), so a durable queue keeps the message across a broker restart. Default true.',
    },
  },
  required: ['url'],
  templated: ['routingKey'],
  credentialUrls: ['url'],
  packages: ['amqplib'],

  compile(raw) {
    const problems: KindProblem[] = [];
    const url = raw.url;
    if (typeof url !== 'string' || url === '') problems.push({ key: 'url', message: 'url is required: amqp://user:pass@host:5672/vhost' });
    else {
      const why = badUrl(url);
      if (why) problems.push({ key: 'url', message: why });
    }
    const exchange = optionalName(raw, 'exchange', problems);
    const queue = optionalName(raw, 'queue', problems);
    if (exchange === undefined && queue === undefined && !('exchange' in raw) && !('queue' in raw))
      problems.push({ key: 'exchange', message: 'give exactly one of exchange (with routingKey) or queue' });
    if (exchange !== undefined && queue !== undefined) problems.push({ key: 'queue', message: 'give exactly one of exchange or queue, not both' });
    let routingKey: string | undefined;
    if (raw.routingKey !== undefined) {
      if (typeof raw.routingKey !== 'string') problems.push({ key: 'routingKey', message: 'routingKey must be a string (it may hold {{ }} templates)' });
      else if (queue !== undefined) problems.push({ key: 'routingKey', message: 'routingKey has no meaning with queue: the message goes through the default exchange with the queue name as its key' });
      else routingKey = raw.routingKey;
    }
    let persistent = true;
    if (raw.persistent !== undefined) {
      if (typeof raw.persistent !== 'boolean') problems.push({ key: 'persistent', message: 'persistent must be true or false' });
      else persistent = raw.persistent;
    }
    if (problems.length) return { problems };
    return {
      url: url as string,
      ...(exchange !== undefined ? { exchange } : {}),
      ...(queue !== undefined ? { queue } : {}),
      ...(routingKey !== undefined ? { routingKey } : {}),
      persistent,
    };
  },

  endpoint(settings) {
    const u = new URL(settings.url);
    const scheme = u.protocol.slice(0, -1);
    return { scheme, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : scheme === 'amqps' ? 5671 : 5672 };
  },

  describe(settings, msg) {
    const u = new URL(settings.url);
    const scheme = u.protocol.slice(0, -1);
    const port = u.port || (scheme === 'amqps' ? '5671' : '5672');
    const vhost = vhostOf(u);
    const where = settings.queue !== undefined ? `queue ${settings.queue}` : `exchange ${settings.exchange ?? ''}, key ${JSON.stringify(routingKeyOf(settings, msg))}`;
    return { method: 'PUBLISH', url: `${scheme}://${u.hostname}:${port}/${encodeURIComponent(vhost)} → ${where}` };
  },

  async connect(settings, timeoutMs) {
    const lib = await import('amqplib');
    let timedOut = false;
    const opening = lib.connect(settings.url, { timeout: timeoutMs, clientProperties: { connection_name: 'switchboard' } });
    // If the deadline wins, a connection that opens later is closed at once.
    opening.then(
      (model) => {
        if (!timedOut) return;
        model.on('error', () => undefined);
        model.close().catch(() => undefined);
      },
      () => undefined,
    );
    const model = await deadline(
      opening.catch((err: unknown) => {
        const m = errorMessage(err);
        // amqplib drops the broker's reason when it refuses connection.open: that is the vhost.
        if (/^Expected ConnectionOpenOk; got <ConnectionClose/.test(m))
          throw new Error(`AMQP connect failed: the broker refused vhost ${JSON.stringify(vhostOf(new URL(settings.url)))} (it does not exist, or the user may not use it)`);
        throw new Error(`AMQP connect failed: ${m}`);
      }),
      timeoutMs,
      () => {
        timedOut = true;
        return new Error(`AMQP connect timed out after ${timeoutMs} ms`);
      },
    );
    const conn: AmqpConnection = { model, closing: false };
    model.on('error', (err: Error) => {
      conn.broken = err;
    });
    model.on('close', (err?: Error) => {
      conn.broken ??= err ?? new Error('connection closed');
    });
    model.on('blocked', (reason: string) => {
      conn.blocked = reason;
    });
    model.on('unblocked', () => {
      conn.blocked = undefined;
    });
    try {
      // Opening the confirm channel now surfaces a channel limit or a broken link at connect time, not at the first publish.
      await deadline(channelOf(conn), timeoutMs, () => new Error(`AMQP channel open timed out after ${timeoutMs} ms`));
    } catch (err) {
      await closeConnection(conn);
      throw err;
    }
    return conn;
  },

  async publish(conn, msg, settings, timeoutMs) {
    const routingKey = settings.queue ?? routingKeyOf(settings, msg);
    // Everything is checked before the publish: a frame the broker cannot take makes it close the whole
    // connection (541 INTERNAL_ERROR, 501 FRAME_ERROR), failing every publish in flight on it.
    if (Buffer.byteLength(routingKey) > MAX_SHORTSTR) throw new PublishError(`routing key is ${Buffer.byteLength(routingKey)} bytes; AMQP allows at most ${MAX_SHORTSTR}`, true);
    for (const [field, value] of [
      ['the topic (sent as the message type)', msg.topic],
      ['the content type', msg.contentType],
      ['the delivery id (sent as the message id)', msg.deliveryId],
    ] as const) {
      if (Buffer.byteLength(value) > MAX_SHORTSTR) throw new PublishError(`${field} is ${Buffer.byteLength(value)} bytes; AMQP allows at most ${MAX_SHORTSTR}`, true);
    }
    // The properties travel in one content-header frame, which must fit the frame size the connection negotiated.
    let size = HEADER_FRAME_FIXED + 1 + Buffer.byteLength(msg.contentType) + 1 + Buffer.byteLength(msg.deliveryId) + 1 + Buffer.byteLength(msg.topic) + 1 + 'switchboard'.length + 4;
    const headers: Record<string, string> = msg.traceparent ? { traceparent: msg.traceparent, ...msg.headers } : { ...msg.headers };
    for (const [name, value] of Object.entries(headers)) {
      if (Buffer.byteLength(name) > MAX_SHORTSTR)
        throw new PublishError(`header name ${JSON.stringify(name.slice(0, 40))}… is ${Buffer.byteLength(name)} bytes; AMQP allows at most ${MAX_SHORTSTR}`, true);
      size += 1 + Buffer.byteLength(name) + 1 + 4 + Buffer.byteLength(value);
    }
    const frameMax = (conn.model.connection as unknown as { frameMax?: number }).frameMax ?? 131_072;
    if (size > frameMax) {
      throw new PublishError(`the headers and properties take ${size} bytes, more than fit in one AMQP frame (frame_max ${frameMax} bytes, negotiated with the broker)`, true);
    }
    const work = (async (): Promise<Confirmation> => {
      const state = await channelOf(conn);
      const options = {
        persistent: settings.persistent,
        messageId: msg.deliveryId,
        contentType: msg.contentType,
        headers,
        timestamp: Math.floor(Date.now() / 1000),
        type: msg.topic,
        appId: 'switchboard',
        mandatory: settings.queue !== undefined,
      };
      return new Promise<Confirmation>((resolve, reject) => {
        const onConfirm = (err: unknown) => {
          state.inFlight--;
          const returned = state.returned.get(msg.deliveryId) ?? 0;
          if (returned > 0) {
            if (returned === 1) state.returned.delete(msg.deliveryId);
            else state.returned.set(msg.deliveryId, returned - 1);
          }
          if (err) return reject(failure(conn, state, err, msg.body.length, true));
          if (returned > 0) return reject(new PublishError(`queue "${settings.queue}" does not exist (the broker returned the message: 312 NO_ROUTE)`, true));
          resolve({ detail: 'publisher confirm' });
        };
        try {
          state.channel.publish(settings.queue !== undefined ? '' : (settings.exchange ?? ''), routingKey, msg.body, options, onConfirm);
          state.inFlight++;
        } catch (err) {
          // The channel or connection closed under us (IllegalOperationError) or the frame could not be encoded.
          reject(failure(conn, state, err, msg.body.length, false));
        }
      });
    })();
    return deadline(work, timeoutMs, () => new Error(`not confirmed within ${timeoutMs} ms${conn.blocked ? ` (the broker blocked the connection: ${conn.blocked})` : ''}`));
  },

  close: closeConnection,
};

async function closeConnection(conn: AmqpConnection): Promise<void> {
  if (conn.closing) return;
  conn.closing = true;
  if (conn.broken) return destroy(conn);
  // A graceful close waits for the broker's close-ok; on a half-dead link that never comes.
  try {
    await deadline(conn.model.close(), CLOSE_GRACE_MS, () => new Error('close timed out'));
  } catch {
    destroy(conn);
  }
}

/** The confirm channel of a connection, opened (again) when there is none or the broker closed the last one. */
function channelOf(conn: AmqpConnection): Promise<ChannelState> {
  if (conn.closing) return Promise.reject(new Error('connection closed'));
  if (conn.broken) return Promise.reject(new Error(`connection lost: ${conn.broken.message}`));
  if (conn.channel && !conn.channel.closed) return Promise.resolve(conn.channel);
  if (conn.opening) return conn.opening;
  const opening = conn.model.createConfirmChannel().then((channel) => {
    const state: ChannelState = { channel, closed: false, returned: new Map(), inFlight: 0 };
    // amqplib emits the broker's reason before it fails the publishes in flight ('close').
    channel.on('error', (err: Error & { code?: number }) => {
      state.error = err;
      state.inFlightAtClose = state.inFlight;
    });
    channel.on('close', () => {
      state.closed = true;
      if (conn.channel === state) conn.channel = undefined;
    });
    channel.on('return', (m: { properties: { messageId?: string } }) => {
      const id = m.properties.messageId;
      if (id !== undefined) state.returned.set(id, (state.returned.get(id) ?? 0) + 1);
    });
    conn.channel = state;
    return state;
  });
  conn.opening = opening;
  const forget = () => {
    if (conn.opening === opening) conn.opening = undefined;
  };
  opening.then(forget, forget);
  return opening;
}

/** What a failed publish of `bodyBytes` (`sent`: or one the closing channel refused) means: the broker's reason for closing the channel when it gave one. */
function failure(conn: AmqpConnection, state: ChannelState, err: unknown, bodyBytes: number, sent: boolean): Error {
  const reason = state.error;
  if (reason) {
    const text = serverText(reason.message);
    if (reason.code === 404 || reason.code === 403) return new PublishError(`the broker refused the publish: ${text}`, true);
    if (reason.code === 406) {
      // RabbitMQ: "PRECONDITION_FAILED - message size 200000 is larger than configured max size 131072".
      const limit = /is larger than (?:configured )?max size (\d+)/.exec(text);
      const meant = limit ? bodyBytes > Number(limit[1]) : sent && (state.inFlightAtClose ?? 0) <= 1;
      if (meant) return new PublishError(`the broker refused the publish: ${text}`, true);
      return new Error(`the broker closed the channel over another message in flight on it (${text}); this one (${bodyBytes} bytes) is published again`);
    }
    return new Error(`the broker closed the channel: ${text}`);
  }
  if (conn.broken) return new Error(`connection lost before the broker confirmed: ${errorMessage(conn.broken)}`);
  const m = errorMessage(err);
  if (m === 'message nacked') return new Error('the broker nacked the message (negative publisher confirm)');
  if (m === 'channel closed' || /Channel closed|Channel closing|Connection closed/i.test(m)) return new Error('the channel closed before the broker confirmed');
  return new Error(m);
}

/** `Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange 'x' in vhost '/'"` → the quoted part. */
function serverText(message: string): string {
  const m = /with message "(.*)"$/s.exec(message);
  return m?.[1] ?? message.replace(/^Channel closed by server: /, '');
}

function destroy(conn: AmqpConnection): void {
  const stream = (conn.model.connection as unknown as { stream?: { destroy(): void } }).stream;
  try {
    stream?.destroy();
  } catch {
    // already gone
  }
}

function routingKeyOf(settings: AmqpSettings, msg: Message): string {
  return msg.values.routingKey ?? settings.routingKey ?? '';
}

function vhostOf(u: URL): string {
  const path = u.pathname.slice(1);
  if (path === '') return '/';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function badUrl(url: string): string | undefined {
  if (url.includes('{{')) return 'url cannot hold templates (a connection is opened once per target)';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'url is not a valid URL (expected amqp://user:pass@host:5672/vhost; percent-encode special characters in the password)';
  }
  if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') return `url must start with amqp:// or amqps:// (got ${u.protocol}//)`;
  if (!u.hostname) return 'url has no host';
  if (u.pathname.slice(1).includes('/')) return 'url path is the vhost: spell a "/" inside it as %2F';
  return undefined;
}

function optionalName(raw: Readonly<Record<string, unknown>>, key: 'exchange' | 'queue', problems: KindProblem[]): string | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') {
    problems.push({ key, message: `${key} must be a non-empty string` });
    return undefined;
  }
  if (v.includes('{{')) {
    problems.push({ key, message: `${key} cannot hold templates (only routingKey can)` });
    return undefined;
  }
  if (Buffer.byteLength(v) > MAX_SHORTSTR) {
    problems.push({ key, message: `${key} is longer than ${MAX_SHORTSTR} bytes` });
    return undefined;
  }
  return v;
}
