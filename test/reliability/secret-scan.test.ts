// Secret scan (SPEC §1.6): a real server is configured with secrets of every
// shape — all digits, very short, long and random, a password in a URL, a
// token scheme's custom header, a short admin token — and sent webhooks that
// carry those secrets in bodies, headers and query strings; then a schema
// error, a failed reload, refused and malformed requests and failed deliveries
// are provoked. Every place that shows something is then searched for every
// secret (short ones as whole tokens): the log (stdout and stderr), `validate`
// output, /metrics, every admin answer and the inspector page. Masking must not
// mangle innocent text either: `application/json` stays itself with `t` a secret.
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const ROOT = resolve(__dirname, '../..');

const ADMIN_TOKEN = 't'; // very short: masked only as a whole token, and warned about
const GH_SECRET = '12345678'; // all digits, given unquoted: must stay text
const TWILIO_AUTH_TOKEN = '12345'; // Twilio's documented test-credential shape: short and numeric
const HOOK_KEY = `fake-hook-key-${randomBytes(12).toString('hex')}`; // long random, sent in X-Hook-Key
const PIN = '87654321'; // all digits, in a target header not named like a credential
const STORE_PW = 'store-literal-pw-fake'; // written literally in `store:`
const TARGET_PW = 'target-url-pw-fake'; // written literally in a target URL's userinfo
const DB_PW = 'db-env-password-fake'; // in DB_URL, which a mistyped file puts where it fails the schema

const SECRETS = [ADMIN_TOKEN, GH_SECRET, TWILIO_AUTH_TOKEN, HOOK_KEY, PIN, STORE_PW, TARGET_PW, DB_PW];
const ENV = {
  ADMIN_TOKEN,
  GH_SECRET,
  TWILIO_AUTH_TOKEN,
  HOOK_KEY,
  PIN,
  DB_URL: `postgress://switchboard:${DB_PW}@db.internal.example:5432/switchboard`,
};

function config(sink: string): string {
  const sinkUrl = new URL(sink);
  return `version: 1
store: postgres://switchboard:${STORE_PW}@127.0.0.1:1/unused
admin:
  token: \${ADMIN_TOKEN}
defaults: { retry: { attempts: 1 } }
sources:
  github:
    verify:
      scheme: github
      secret: \${GH_SECRET}
  twilio:
    verify:
      scheme: twilio
      secret: \${TWILIO_AUTH_TOKEN}
  hooks:
    verify:
      scheme: token
      header: X-Hook-Key
      secret: \${HOOK_KEY}
    topic: type
targets:
  sink:
    url: ${sink}/sink
    headers:
      X-Pin: \${PIN}
  failing: { url: "${sink}/fail" }
  unreachable: { url: "http://deliverer:${TARGET_PW}@127.0.0.1:1/never" }
  with-userinfo: { url: "http://deliverer:${TARGET_PW}@${sinkUrl.host}/userinfo" }
routes:
  - { name: hooks-to-sink, source: hooks, target: sink, transform: '{ "type": type, "note": note, "pin": pin }' }
  - { name: hooks-to-failing, source: hooks, target: failing, transform: '{ "note": note }' }
  - { name: hooks-to-unreachable, source: hooks, target: unreachable }
  - { name: hooks-to-userinfo, source: hooks, target: with-userinfo }
  - { name: github-to-sink, source: github, target: sink, transform: '{ "comment": comment.body }' }
  - { name: twilio-to-sink, source: twilio, target: sink, transform: '{ "sms": Body }' }
`;
}

/** Secrets of 8 characters or more anywhere; shorter ones as whole tokens (SPEC §1.6). */
function findSecrets(text: string): string[] {
  const found: string[] = [];
  for (const s of SECRETS) {
    const escaped = s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const re = s.length >= 8 ? new RegExp(escaped) : new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u');
    const m = re.exec(text);
    if (m) found.push(`${JSON.stringify(s)} in …${text.slice(Math.max(0, m.index - 80), m.index + s.length + 80)}…`);
  }
  // A random secret is recognisable by any part of it: an error that quotes it cut short leaks it too.
  if (text.includes(HOOK_KEY.slice(0, 24))) found.push('a prefix of the hook key');
  return found;
}

