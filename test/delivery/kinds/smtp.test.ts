// kind: smtp against a real SMTP server (smtp-server) started by the test on
// 127.0.0.1, with AUTH required: what arrives is exactly what was sent, the 250
// after DATA is the confirmation, 5xx is permanent and 4xx retried, and no
// templated value can add a header.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { smtp, type SmtpConnection, type SmtpSettings } from '../../../src/delivery/kinds/smtp.js';
import { PublishError, type Message } from '../../../src/delivery/kinds/types.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';

interface Received {
  readonly user: unknown;
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

interface TestServer {
  readonly port: number;
  readonly received: Received[];
  /** Commands the server saw (MAIL FROM / RCPT TO / DATA), to prove nothing was sent. */
  readonly commands: string[];
  sessions: number;
  close(): Promise<void>;
}

const USER = 'relay-user';
const PASS = 'p@ss word:/x';

async function startServer(options: Partial<SMTPServerOptions> = {}): Promise<TestServer> {
  const received: Received[] = [];
  const commands: string[] = [];
  const state = { sessions: 0 };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true, // AUTH over plaintext: a test on loopback
    authOptional: false,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 200,
    onConnect(_session, cb) {
      state.sessions += 1;
      cb();
    },
    onAuth(auth, _session, cb) {
      if (auth.username === USER && auth.password === PASS) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onMailFrom(address, _session, cb) {
      commands.push(`MAIL ${address.address}`);
      cb();
    },
    onRcptTo(address, _session, cb) {
      commands.push(`RCPT ${address.address}`);
      cb();
    },
    onData(stream, session, cb) {
      commands.push('DATA');
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const env = session.envelope;
        received.push({ user: session.user, from: env.mailFrom ? env.mailFrom.address : '', to: env.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb(null, `Queued as Q${received.length}`);
      });
    },
    ...options,
  });
  server.on('error', () => undefined);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.server.address() as { port: number }).port;
  const t: TestServer = {
    port,
    received,
    commands,
    get sessions() {
      return state.sessions;
    },
    set sessions(n) {
      state.sessions = n;
    },
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
  return t;
}

function settingsFor(port: number, over: Record<string, unknown> = {}): SmtpSettings {
  const s = smtp.compile({ kind: 'smtp', url: `smtp://${USER}:${encodeURIComponent(PASS)}@127.0.0.1:${port}`, from: 'Shop <shop@example.com>', to: '{{ to }}', subject: '{{ subject }}', ...over });
  if ('problems' in s) throw new Error(JSON.stringify(s.problems));
  return s;
}

function message(over: Partial<Message> & { values?: Record<string, string> } = {}): Message {
  return {
    body: Buffer.from('Hello from Switchboard\n'),
    contentType: 'text/plain; charset=utf-8',
    headers: {},
    deliveryId: `dlv_${randomUUID().replace(/-/g, '')}`,
    topic: 'order.created',
    source: 'shop',
    eventId: 'evt_1',
    ...over,
    values: { from: 'Shop <shop@example.com>', to: 'a@example.com', subject: 'Order 42', ...over.values },
  };
}

/** The value of a header in a raw message (unfolded). */
function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r\n\r\n/)[0]!.replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** RFC 2047 encoded words (Q or B, UTF-8) decoded; the space between adjacent words dropped. */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?([QB])\?(.*?)\?=/gi, (_, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the publish to fail');
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Partial<SMTPServerOptions> = {}, over: Record<string, unknown> = {}) {
  const server = await startServer(options);
  const settings = settingsFor(server.port, over);
  const conn = await smtp.connect!(settings, 5000);
  cleanups.push(() => server.close());
  cleanups.push(() => smtp.close!(conn));
  return { server, settings, conn };
}

