// kind: smtp — an email through an SMTP server, with nodemailer's SMTP client
// (loaded only when a config uses the kind). Delivered = the server's 250
// after DATA; its reply line is the attempt's confirmation.
//
// A small pool of SMTP sessions per target, reused: a session carries one
// transaction at a time, so a mail takes an idle session or opens another, up
// to the target's `concurrency` (default 10), and waits for one only beyond
// that — so a mail's time is spent on its own transaction, not queued behind
// others on a slow server. A session the server closed while idle is dropped;
// after any failed send it is closed (mid-transaction state is unknown).
//
// A mail is never reported failed while it may still be delivered: when its
// time runs out before the end of the message was sent, the session is closed
// (the server discards an unfinished DATA); once the whole message was sent,
// its 250 is waited for a little longer (SETTLE_GRACE_MS). Only a server that
// stays silent past that leaves the outcome unknown, said in the error; the
// retry carries the same Message-ID (the delivery id).
//
// Header injection: from, to and subject are templates rendered from the
// payload; a rendered value holding CR or LF (or any other control character)
// is refused as a permanent error, so nothing a sender posts can add a header
// or an SMTP command.
import type { Readable } from 'node:stream';
import type SMTPConnectionType from 'nodemailer/lib/smtp-connection/index.js';
import type MailComposerType from 'nodemailer/lib/mail-composer/index.js';
import type addressparserType from 'nodemailer/lib/addressparser/index.js';
import { NotSent, PublishError, type Confirmation, type KindProblem, type Message, type TargetKind } from './types.js';
import { SETTLE_GRACE_MS } from './util.js';

export interface SmtpSettings {
  readonly scheme: 'smtp' | 'smtps';
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly pass?: string;
  readonly from: string;
  readonly to: string;
  readonly subject?: string;
  /** smtp:// only: refuse to send unless the session is upgraded with STARTTLS. */
  readonly requireTLS: boolean;
  readonly maxRecipients: number;
  /** At most this many sessions at once (the target's concurrency). */
  readonly maxSessions: number;
}

type Client = SMTPConnectionType;

interface Lib {
  readonly SMTPConnection: typeof SMTPConnectionType;
  readonly MailComposer: typeof MailComposerType;
  readonly addressparser: typeof addressparserType;
}

export interface SmtpConnection {
  readonly settings: SmtpSettings;
  readonly lib: Lib;
  /** Open sessions waiting for a mail. */
  readonly idle: Client[];
  /** Sessions in a transaction (close aborts them rather than sending QUIT into a message). */
  readonly busy: Set<Client>;
  /** Sessions open or being opened. */
  sessions: number;
  /** Mails waiting for a session, first come first served: handed a session, or told to open one (undefined). */
  readonly waiting: ((client: Client | undefined) => void)[];
  closed: boolean;
}

const DEFAULT_PORT = { smtp: 587, smtps: 465 } as const;
const DEFAULT_MAX_RECIPIENTS = 50;
/** When `to` is a template, a payload must not be able to add recipients: one, unless maxRecipients says more. */
const DEFAULT_MAX_TEMPLATED_RECIPIENTS = 1;
/** Like compile.ts's default target concurrency. */
const DEFAULT_SESSIONS = 10;
/** An idle session is given up after this long (the server usually closes it sooner). */
const IDLE_MS = 5 * 60_000;
/** Headers the kind writes itself; `headers:` may not set them. */
const RESERVED_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding', 'sender']);
const HEADER_NAME = /^[!-9;-~]+$/;
// Control characters other than tab (CR and LF above all): refused in anything that becomes a header or an address.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/;

async function load(): Promise<Lib> {
  const [conn, composer, parser] = await Promise.all([
    import('nodemailer/lib/smtp-connection/index.js'),
    import('nodemailer/lib/mail-composer/index.js'),
    import('nodemailer/lib/addressparser/index.js'),
  ]);
  return { SMTPConnection: conn.default, MailComposer: composer.default, addressparser: parser.default };
}