let sink: Sink;
let server: Spawned;
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const admin = async (path: string, init: RequestInit = {}) => fetch(`${server.url}/admin${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
const validateOutput: string[] = [];

/** The secrets as a webhook sender might include them: in text, as numbers, as keys, in headers. */
const BODY = {
  type: 'order.created',
  note: `innocent text: application/json, attempt, ${ADMIN_TOKEN} ${TWILIO_AUTH_TOKEN} ${GH_SECRET} ${HOOK_KEY} ${PIN} ${STORE_PW}`,
  pin: Number(PIN),
  code: Number(TWILIO_AUTH_TOKEN),
  [HOOK_KEY]: 'a secret as a key',
  nested: { deeper: [{ password: STORE_PW, short: ADMIN_TOKEN }] },
  contentType: 'application/json',
};

function twilioHeaders(url: string, params: Record<string, string>): Record<string, string> {
  const signed =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  return {
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Twilio-Signature': createHmac('sha1', TWILIO_AUTH_TOKEN).update(signed).digest('base64'),
  };
}

beforeAll(async () => {
  sink = await startSink();
  // The failing target answers 500 quoting the secrets back, as a chatty API might.
  sink.script('/fail', [], { kind: 'status', status: 500, body: `upstream error for ${HOOK_KEY}, pin ${PIN}, code ${TWILIO_AUTH_TOKEN}` });
  server = await spawnServer(config(sink.url), ENV);

  // Accepted webhooks carrying the secrets.
  const json = JSON.stringify(BODY);
  const hookHeaders = { 'Content-Type': 'application/json', 'X-Hook-Key': HOOK_KEY, 'X-Echo': `${GH_SECRET} ${TWILIO_AUTH_TOKEN}`, 'X-Short': ADMIN_TOKEN };
  expect((await fetch(`${server.url}/hooks/hooks?token=${HOOK_KEY}&pin=${PIN}&code=${TWILIO_AUTH_TOKEN}`, { method: 'POST', body: json, headers: hookHeaders })).status).toBe(200);
  // A topic that is itself a secret.
  const secretTopic = JSON.stringify({ ...BODY, type: PIN });
  expect((await fetch(`${server.url}/hooks/hooks`, { method: 'POST', body: secretTopic, headers: hookHeaders })).status).toBe(200);
  const gh = JSON.stringify({ action: 'created', comment: { body: `the pin is ${PIN} and the key ${HOOK_KEY}` } });
  expect((await fetch(`${server.url}/hooks/github`, { method: 'POST', body: gh, headers: { ...githubHeaders(gh, GH_SECRET, 'issue_comment', `gh-${GH_SECRET}`), 'X-Note': GH_SECRET } })).status).toBe(
    200,
  );
  const sms = { MessageSid: 'SMfake0001', From: '+15550100', Body: `code ${TWILIO_AUTH_TOKEN} key ${HOOK_KEY}` };
  const smsRes = await fetch(`${server.url}/hooks/twilio`, { method: 'POST', body: new URLSearchParams(sms).toString(), headers: twilioHeaders(`${server.url}/hooks/twilio`, sms) });
  expect(smsRes.status).toBe(200); // the documented short test secret verifies fine

  // Refused: a wrong key (the header holds a near-secret), a forged signature with secrets in headers, a malformed body quoting the key.
  expect((await fetch(`${server.url}/hooks/hooks`, { method: 'POST', body: json, headers: { ...hookHeaders, 'X-Hook-Key': `${HOOK_KEY}-wrong` } })).status).toBe(401);
  expect(
    (await fetch(`${server.url}/hooks/github`, { method: 'POST', body: gh, headers: { ...githubHeaders(gh, 'not-the-secret', 'issue_comment'), 'X-Note': `${PIN} ${ADMIN_TOKEN}` } })).status,
  ).toBe(401);
  const malformed = `{"note": x${HOOK_KEY} ${PIN} ${TWILIO_AUTH_TOKEN}}`;
  expect((await fetch(`${server.url}/hooks/hooks`, { method: 'POST', body: malformed, headers: hookHeaders })).status).toBe(400);

  // A schema error, in `validate` and in a failed reload: DB_URL holds a password and is not a store URL.
  const broken = config(sink.url).replace(/^store: .*$/m, 'store: ${DB_URL}');
  const brokenFile = join(server.dir, 'broken.yaml');
  writeFileSync(brokenFile, broken);
  const v = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'validate', '-c', brokenFile], { cwd: server.dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...ENV } });
  expect(v.status).toBe(1);
  validateOutput.push(v.stdout, v.stderr);
  // And the valid file: its weak-secret warnings.
  const ok = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'validate', '-c', 'routes.yaml'], { cwd: server.dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...ENV } });
  expect(ok.status).toBe(0);
  validateOutput.push(ok.stdout, ok.stderr);

  writeFileSync(join(server.dir, 'routes.yaml'), broken);
  const reload = await admin('/reload', { method: 'POST' });
  expect(reload.status).toBe(422);

  // Every delivery settles (succeeded, or dead after its one attempt).
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { events } = (await (await admin('/events?limit=100')).json()) as { events: { deliveries: Record<string, number> }[] };
    if (events.length >= 4 && events.every((e) => !e.deliveries.pending)) break;
    if (Date.now() > deadline) throw new Error('deliveries did not settle');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

describe('secret scan', () => {
  it('no secret, of any shape, in the log, validate output, /metrics, any admin answer or the inspector', async () => {
    const { events } = (await (await admin('/events?limit=100')).json()) as { events: { id: string }[] };
    const places: Record<string, string> = {
      'GET /admin/config': await (await admin('/config')).text(),
      'GET /admin/rejections': await (await admin('/rejections')).text(),
      'GET /admin/events': await (await admin('/events?limit=100')).text(),
      'GET /metrics': await (await fetch(`${server.url}/metrics`)).text(),
      'validate output': validateOutput.join('\n'),
    };
    for (const e of events) places[`GET /admin/events/${e.id}`] = await (await admin(`/events/${e.id}`)).text();
    // Logs trail the answers a little.
    await new Promise((r) => setTimeout(r, 300));
    places['log (stdout)'] = server.logs.map((l) => JSON.stringify(l)).join('\n');
    places['stderr'] = server.stderr();
    const leaks = Object.entries(places).flatMap(([where, text]) => findSecrets(text).map((s) => `${where}: ${s}`));
    expect(leaks).toEqual([]);
  });

  it('the inspector page is served as it is on disk: it carries no config or secret', async () => {
    const page = await (await fetch(`${server.url}/admin/`)).text();
    expect(page).toBe(readFileSync(join(ROOT, 'public/inspector.html'), 'utf8'));
    for (const s of SECRETS.filter((x) => x.length >= 8)) expect(page).not.toContain(s);
  });

  it('masks the secrets without mangling the text around them', async () => {
    const { events } = (await (await admin('/events?source=hooks&limit=10')).json()) as { events: { id: string; topic: string }[] };
    const first = events.find((e) => e.topic === 'order.created')!;
    const e = (await (await admin(`/events/${first.id}`)).json()) as {
      contentType: string;
      headers: Record<string, string>;
      query: Record<string, string>;
      payload: Record<string, unknown>;
    };
    expect(e.contentType).toBe('application/json');
    expect(e.headers['content-type']).toBe('application/json');
    expect(e.headers['x-hook-key']).toBe('***');
    expect(e.headers['x-short']).toBe('***');
    expect(e.query).toEqual({ token: '***', pin: '***', code: '***' });
    expect(e.payload.note).toBe('innocent text: application/json, attempt, *** *** *** *** *** ***');
    expect(e.payload).toMatchObject({ pin: '***', code: '***', contentType: 'application/json', nested: { deeper: [{ password: '***', short: '***' }] } });
    expect(e.payload['***']).toBe('a secret as a key');
    // The secret topic is masked wherever it is listed.
    expect(events.map((x) => x.topic).sort()).toEqual(['***', 'order.created']);
  });

  it('warns that the short secrets are weak, naming where they are and never what they are', () => {
    const text = validateOutput.join('\n');
    expect(text).toMatch(/routes\.yaml:\d+:\d+: warning: admin\.token: weak secret/);
    expect(text).toMatch(/routes\.yaml:\d+:\d+: warning: sources\.twilio\.verify\.secret: weak secret/);
    expect(text).not.toMatch(/sources\.github\.verify\.secret: weak/); // 8 digits is long enough, if not strong
    // The schema error names the variable instead of quoting it.
    expect(text).toMatch(/broken\.yaml:2:8: store: expected sqlite:<path> or postgres:\/\/…, got "\$\{DB_URL\}"/);
  });

  it('the failed reload is reported with the reference, not the value', async () => {
    const cfg = (await (await admin('/config')).json()) as { lastReload: { ok: boolean; errors: string[] } };
    expect(cfg.lastReload.ok).toBe(false);
    expect(cfg.lastReload.errors.join('\n')).toContain('${DB_URL}');
  });
});
