// The real server, as a user runs it: `switchboard serve` in a child process on
// an ephemeral port, real signed requests over HTTP, and the SQLite file read
// back directly.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubHeaders, readDb, spawnServer, waitForLog, type Spawned } from '../helpers/server.js';

const ROOT = resolve(__dirname, '../..');
const GITHUB_SECRET = 'e2e-github-secret-not-real';
const COMMENT = readFileSync(join(ROOT, 'fixtures/github/issue_comment.created.json'));

const CONFIG = `version: 1
server: { maxBodySize: 64kb }
sources:
  github:
    verify: { scheme: github, secret: ["${GITHUB_SECRET}"] }
  stripe:
    verify: { scheme: stripe, secret: whsec_e2e_not_real }
  slack:
    verify: { scheme: slack, secret: e2e-slack-secret-not-real }
  twilio:
    path: /twilio/sms
    verify: { scheme: twilio, secret: e2e-twilio-token }
  meta:
    verify: { scheme: meta, secret: e2e-meta-secret, verifyToken: e2e-verify-token }
  partner:
    verify: { scheme: token, secret: e2e-partner-token }
    topic: kind
    id: ref
    respond:
      status: 202
      headers: { X-Handled-By: switchboard }
      body: '{ "received": ref, "event": $eventId }'
targets:
  sink:
    url: http://127.0.0.1:9/sink
routes:
  - name: comments
    source: github
    topics: ["issue_comment.*"]
    target: sink
  - name: issues
    source: github
    topics: ["issues.*"]
    target: sink
  - name: everything-from-github
    source: github
    target: sink
  - name: sms
    source: twilio
    target: sink
  - name: partner-orders
    source: partner
    topics: [order.*]
    target: sink
`;

let server: Spawned;
const events = () =>
  readDb<{ id: string; source: string; topic: string; delivery_id: string | null; headers: string; body: Buffer; content_type: string | null }>(server.dbPath, 'SELECT * FROM events ORDER BY rowid');
const deliveries = (eventId: string) => readDb<{ route: string; status: string }>(server.dbPath, 'SELECT route, status FROM deliveries WHERE event_id = ? ORDER BY route', eventId);
const post = (path: string, body: string | Buffer, headers: Record<string, string>) => fetch(`${server.url}${path}`, { method: 'POST', body, headers });

beforeAll(async () => {
  server = await spawnServer(CONFIG);
});
afterAll(async () => {
  server.proc.kill('SIGTERM');
  await server.exit;
});

describe('accepting webhooks', () => {
  it('commits the event and one pending delivery per matching route before answering 200 with its id', async () => {
    const res = await post('/hooks/github', COMMENT, githubHeaders(COMMENT, GITHUB_SECRET, 'issue_comment', 'gh-delivery-1'));
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
    const stored = events().find((e) => e.id === id)!;
    expect(stored).toMatchObject({ source: 'github', topic: 'issue_comment.created', delivery_id: 'gh-delivery-1', content_type: 'application/json' });
    expect(Buffer.compare(stored.body, COMMENT)).toBe(0); // the raw bytes, exactly
    const headers = JSON.parse(stored.headers) as Record<string, string>;
    expect(headers['x-github-event']).toBe('issue_comment');
    expect(headers['x-hub-signature-256']).toBe('***'); // credentials are masked before they are stored
    expect(deliveries(id)).toEqual([
      { route: 'comments', status: 'pending' },
      { route: 'everything-from-github', status: 'pending' },
    ]);
    const line = await waitForLog(server, (l) => l.event === id);
    expect(line).toMatchObject({ msg: 'webhook accepted', source: 'github', topic: 'issue_comment.created', status: 200, routes: 2 });
    expect(JSON.stringify(server.logs)).not.toContain(GITHUB_SECRET);
  });

  it('absorbs a duplicate delivery id: same id, nothing new queued', async () => {
    const body = Buffer.from(JSON.stringify({ action: 'opened', issue: { number: 7 } }));
    const first = await post('/hooks/github', body, githubHeaders(body, GITHUB_SECRET, 'issues', 'gh-delivery-dup'));
    const { id } = (await first.json()) as { id: string };
    const before = events().length;
    for (let i = 0; i < 3; i++) {
      const again = await post('/hooks/github', body, githubHeaders(body, GITHUB_SECRET, 'issues', 'gh-delivery-dup'));
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ id, duplicate: true });
    }
    expect(events().length).toBe(before);
    expect(deliveries(id).map((d) => d.route)).toEqual(['everything-from-github', 'issues']);
  });

  it("unwraps GitHub's form-encoded payload= body", async () => {
    const form = `payload=${encodeURIComponent(JSON.stringify({ action: 'created', comment: { body: 'hi' } }))}`;
    const headers = { ...githubHeaders(form, GITHUB_SECRET, 'issue_comment', 'gh-form-1'), 'Content-Type': 'application/x-www-form-urlencoded' };
    const res = await post('/hooks/github', form, headers);
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(events().find((e) => e.id === id)!.topic).toBe('issue_comment.created');
  });

  it("answers with the source's respond: status, headers and a JSONata body", async () => {
    const body = JSON.stringify({ kind: 'order.created', ref: 'ORD-9' });
    const res = await post('/hooks/partner', body, { 'Content-Type': 'application/json', Authorization: 'Bearer e2e-partner-token' });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-handled-by')).toBe('switchboard');
    const answer = (await res.json()) as { received: string; event: string };
    expect(answer.received).toBe('ORD-9');
    const stored = events().find((e) => e.id === answer.event)!;
    expect(stored).toMatchObject({ topic: 'order.created', delivery_id: 'ORD-9' });
    expect(JSON.parse(stored.headers).authorization).toBe('***');
    expect(deliveries(answer.event)).toEqual([{ route: 'partner-orders', status: 'pending' }]);
  });

  it('Twilio: form parameters, the signed URL, and an empty TwiML answer', async () => {
    const params = new URLSearchParams({ MessageSid: 'SMe2e0001', From: '+15550100', Body: 'hello', SmsStatus: 'received' });
    const url = `${server.url}/hooks/twilio/sms`;
    const sorted = [...params]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => k + v)
      .join('');
    const signature = createHmac('sha1', 'e2e-twilio-token')
      .update(url + sorted)
      .digest('base64');
    const res = await post('/hooks/twilio/sms', params.toString(), { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/xml');
    expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    const stored = events().find((e) => e.source === 'twilio')!;
    expect(stored).toMatchObject({ topic: 'twilio.message', delivery_id: 'SMe2e0001:received' });
  });
});