export const smtp: TargetKind<SmtpSettings, SmtpConnection> = {
  name: 'smtp',
  summary: 'Sends an email through an SMTP server (nodemailer): from, to and subject templates, the transform gives the text (or {text, html}).',
  confirmedBy: "the server's 250 reply after DATA",
  keys: {
    url: {
      type: 'string',
      description:
        'The SMTP server: smtp://user:pass@host:587 (STARTTLS when the server offers it) or smtps://user:pass@host:465 (TLS from the start). No templates; the password is masked everywhere.',
    },
    from: { type: 'string', description: 'The sender, e.g. "Shop <shop@example.com>"; may hold {{ JSONata }} templates. One address.' },
    to: { type: 'string', description: 'The recipients, comma-separated ("a@example.com, B <b@example.com>"); may hold {{ JSONata }} templates.' },
    subject: { type: 'string', description: 'The subject; may hold {{ JSONata }} templates.' },
    requireTLS: { type: 'boolean', description: 'smtp:// only: fail unless the session is upgraded with STARTTLS (default false: upgraded when the server offers it).' },
    maxRecipients: {
      type: 'integer',
      minimum: 1,
      description: `At most this many recipients after rendering \`to\`; more is a permanent error. Default ${DEFAULT_MAX_RECIPIENTS}, but ${DEFAULT_MAX_TEMPLATED_RECIPIENTS} when \`to\` holds a template (a payload must not add recipients): set it to allow a rendered list.`,
    },
  },
  required: ['url', 'from', 'to'],
  templated: ['from', 'to', 'subject'],
  credentialUrls: ['url'],
  packages: ['nodemailer'],
  selfHealing: true,

  compile(raw) {
    const problems: KindProblem[] = [];
    const url = parseUrl(raw.url, problems);
    for (const key of ['from', 'to', 'subject'] as const) {
      const v = raw[key];
      if (v === undefined && key === 'subject') continue;
      if (typeof v !== 'string' || v.trim() === '') problems.push({ key, message: `expected the ${key === 'from' ? 'sender' : key === 'to' ? 'recipients' : 'subject'} as text` });
      // Only the literal parts can be checked here: a template may span lines, its value is checked per delivery.
      else if (CONTROL.test(v.replace(/\{\{[\s\S]*?\}\}\}?/g, ''))) problems.push({ key, message: 'must be one line: a line break would start a new mail header' });
    }
    if (raw.requireTLS !== undefined && typeof raw.requireTLS !== 'boolean') problems.push({ key: 'requireTLS', message: 'expected true or false' });
    const max = raw.maxRecipients;
    if (max !== undefined && !(typeof max === 'number' && Number.isInteger(max) && max >= 1)) problems.push({ key: 'maxRecipients', message: 'expected a whole number, at least 1' });
    const headers = raw.headers;
    if (headers && typeof headers === 'object') {
      for (const name of Object.keys(headers)) {
        if (RESERVED_HEADERS.has(name.toLowerCase()))
          problems.push({ key: 'headers', message: `"${name}" is written by the smtp kind (from, to, subject, the delivery id as Message-ID); it cannot be set in headers` });
        else if (!HEADER_NAME.test(name)) problems.push({ key: 'headers', message: `"${name}" is not a valid mail header name` });
      }
    }
    if (problems.length || !url) return { problems };
    return {
      ...url,
      from: raw.from as string,
      to: raw.to as string,
      ...(typeof raw.subject === 'string' ? { subject: raw.subject } : {}),
      requireTLS: raw.requireTLS === true,
      maxRecipients: typeof max === 'number' ? max : (raw.to as string).includes('{{') ? DEFAULT_MAX_TEMPLATED_RECIPIENTS : DEFAULT_MAX_RECIPIENTS,
      maxSessions: typeof raw.concurrency === 'number' && Number.isInteger(raw.concurrency) && raw.concurrency >= 1 ? raw.concurrency : DEFAULT_SESSIONS,
    };
  },

  endpoint: (s) => ({ scheme: s.scheme, host: s.host, port: s.port }),

  describe(s, msg) {
    const to = msg.values.to ?? s.to;
    const subject = msg.values.subject ?? s.subject;
    return { method: 'MAIL', url: `${s.scheme}://${hostPort(s)} → to ${to}${subject !== undefined ? `, subject ${JSON.stringify(subject)}` : ''}` };
  },

  async connect(settings, timeoutMs) {
    const conn: SmtpConnection = { settings, lib: await load(), idle: [], busy: new Set(), sessions: 0, waiting: [], closed: false };
    // One session at once: an unreachable server or refused credentials are said at start-up.
    conn.sessions++;
    try {
      conn.idle.push(await open(conn, Date.now() + timeoutMs));
    } catch (err) {
      conn.sessions--;
      throw err;
    }
    return conn;
  },

  async publish(conn, msg, settings, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    // Everything about the message is checked before the session is touched: a refused value sends nothing.
    const mail = compose(conn.lib, msg, settings);
    const client = await acquire(conn, deadline);
    let healthy = false;
    try {
      const confirmation = await send(client, mail, deadline, timeoutMs);
      healthy = true;
      return confirmation;
    } finally {
      release(conn, client, healthy);
    }
  },

  async close(conn) {
    conn.closed = true;
    for (const wake of conn.waiting.splice(0)) wake(undefined);
    // A QUIT now would land inside the message being sent: those sessions are cut.
    for (const client of conn.busy) client.close();
    await Promise.all(conn.idle.splice(0).map((client) => quit(client)));
  },
};

