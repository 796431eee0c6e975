// kind: smtp — an email through an SMTP server, with nodemailer's SMTP client
// (loaded only when a config uses the kind). Delivered = the server's 250
// after DATA; its reply line is the attempt's confirmation.
//
// One SMTP session per target, reused: messages go through it one at a time
// (an SMTP session carries one transaction at once). A session the server
// closed while idle is reopened by the next publish; after any failed send it
// is closed (mid-transaction state is unknown) and the next publish opens a
// fresh one.
//
// Header injection: from, to and subject are templates rendered from the
// payload; a rendered value holding CR or LF (or any other control character)
// is refused as a permanent error, so nothing a sender posts can add a header
// or an SMTP command.
import type { Readable } from 'node:stream';
import type SMTPConnectionType from 'nodemailer/lib/smtp-connection/index.js';
import type MailComposerType from 'nodemailer/lib/mail-composer/index.js';
import type addressparserType from 'nodemailer/lib/addressparser/index.js';
import { PublishError, type Confirmation, type KindProblem, type Message, type TargetKind } from './types.js';

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
  client: Client | undefined;
  /** Publishes queue behind each other: one transaction at a time on the session. */
  tail: Promise<void>;
  /** A send is on the wire (close aborts it rather than sending QUIT into the message). */
  busy: boolean;
  closed: boolean;
}

const DEFAULT_PORT = { smtp: 587, smtps: 465 } as const;
const DEFAULT_MAX_RECIPIENTS = 50;
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
    maxRecipients: { type: 'integer', minimum: 1, description: `At most this many recipients after rendering \`to\` (default ${DEFAULT_MAX_RECIPIENTS}); more is a permanent error.` },
  },
  required: ['url', 'from', 'to'],
  templated: ['from', 'to', 'subject'],
  credentialUrls: ['url'],
  packages: ['nodemailer'],

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
      maxRecipients: typeof max === 'number' ? max : DEFAULT_MAX_RECIPIENTS,
    };
  },

  endpoint: (s) => ({ scheme: s.scheme, host: s.host, port: s.port }),

  describe(s, msg) {
    const to = msg.values.to ?? s.to;
    const subject = msg.values.subject ?? s.subject;
    return { method: 'MAIL', url: `${s.scheme}://${hostPort(s)} → to ${to}${subject !== undefined ? `, subject ${JSON.stringify(subject)}` : ''}` };
  },

  async connect(settings, timeoutMs) {
    const conn: SmtpConnection = { settings, lib: await load(), client: undefined, tail: Promise.resolve(), busy: false, closed: false };
    await open(conn, Date.now() + timeoutMs);
    return conn;
  },

  async publish(conn, msg, settings, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    // Everything about the message is checked before the session is touched: a refused value sends nothing.
    const mail = compose(conn.lib, msg, settings);
    const prev = conn.tail;
    let release!: () => void;
    const mine = new Promise<void>((res) => (release = res));
    conn.tail = prev.then(() => mine);
    try {
      await beforeDeadline(prev, deadline, 'waiting for the SMTP session');
      if (conn.closed) throw new Error('the SMTP connection was closed');
      const client = await open(conn, deadline);
      return await send(conn, client, mail, deadline);
    } finally {
      release();
    }
  },

  async close(conn) {
    conn.closed = true;
    const client = conn.client;
    conn.client = undefined;
    if (!client) return;
    if (conn.busy) return void client.close(); // a QUIT now would land inside the message being sent
    await new Promise<void>((res) => {
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
  },
};

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
  if (recipients.length > s.maxRecipients) throw new PublishError(`to names ${recipients.length} recipients, more than maxRecipients (${s.maxRecipients})`, true);
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

/** The open session, or a new one (connect, STARTTLS, AUTH) when there is none or the server closed it. */
async function open(conn: SmtpConnection, deadline: number): Promise<Client> {
  if (conn.client) return conn.client;
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
  conn.client = client;
  // A session that ends (the server's idle timeout, a reset) is forgotten: the next publish opens another.
  client.once('end', () => {
    if (conn.client === client) conn.client = undefined;
  });
  return client;
}

/**
 * Runs one callback-style client operation. Its callback is not always called
 * when the link fails (the client only emits 'error' and 'end'), so those end
 * it too, and so does the deadline (closing the session).
 */
function step<T>(client: Client, deadline: number, what: string, run: (done: (err?: Error | null, value?: T) => void) => void): Promise<T> {
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
    const timer = setTimeout(
      () => {
        finish(new Error(`timeout: the SMTP server did not answer in time (${what})`));
        client.close();
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

async function send(conn: SmtpConnection, client: Client, mail: Composed, deadline: number): Promise<Confirmation> {
  conn.busy = true;
  try {
    const info = await step<SMTPConnectionType.SentMessageInfo>(client, deadline, 'sending the message', (done) => client.send(mail.envelope, mail.stream(), done));
    const rejected = ((info.rejectedErrors ?? []) as SmtpError[]).map((e) => `${e.recipient ?? '?'} (${oneLine(e.response ?? e.message)})`);
    return {
      detail: `${oneLine(info.response)}; Message-ID ${mail.messageId}; accepted ${info.accepted.join(', ')}${rejected.length ? `; rejected ${rejected.join(', ')}` : ''}`,
    };
  } catch (err) {
    // The transaction's state is unknown (or the server refused it): this session is done.
    if (conn.client === client) conn.client = undefined;
    client.close();
    throw classify(err);
  } finally {
    conn.busy = false;
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

function beforeDeadline(p: Promise<void>, deadline: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), Math.max(1, deadline - Date.now()));
    }),
  ]).finally(() => clearTimeout(timer));
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