describe('handshakes are answered and not stored', () => {
  it('Slack url_verification', async () => {
    const before = events().length;
    const body = JSON.stringify({ token: 'x', challenge: 'e2e-challenge-value', type: 'url_verification' });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = `v0=${createHmac('sha256', 'e2e-slack-secret-not-real').update(`v0:${ts}:${body}`).digest('hex')}`;
    const res = await post('/hooks/slack', body, { 'Content-Type': 'application/json', 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': sig });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'e2e-challenge-value' });
    expect(events().length).toBe(before);
  });

  it('Meta GET hub.challenge', async () => {
    const ok = await fetch(`${server.url}/hooks/meta?hub.mode=subscribe&hub.verify_token=e2e-verify-token&hub.challenge=987654`);
    expect([ok.status, await ok.text()]).toEqual([200, '987654']);
    const bad = await fetch(`${server.url}/hooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=987654`);
    expect(bad.status).toBe(403);
  });
});

describe('refusals (SPEC §3), none stored', () => {
  it('401 for a missing, wrong or stale signature, with a short reason', async () => {
    const before = events().length;
    const noSig = await post('/hooks/github', COMMENT, { 'Content-Type': 'application/json', 'X-GitHub-Event': 'issue_comment' });
    expect([noSig.status, await noSig.json()]).toEqual([401, { error: 'missing signature' }]);
    const wrong = await post('/hooks/github', COMMENT, githubHeaders(COMMENT, 'not-the-secret', 'issue_comment'));
    expect([wrong.status, await wrong.json()]).toEqual([401, { error: 'signature mismatch' }]);
    const body = '{"id":"evt_stale","type":"invoice.paid"}';
    const t = Math.floor(Date.now() / 1000) - 3600;
    const stale = `t=${t},v1=${createHmac('sha256', 'whsec_e2e_not_real').update(`${t}.${body}`).digest('hex')}`;
    const old = await post('/hooks/stripe', body, { 'Content-Type': 'application/json', 'Stripe-Signature': stale });
    expect([old.status, await old.json()]).toEqual([401, { error: 'timestamp outside tolerance' }]);
    expect(events().length).toBe(before);
    const line = await waitForLog(server, (l) => l.reason === 'signature mismatch');
    expect(line).toMatchObject({ msg: 'webhook rejected', source: 'github', status: 401 });
  });

  it('413 for a body over maxBodySize, declared or chunked', async () => {
    const big = Buffer.alloc(65 * 1024, 'a');
    const declared = await post('/hooks/github', big, githubHeaders(big, GITHUB_SECRET, 'push'));
    expect(declared.status).toBe(413);
    // Chunked: no Content-Length, so the limit must be enforced while reading.
    const chunked = await new Promise<number>((res, rej) => {
      const req = httpRequest(`${server.url}/hooks/github`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (r) => {
        r.resume();
        res(r.statusCode ?? 0);
      });
      req.on('error', rej);
      for (let i = 0; i < 80; i++) req.write(Buffer.alloc(1024, 'b'));
      req.end();
    });
    expect(chunked).toBe(413);
  });

  it('400 for a signed body that does not parse', async () => {
    const body = '{"action": "opened",';
    const res = await post('/hooks/github', body, githubHeaders(body, GITHUB_SECRET, 'issues'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^body is not valid JSON/);
  });

  it('404 for an unknown path, 405 for a wrong method', async () => {
    expect((await post('/hooks/nope', '{}', { 'Content-Type': 'application/json' })).status).toBe(404);
    expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404);
    const get = await fetch(`${server.url}/hooks/github`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(`${server.url}/hooks/github`, { method: 'PUT', body: '{}' })).status).toBe(405);
  });
});

describe('health', () => {
  it('/healthz and /readyz', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
  });
});