/** A session for one mail: an idle one, a new one while fewer than maxSessions are open, else the next one freed (until the deadline: then not sent). */
async function acquire(conn: SmtpConnection, deadline: number): Promise<Client> {
  if (conn.closed) throw new Error('the SMTP connection was closed; not sent');
  let client = conn.idle.pop();
  // Woken without a session: a slot was handed over (already counted).
  let slot = false;
  if (!client && conn.sessions >= conn.settings.maxSessions) {
    slot = true;
    client = await new Promise<Client | undefined>((resolve, reject) => {
      const turn = (c: Client | undefined) => {
        clearTimeout(timer);
        resolve(c);
      };
      const timer = setTimeout(
        () => {
          const i = conn.waiting.indexOf(turn);
          if (i >= 0) conn.waiting.splice(i, 1);
          reject(new NotSent(`timeout: all ${conn.settings.maxSessions} SMTP sessions stayed busy; not sent`));
        },
        Math.max(1, deadline - Date.now()),
      );
      conn.waiting.push(turn);
    });
    if (conn.closed) {
      if (client) release(conn, client, false);
      throw new Error('the SMTP connection was closed; not sent');
    }
  }
  if (client) {
    conn.busy.add(client);
    return client;
  }
  // A new session: counted now, so concurrent mails do not open more than maxSessions.
  if (!slot) conn.sessions++;
  try {
    client = await open(conn, deadline);
  } catch (err) {
    freeSlot(conn);
    throw err;
  }
  conn.busy.add(client);
  return client;
}

/** A mail is done with its session: kept for the next one when it ended well, else closed. */
function release(conn: SmtpConnection, client: Client, healthy: boolean): void {
  conn.busy.delete(client);
  if (!healthy || conn.closed || ended.has(client)) {
    client.close();
    freeSlot(conn);
    return;
  }
  const next = conn.waiting.shift();
  if (next) {
    conn.busy.add(client);
    next(client);
  } else conn.idle.push(client);
}

/** A session slot is free: handed to the next mail in line (it opens a session), else uncounted. */
function freeSlot(conn: SmtpConnection): void {
  const next = conn.waiting.shift();
  if (next && !conn.closed) next(undefined);
  else conn.sessions--;
}

/** Sessions the server closed (their 'end' came). */
const ended = new WeakSet<Client>();

function quit(client: Client): Promise<void> {
  return new Promise<void>((res) => {
    const timer = setTimeout(() => {
      client.close();
      res();
    }, 1000);
    timer.unref();
    client.once('end', () => {
      clearTimeout(timer);
      res();
    });
    client.quit();
  });
}

function parseUrl(value: unknown, problems: KindProblem[]): Pick<SmtpSettings, 'scheme' | 'host' | 'port' | 'user' | 'pass'> | undefined {
  const bad = (message: string) => void problems.push({ key: 'url', message });
  if (typeof value !== 'string') return bad('expected the SMTP server as smtp://user:pass@host:587 or smtps://user:pass@host:465');
  if (value.includes('{{')) return bad('the SMTP URL cannot hold templates: it is a configured place mail goes to');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return bad('not a URL (expected smtp://user:pass@host:587 or smtps://user:pass@host:465)');
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'smtp' && scheme !== 'smtps') return bad(`expected an smtp:// or smtps:// URL, got ${scheme}://`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return bad('the URL has no host');
  if (url.pathname !== '' && url.pathname !== '/') return bad('an SMTP URL has no path');
  if (url.search || url.hash) return bad('an SMTP URL takes no query or fragment (use the target keys: requireTLS)');
  let user: string | undefined;
  let pass: string | undefined;
  try {
    user = url.username ? decodeURIComponent(url.username) : undefined;
    pass = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return bad('the user or password in the URL is not valid percent-encoding');
  }
  if (pass !== undefined && user === undefined) return bad('the URL has a password but no user');
  return { scheme, host, port: url.port ? Number(url.port) : DEFAULT_PORT[scheme], ...(user !== undefined ? { user, pass: pass ?? '' } : {}) };
}