describe('smtp: compile', () => {
  it('takes smtp:// and smtps:// URLs with credentials and default ports', () => {
    const a = smtp.compile({ url: 'smtp://u:p%40ss@mail.example.com', from: 'a@example.com', to: 'b@example.com' }) as SmtpSettings;
    expect(a).toMatchObject({ scheme: 'smtp', host: 'mail.example.com', port: 587, user: 'u', pass: 'p@ss', requireTLS: false, maxRecipients: 50 });
    const b = smtp.compile({ url: 'smtps://mail.example.com', from: 'a@example.com', to: 'b@example.com', subject: 'Hi', requireTLS: true, maxRecipients: 3 }) as SmtpSettings;
    expect(b).toMatchObject({ scheme: 'smtps', port: 465, subject: 'Hi', requireTLS: true, maxRecipients: 3 });
    expect(b.user).toBeUndefined();
    expect(smtp.endpoint!(a)).toEqual({ scheme: 'smtp', host: 'mail.example.com', port: 587 });
    expect(smtp.endpoint!(smtp.compile({ url: 'smtp://[::1]:2525', from: 'a@x.org', to: 'b@x.org' }) as SmtpSettings)).toEqual({ scheme: 'smtp', host: '::1', port: 2525 });
  });

  it.each([
    [{ url: 'http://mail.example.com', from: 'a@x.org', to: 'b@x.org' }, 'url', /smtp:\/\/ or smtps:\/\//],
    [{ url: 'smtp://{{ host }}:25', from: 'a@x.org', to: 'b@x.org' }, 'url', /templates/],
    [{ url: 'smtp://mail.example.com/path', from: 'a@x.org', to: 'b@x.org' }, 'url', /no path/],
    [{ url: 'smtp://mail.example.com?pool=true', from: 'a@x.org', to: 'b@x.org' }, 'url', /no query/],
    [{ url: 'not a url', from: 'a@x.org', to: 'b@x.org' }, 'url', /not a URL/],
    [{ url: 'smtp://m.example.com', from: '', to: 'b@x.org' }, 'from', /sender/],
    [{ url: 'smtp://m.example.com', from: 'a@x.org', to: 42 }, 'to', /recipients/],
    [{ url: 'smtp://m.example.com', from: 'a@x.org', to: 'b@x.org', subject: 'Hi\nBcc: evil@x.org' }, 'subject', /one line/],
    [{ url: 'smtp://m.example.com', from: 'a@x.org', to: 'b@x.org', maxRecipients: 0 }, 'maxRecipients', /at least 1/],
    [{ url: 'smtp://m.example.com', from: 'a@x.org', to: 'b@x.org', requireTLS: 'yes' }, 'requireTLS', /true or false/],
    [{ url: 'smtp://m.example.com', from: 'a@x.org', to: 'b@x.org', headers: { Bcc: 'x@x.org' } }, 'headers', /written by the smtp kind/],
  ])('refuses %j', (raw, key, message) => {
    const r = smtp.compile(raw);
    expect('problems' in r).toBe(true);
    const problems = (r as { problems: { key: string; message: string }[] }).problems;
    expect(problems).toContainEqual({ key, message: expect.stringMatching(message) as unknown as string });
  });

  it('lets a template span lines (only the literal text must be one line)', () => {
    const r = smtp.compile({ url: 'smtp://m.example.com', from: 'a@x.org', to: 'b@x.org', subject: 'Order {{ $join(\n  [id, status], " ") }}' });
    expect('problems' in r).toBe(false);
  });

  it('describes an attempt without the password', () => {
    const s = settingsFor(2525);
    const d = smtp.describe(s, message());
    expect(d).toEqual({ method: 'MAIL', url: 'smtp://127.0.0.1:2525 → to a@example.com, subject "Order 42"' });
    expect(JSON.stringify(d)).not.toContain('ss word');
  });
});

describe('smtp: delivery to a real SMTP server', () => {
  it('sends the text body to every recipient of the rendered list, authenticated, with the delivery id as Message-ID, confirmed by the 250', async () => {
    // A templated `to` takes one recipient unless maxRecipients says more.
    const { server, settings, conn } = await setup({}, { maxRecipients: 5 });
    const msg = message({ values: { to: 'a@example.com, "Doe, Jane" <jane@example.org>', subject: 'Order 42 — paid' }, headers: { 'X-Switchboard-Topic': 'order.created' } });
    const c = await smtp.publish(conn, msg, settings, 5000);
    expect(server.received).toHaveLength(1);
    const got = server.received[0]!;
    expect(got.user).toBe(USER);
    expect(got.from).toBe('shop@example.com');
    expect(got.to).toEqual(['a@example.com', 'jane@example.org']);
    expect(header(got.raw, 'Message-ID')).toBe(`<${msg.deliveryId}@switchboard>`);
    expect(header(got.raw, 'From')).toBe('Shop <shop@example.com>');
    expect(header(got.raw, 'To')).toBe('a@example.com, "Doe, Jane" <jane@example.org>');
    expect(header(got.raw, 'Subject')).toMatch(/^=\?UTF-8\?/i); // non-ASCII: encoded words …
    expect(decodeWords(header(got.raw, 'Subject')!)).toBe('Order 42 — paid'); // … of exactly the subject
    expect(header(got.raw, 'X-Switchboard-Topic')).toBe('order.created');
    expect(header(got.raw, 'Content-Type')).toMatch(/^text\/plain/);
    expect(got.raw.split('\r\n\r\n').slice(1).join('\r\n\r\n')).toBe('Hello from Switchboard\r\n');
    expect(c.detail).toMatch(/^250 .*Queued as Q1; Message-ID <dlv_[0-9a-f]+@switchboard>; accepted a@example.com, jane@example.org$/);
  });

  it('sends {text, html} from a JSON body as both alternatives', async () => {
    const { server, settings, conn } = await setup();
    const body = Buffer.from(JSON.stringify({ text: 'Order 42 paid', html: '<p>Order <b>42</b> paid</p>' }));
    await smtp.publish(conn, message({ body, contentType: 'application/json' }), settings, 5000);
    const raw = server.received[0]!.raw;
    expect(header(raw, 'Content-Type')).toMatch(/^multipart\/alternative/);
    expect(raw).toContain('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nOrder 42 paid');
    expect(raw).toContain('Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<p>Order <b>42</b> paid</p>');
  });

  it('sends any other JSON as text, and never reads a file named by the body', async () => {
    const { server, settings, conn } = await setup();
    const body = Buffer.from(JSON.stringify({ text: { path: '/etc/hostname' }, html: { href: 'http://127.0.0.1:1/' } }));
    await smtp.publish(conn, message({ body, contentType: 'application/json' }), settings, 5000);
    const raw = server.received[0]!.raw;
    expect(header(raw, 'Content-Type')).toMatch(/^text\/plain/);
    expect(raw.split('\r\n\r\n')[1]).toBe(`${body.toString()}\r\n`);
  });

  it('reuses one session for consecutive messages; concurrent ones share at most `concurrency` sessions', async () => {
    const { server, settings, conn } = await setup({}, { concurrency: 2 });
    await smtp.publish(conn, message(), settings, 5000);
    await smtp.publish(conn, message({ values: { subject: 'n0' } }), settings, 5000);
    expect(server.sessions).toBe(1);
    await Promise.all([1, 2, 3, 4].map((i) => smtp.publish(conn, message({ values: { subject: `n${i}` } }), settings, 5000)));
    expect(server.received.map((r) => header(r.raw, 'Subject')).sort()).toEqual(['Order 42', 'n0', 'n1', 'n2', 'n3', 'n4']);
    expect(server.sessions).toBe(2);
  });

  it('reopens a session the server closed while idle, without failing a publish', async () => {
    const { server, settings, conn } = await setup({ socketTimeout: 300 });
    await smtp.publish(conn, message(), settings, 5000);
    await new Promise((r) => setTimeout(r, 800)); // the server times the idle session out (421)
    await smtp.publish(conn, message(), settings, 5000);
    expect(server.received).toHaveLength(2);
    expect(server.sessions).toBe(2);
  });

  it.each([
    ['subject', { subject: 'Hi\r\nBcc: victim@example.net' }],
    ['subject', { subject: 'Hi\nX-Injected: 1' }],
    ['to', { to: 'a@example.com\r\nRCPT TO:<victim@example.net>' }],
    ['from', { from: 'shop@example.com\rBcc: victim@example.net' }],
    ['subject', { subject: 'nul\u0000byte' }],
  ])('refuses a rendered %s with a line break, permanently, sending nothing', async (key, values) => {
    const { server, settings, conn } = await setup();
    const err = await rejection(smtp.publish(conn, message({ values }), settings, 5000));
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    expect(err.message).toContain(`${key} holds a line break`);
    expect(server.commands).toEqual([]);
    // the session is still good for the next message
    await smtp.publish(conn, message(), settings, 5000);
    expect(server.received).toHaveLength(1);
  });

  it('refuses a rendered header value with a line break', async () => {
    const { server, settings, conn } = await setup();
    const err = await rejection(smtp.publish(conn, message({ headers: { 'X-Order': '1\r\nBcc: victim@example.net' } }), settings, 5000));
    expect((err as PublishError).permanent).toBe(true);
    expect(server.commands).toEqual([]);
  });

  it.each([
    [{ to: '' }, /no recipient/],
    [{ to: 'not-an-address' }, /not an email address in to: "not-an-address"/],
    [{ to: 'a@example.com, bob' }, /not an email address in to: "bob"/],
    [{ to: 'a@example.com, <>' }, /not an email address/],
    [{ from: 'a@example.com, b@example.com' }, /from must be one email address/],
    [{ to: 'a@x.org, b@x.org, c@x.org' }, /more than maxRecipients \(2\)/],
  ])('refuses bad addresses %j permanently', async (values, message_) => {
    const { server, settings, conn } = await setup({}, { maxRecipients: 2 });
    const err = await rejection(smtp.publish(conn, message({ values }), settings, 5000));
    expect((err as PublishError).permanent).toBe(true);
    expect(err.message).toMatch(message_);
    expect(server.commands).toEqual([]);
  });

  it('a 5xx for the recipient is permanent; the next message goes through a fresh session', async () => {
    const { server, settings, conn } = await setup({
      onRcptTo(address, _s, cb) {
        if (address.address.startsWith('nobody')) cb(Object.assign(new Error('No such user here'), { responseCode: 550 }));
        else cb();
      },
    });
    const err = await rejection(smtp.publish(conn, message({ values: { to: 'nobody@example.com' } }), settings, 5000));
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    expect(err.message).toMatch(/550.*No such user here/);
    await smtp.publish(conn, message(), settings, 5000);
    expect(server.received).toHaveLength(1);
  });

  it('some recipients refused: delivered to the others, the refusals in the detail', async () => {
    const { server, settings, conn } = await setup(
      {
        onRcptTo(address, _s, cb) {
          if (address.address.startsWith('nobody')) cb(Object.assign(new Error('No such user here'), { responseCode: 550 }));
          else cb();
        },
      },
      { maxRecipients: 5 },
    );
    const c = await smtp.publish(conn, message({ values: { to: 'a@example.com, nobody@example.com' } }), settings, 5000);
    expect(server.received[0]!.to).toEqual(['a@example.com']);
    expect(c.detail).toMatch(/accepted a@example.com; rejected nobody@example.com \(550 .*No such user here\)$/);
  });

  it('a 4xx after DATA is retried (not permanent), a 5xx after DATA is permanent', async () => {
    let reply = 451;
    const { server, settings, conn } = await setup({
      onData(stream, _s, cb) {
        stream.resume();
        stream.on('end', () => cb(Object.assign(new Error(reply === 451 ? 'Try again later' : 'Spam detected'), { responseCode: reply })));
      },
    });
    const soft = await rejection(smtp.publish(conn, message(), settings, 5000));
    expect(soft.message).toMatch(/451.*Try again later/);
    expect(soft instanceof PublishError && soft.permanent).toBe(false);
    reply = 554;
    const hard = await rejection(smtp.publish(conn, message(), settings, 5000));
    expect(hard.message).toMatch(/554.*Spam detected/);
    expect(hard instanceof PublishError && hard.permanent).toBe(true);
    expect(server.received).toHaveLength(0);
  });

  it('a 4xx for a recipient is retried', async () => {
    const { settings, conn } = await setup({
      onRcptTo(_a, _s, cb) {
        cb(Object.assign(new Error('Greylisted, try again'), { responseCode: 450 }));
      },
    });
    const err = await rejection(smtp.publish(conn, message(), settings, 5000));
    expect(err.message).toMatch(/450.*Greylisted/);
    expect(err instanceof PublishError && err.permanent).toBe(false);
  });

  it('wrong credentials are a permanent failure of connect, without the password in the message', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    const s = smtp.compile({ url: `smtp://${USER}:wrong-secret@127.0.0.1:${server.port}`, from: 'a@x.org', to: 'b@x.org' }) as SmtpSettings;
    const err = await rejection(smtp.connect!(s, 5000));
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    expect(err.message).toMatch(/535/);
    expect(err.message).not.toContain('wrong-secret');
  });

  it('a server that is not there: connect rejects, retryable', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await rejection(smtp.connect!(settingsFor(port), 2000));
    expect(err instanceof PublishError && err.permanent).toBe(false);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('honours the timeout when the server never answers the DATA', async () => {
    const { settings, conn } = await setup({
      onData(stream) {
        stream.resume(); // … and never calls back
      },
    });
    const started = Date.now();
    const err = await rejection(smtp.publish(conn, message(), settings, 600));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(err.message).toMatch(/timeout/);
    expect(err instanceof PublishError && err.permanent).toBe(false);
  });

  it('the server cut mid-run (TCP proxy): publish rejects, then works after close and connect', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    const proxy = await startTcpProxy(server.port);
    cleanups.push(() => proxy.close());
    const settings = settingsFor(proxy.port);
    let conn: SmtpConnection = await smtp.connect!(settings, 5000);
    await smtp.publish(conn, message(), settings, 5000);
    proxy.cut();
    const started = Date.now();
    const err = await rejection(smtp.publish(conn, message(), settings, 3000));
    expect(Date.now() - started).toBeLessThan(3500);
    expect(err instanceof PublishError && err.permanent).toBe(false);
    await smtp.close!(conn);
    await rejection(smtp.connect!(settings, 1000)); // still down
    proxy.restore();
    conn = await smtp.connect!(settings, 5000);
    cleanups.push(() => smtp.close!(conn));
    await smtp.publish(conn, message({ values: { subject: 'after' } }), settings, 5000);
    expect(server.received.map((r) => header(r.raw, 'Subject'))).toEqual(['Order 42', 'after']);
  });

  it('close ends the session; a publish after close fails', async () => {
    const server = await startServer({
      onClose() {
        closed.push(Date.now());
      },
    });
    const closed: number[] = [];
    cleanups.push(() => server.close());
    const settings = settingsFor(server.port);
    const conn = await smtp.connect!(settings, 5000);
    await smtp.publish(conn, message(), settings, 5000);
    await smtp.close!(conn);
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toHaveLength(1);
    const err = await rejection(smtp.publish(conn, message(), settings, 1000));
    expect(err.message).toMatch(/closed/);
    expect(server.received).toHaveLength(1);
  });
});