function hostPort(s: SmtpSettings): string {
  return `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
}

interface Composed {
  readonly envelope: { from: string; to: string[] };
  readonly messageId: string;
  stream(): Readable;
}

/** Builds the message, refusing (permanently) any value that could break out of its header. */
function compose(lib: Lib, msg: Message, s: SmtpSettings): Composed {
  const field = (key: 'from' | 'to' | 'subject'): string | undefined => {
    const v = msg.values[key] ?? s[key];
    if (v === undefined) return undefined;
    if (CONTROL.test(v)) throw new PublishError(`${key} holds a line break or control character (${JSON.stringify(clip(v))}): refused, it would inject mail headers`, true);
    return v;
  };
  const from = field('from')!;
  const to = field('to')!;
  const subject = field('subject');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(msg.headers)) {
    if (RESERVED_HEADERS.has(name.toLowerCase()) || !HEADER_NAME.test(name)) throw new PublishError(`header "${name}" cannot be set on an email`, true);
    if (CONTROL.test(value)) throw new PublishError(`header ${name} holds a line break or control character: refused, it would inject mail headers`, true);
    headers[name] = value;
  }
  const messageId = `<${msg.deliveryId.replace(/[^A-Za-z0-9._+-]/g, '_')}@switchboard>`;
  const node = new lib.MailComposer({ from, to, ...(subject !== undefined ? { subject } : {}), messageId, headers, ...content(msg) }).compile();
  const env = node.getEnvelope();
  const sender = typeof env.from === 'string' ? env.from : '';
  const recipients = ([] as string[]).concat(env.to ?? []);
  const senders = lib.addressparser(from, { flatten: true });
  if (senders.length !== 1 || !ADDRESS.test(senders[0]!.address) || sender !== senders[0]!.address) throw new PublishError(`from must be one email address, got ${JSON.stringify(clip(from))}`, true);
  // Every entry of the list must be an address: nodemailer alone would drop a bare name ("a@x.org, bob") silently.
  const listed = lib.addressparser(to, { flatten: true });
  const invalid = listed.find((a) => !ADDRESS.test(a.address));
  if (invalid) throw new PublishError(`not an email address in to: ${JSON.stringify(clip(invalid.address || invalid.name))}`, true);
  if (recipients.length === 0) throw new PublishError(`no recipient: to rendered as ${JSON.stringify(clip(to))}`, true);
  if (recipients.length > s.maxRecipients) {
    const why =
      s.to.includes('{{') && s.maxRecipients === DEFAULT_MAX_TEMPLATED_RECIPIENTS ? ': the default when to is a template, so a payload cannot add recipients; set maxRecipients to allow more' : '';
    throw new PublishError(`to names ${recipients.length} recipients, more than maxRecipients (${s.maxRecipients})${why}`, true);
  }
  return { envelope: { from: sender, to: recipients }, messageId, stream: () => node.createReadStream() };
}

const ADDRESS = /^[^\s<>@]+@[^\s<>@]+$/;

/** The transform's text, or `{text, html}` when it gave a JSON object with those keys (strings only: never a file or URL to fetch). */
function content(msg: Message): { text?: string; html?: string } {
  const text = msg.body.toString('utf8');
  if (/\bjson\b/i.test(msg.contentType)) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return { text };
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as { text?: unknown; html?: unknown };
      const ok = (x: unknown) => x === undefined || typeof x === 'string';
      if ((typeof o.text === 'string' || typeof o.html === 'string') && ok(o.text) && ok(o.html)) {
        return { ...(typeof o.text === 'string' ? { text: o.text } : {}), ...(typeof o.html === 'string' ? { html: o.html } : {}) };
      }
    }
  }
  return { text };
}

/** A new session (connect, STARTTLS, AUTH). */
async function open(conn: SmtpConnection, deadline: number): Promise<Client> {
  const s = conn.settings;
  const left = Math.max(1, deadline - Date.now());
  const client = new conn.lib.SMTPConnection({
    host: s.host,
    port: s.port,
    secure: s.scheme === 'smtps',
    requireTLS: s.scheme === 'smtp' && s.requireTLS,
    connectionTimeout: left,
    greetingTimeout: left,
    socketTimeout: IDLE_MS,
    logger: false,
  });
  // Errors on an idle session (the server hanging up, a timeout) only retire it: never an unhandled 'error'.
  client.on('error', () => undefined);
  try {
    await step(client, deadline, 'connecting', (done) => client.connect(done));
    if (s.user !== undefined) await step(client, deadline, 'authenticating', (done) => client.login({ user: s.user!, pass: s.pass ?? '' }, done));
  } catch (err) {
    client.close();
    throw classify(err);
  }
  if (conn.closed) {
    client.close();
    throw new Error('the SMTP connection was closed');
  }
  // A session that ends (the server's idle timeout, a reset) is forgotten: the next publish opens another.
  client.once('end', () => {
    ended.add(client);
    const i = conn.idle.indexOf(client);
    if (i >= 0) {
      conn.idle.splice(i, 1);
      freeSlot(conn);
    }
  });
  return client;
}

/**
 * Runs one callback-style client operation. Its callback is not always called
 * when the link fails (the client only emits 'error' and 'end'), so those end
 * it too, and so does the deadline (closing the session).
 */
function step<T>(client: Client, deadline: number, what: string, run: (done: (err?: Error | null, value?: T) => void) => void, more?: () => { ms: number; why: string } | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.off('error', onError);
      client.off('end', onEnd);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(value as T);
    };
    const onError = (err: Error) => finish(err);
    const onEnd = () => finish(new Error(`the SMTP server closed the connection while ${what}`));
    const expire = () => {
      finish(new Error(`timeout: the SMTP server did not answer in time (${what})`));
      client.close();
    };
    let timer = setTimeout(
      () => {
        // Something already handed over (the whole message) is worth waiting for a little longer.
        const extra = more?.();
        if (!extra) return expire();
        timer = setTimeout(() => {
          finish(new Error(extra.why));
          client.close();
        }, extra.ms);
      },
      Math.max(1, deadline - Date.now()),
    );
    client.on('error', onError);
    client.once('end', onEnd);
    try {
      run((err, value) => finish(err, value));
    } catch (err) {
      finish(err);
    }
  });
}

async function send(client: Client, mail: Composed, deadline: number, budgetMs: number): Promise<Confirmation> {
  const body = mail.stream();
  // Until the message's last byte went out, closing the session discards it (an unfinished DATA is dropped by the
  // server): a timeout then is a clean "not sent". After it, the server may take it: its answer is waited for.
  let whole = false;
  body.once('end', () => (whole = true));
  const grace = Math.min(SETTLE_GRACE_MS, Math.max(1, budgetMs));
  try {
    const info = await step<SMTPConnectionType.SentMessageInfo>(
      client,
      deadline,
      'sending the message; the session was closed before the end of the message, so it is not delivered',
      (done) => client.send(mail.envelope, body, done),
      () =>
        whole
          ? {
              ms: grace,
              why: `timeout: the SMTP server has the whole message but did not confirm it within ${grace} ms more; it may still deliver it (a retry sends it again, with the same Message-ID ${mail.messageId})`,
            }
          : undefined,
    );
    const rejected = ((info.rejectedErrors ?? []) as SmtpError[]).map((e) => `${e.recipient ?? '?'} (${oneLine(e.response ?? e.message)})`);
    return {
      detail: `${oneLine(info.response)}; Message-ID ${mail.messageId}; accepted ${info.accepted.join(', ')}${rejected.length ? `; rejected ${rejected.join(', ')}` : ''}`,
    };
  } catch (err) {
    // The transaction's state is unknown (or the server refused it): this session is done.
    client.close();
    throw classify(err);
  }
}

type SmtpError = Error & { code?: string; responseCode?: number; response?: string; command?: string; recipient?: string; rejectedErrors?: SmtpError[] };

/** 5xx replies (and messages the client itself refuses) are permanent; 4xx replies and link failures are retried. */
function classify(err: unknown): Error {
  if (err instanceof PublishError) return err;
  const e = (err instanceof Error ? err : new Error(String(err))) as SmtpError;
  const reply = e.response ? oneLine(e.response) : undefined;
  const message = reply ? `${e.command ? `${e.command}: ` : ''}${reply}` : e.message;
  const codes = (e.rejectedErrors?.length ? e.rejectedErrors : [e]).map((x) => x.responseCode).filter((c): c is number => typeof c === 'number');
  if (codes.length) {
    // All recipients refused: permanent only when none of the refusals was temporary.
    if (codes.some((c) => c >= 400 && c < 500)) return withCode(new Error(message), e.code);
    if (codes.every((c) => c >= 500)) return withCode(new PublishError(message, true), e.code);
  }
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.code === 'EAUTH' || e.code === 'NoAuth') return withCode(new PublishError(message, true), e.code);
  return withCode(new Error(message), e.code);
}

function withCode<E extends Error>(err: E, code: string | undefined): E {
  if (code) Object.assign(err, { code });
  return err;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
