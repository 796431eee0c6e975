// Attacks on verification found by review (each failed on the code before its fix), against a
// real server: unsigned probes as signing oracles, stored unsigned probes delivered by replay,
// dedup ids read from unsigned headers, a Twilio signature over a bare URL vouching for any body,
// a Mailgun signature carrying another event, costly unsigned bodies, and split header blow-up.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load } from '../helpers/config.js';
import { readDb, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const PARTNER = 'fake-partner-secret-0123456789';
const SVIX = 'whsec_ZmFrZS1zdml4LWtleS1ub3QtcmVhbC0wMTIz';
const TWILIO = 'fake-twilio-auth-token-not-real';
const MAILGUN = 'fake-mailgun-signing-key-not-real';
const HUBSPOT = 'fake-hubspot-secret-not-real';

let server: Spawned;
let sink: Sink;

beforeAll(async () => {
  sink = await startSink();
  server = await spawnServer(`version: 1
server: { publicUrl: "https://hooks.example.com" }
sources:
  partner:
    verify: { scheme: hmac, secret: ${PARTNER}, header: X-Sig }
    handshake:
      - when: $headers."x-hook-type" = "challenge"
        respond: { body: '{ "response": $hmac("sha256", $headers."x-challenge", "hex") }' }
      - when: $method = "GET" and $exists($query.crc_token)
        respond: { body: '"sha256=" & $hmac("sha256", $query.crc_token, "base64")' }
      - when: $method = "GET" and $exists($query.echo)
        respond: { body: '$query.echo' }
  notion-new: { verify: { scheme: notion } }
  notion-set: { verify: { scheme: notion, secret: fake-notion-token-not-real } }
  svix: { verify: { scheme: standard-webhooks, secret: ${SVIX} } }
  twilio: { verify: { scheme: twilio, secret: ${TWILIO} } }
  mailgun: { verify: { scheme: mailgun, secret: ${MAILGUN} } }
  hubspot: { verify: { scheme: hubspot, secret: ${HUBSPOT} } }
  woo: { verify: { scheme: woocommerce, secret: fake-woo-secret-not-real } }
targets:
  sink: { url: "${sink.url}/in" }
routes:
  - { name: all-notion, source: notion-new, target: sink }
  - { name: all-svix, source: svix, target: sink }
  - { name: all-twilio, source: twilio, target: sink }
  - { name: all-mailgun, source: mailgun, target: sink }
`);
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

const url = (path: string) => `${server.url}/hooks${path}`;
const events = (source: string) => readDb<{ id: string; topic: string }>(server.dbPath, 'SELECT id, topic FROM events WHERE source = ?', source);

describe('unsigned probes cannot sign anything', () => {
  it('a rule that does not test $method does not answer PUT, DELETE or OPTIONS (405)', async () => {
    for (const method of ['PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const res = await fetch(url('/partner'), { method, headers: { 'x-hook-type': 'challenge', 'x-challenge': '{"forged":true}' } });
      expect(res.status, method).toBe(405);
    }
  });

  it('a GET rule using $hmac fails instead of signing attacker text (no CRC-style oracle); a plain echo still answers, nosniff', async () => {
    const forged = JSON.stringify({ kind: 'order.paid', amount: 1e6 });
    const oracle = await fetch(url(`/partner?crc_token=${encodeURIComponent(forged)}`));
    expect(oracle.status).toBe(405);
    expect(await oracle.text()).not.toContain(createHmac('sha256', PARTNER).update(forged).digest('base64'));
    const echo = await fetch(url('/partner?echo=hello'));
    expect(echo.status).toBe(200);
    expect(await echo.text()).toBe('hello');
    expect(echo.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe("Notion's verification request", () => {
  const probe = (path: string, token: string) => fetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verification_token: token }) });

  it('is kept (no deliveries) while the source has no secret; replaying it is refused', async () => {
    expect((await probe('/notion-new', 'secret_fake_first_token')).status).toBe(200);
    const kept = events('notion-new');
    expect(kept.map((e) => e.topic)).toEqual(['notion.verification']);
    expect(readDb(server.dbPath, 'SELECT id FROM deliveries WHERE event_id = ?', kept[0]!.id)).toEqual([]);
    const replay = await fetch(`${server.url}/admin/events/${kept[0]!.id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(409);
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.received.filter((r) => r.body.includes('verification_token'))).toEqual([]);
  });

  it('is answered but not stored once a secret is set (anyone can send one)', async () => {
    expect((await probe('/notion-set', 'secret_attacker_planted')).status).toBe(200);
    expect(events('notion-set')).toEqual([]);
  });
});

describe('dedup ids come from signed data only', () => {
  it('standard-webhooks: a webhook-id added beside svix-* headers does not make a replay new', async () => {
    const body = JSON.stringify({ type: 'user.created', data: { id: 1 } });
    const ts = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from(SVIX.slice('whsec_'.length), 'base64');
    const sig = createHmac('sha256', key).update(`msg_svix_1.${ts}.${body}`).digest('base64');
    const headers = { 'content-type': 'application/json', 'svix-id': 'msg_svix_1', 'svix-timestamp': ts, 'svix-signature': `v1,${sig}` };
    expect((await fetch(url('/svix'), { method: 'POST', headers, body })).status).toBe(200);
    for (const fresh of ['fresh-1', 'fresh-2']) {
      const res = await fetch(url('/svix'), { method: 'POST', headers: { ...headers, 'webhook-id': fresh }, body });
      expect(await res.json()).toMatchObject({ duplicate: true });
    }
    expect(events('svix')).toHaveLength(1);
  });

  it('twilio: a captured request resent with a new I-Twilio-Idempotency-Token is a duplicate', async () => {
    const form = 'AccountSid=AC1&Body=hi&From=%2B15550001&MessageSid=SMdedup1&SmsStatus=received&To=%2B15550002';
    const params = [...new URLSearchParams(form)].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const signed = 'https://hooks.example.com/hooks/twilio' + params.map(([k, v]) => k + v).join('');
    const sig = createHmac('sha1', TWILIO).update(signed).digest('base64');
    const send = (token: string) =>
      fetch(url('/twilio'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig, 'i-twilio-idempotency-token': token }, body: form });
    expect((await send('tok-1')).status).toBe(200);
    expect((await send('tok-2')).status).toBe(200);
    expect(events('twilio')).toHaveLength(1);
  });

  it('twilio: a signature over the bare URL does not vouch for a JSON body without bodySHA256 (401)', async () => {
    const sig = createHmac('sha1', TWILIO).update('https://hooks.example.com/hooks/twilio').digest('base64');
    const res = await fetch(url('/twilio'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-twilio-signature': sig }, body: '{"MessageSid":"SMforged","Body":"x"}' });
    expect(res.status).toBe(401);
    // With bodySHA256 in the signed URL, the body is bound and accepted.
    const body = '{"MessageSid":"SMjson1","Body":"x"}';
    const hash = createHash('sha256').update(body).digest('hex');
    const u = `https://hooks.example.com/hooks/twilio?bodySHA256=${hash}`;
    const ok = await fetch(url(`/twilio?bodySHA256=${hash}`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-twilio-signature': createHmac('sha1', TWILIO).update(u).digest('base64') },
      body,
    });
    expect(ok.status).toBe(200);
  });

  it('mailgun: the same signature carrying another event is refused (signature reused); a resend of the same event is a duplicate', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const token = 'a'.repeat(50);
    const signature = {
      timestamp: ts,
      token,
      signature: createHmac('sha256', MAILGUN)
        .update(ts + token)
        .digest('hex'),
    };
    const post = (eventData: unknown) => fetch(url('/mailgun'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ signature, 'event-data': eventData }) });
    expect((await post({ id: 'mg-real-1', event: 'delivered' })).status).toBe(200);
    expect(await (await post({ id: 'mg-real-1', event: 'delivered' })).json()).toMatchObject({ duplicate: true });
    const forged = await post({ id: 'mg-forged-2', event: 'complained' });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({ error: 'signature reused for another event' });
    expect(events('mailgun')).toHaveLength(1);
  });
});

describe('bounded work before and after the signature', () => {
  it('a large body is never taken for an unsigned probe (only bodies up to 4 KB are matched before the signature): 401', async () => {
    const deep = '['.repeat(400) + ']'.repeat(400);
    const big = `webhook_id=1&x=${'y'.repeat(600_000)}${encodeURIComponent(deep)}`;
    const res = await fetch(url('/woo'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big });
    expect(res.status).toBe(401);
    // The small, exact ping still works.
    expect((await fetch(url('/woo'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=9' })).status).toBe(200);
  });

  it('split: a batch with a large header block stores it bounded per element', async () => {
    const body = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ eventId: 5000 + i, subscriptionType: 'contact.creation' })));
    const ts = String(Date.now());
    const sig = createHmac('sha256', HUBSPOT).update(`POSThttps://hooks.example.com/hooks/hubspot${body}${ts}`).digest('base64');
    const padding = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x-pad-${i}`, 'p'.repeat(1500)]));
    const res = await fetch(url('/hubspot'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts, ...padding }, body });
    expect(res.status).toBe(200);
    const rows = readDb<{ headers: string }>(server.dbPath, "SELECT headers FROM events WHERE source = 'hubspot'");
    expect(rows).toHaveLength(50);
    for (const r of rows) {
      expect(r.headers.length).toBeLessThan(9000);
      expect(JSON.parse(r.headers)).toMatchObject({ 'x-switchboard-headers-dropped': '8' });
    }
  });
});

describe('config checks from review', () => {
  const cfg = (source: string) => load(`version: 1\nsources:\n  s:\n${source.replace(/^/gm, '    ')}\nroutes: []\n`);
  it('handshake and respond headers: bad names, line breaks, framing headers are config errors', () => {
    expect(cfg('verify: { scheme: none }\nhandshake:\n  - when: "true"\n    respond: { headers: { "Bad Name": x } }').errors.join('\n')).toMatch(/"Bad Name" is not a valid header name/);
    expect(cfg('verify: { scheme: none }\nhandshake:\n  - when: "true"\n    respond: { headers: { Content-Length: "1" } }').errors.join('\n')).toMatch(/Content-Length is set by the server/);
    expect(cfg('verify: { scheme: none }\nrespond: { headers: { X-A: "a\\r\\nSet-Cookie: x=1" } }').errors.join('\n')).toMatch(/cannot hold a line break/);
  });
  it('settings that weaken verification draw warnings; contradictory ones errors', () => {
    const lines = (v: string) => cfg(`verify: { scheme: hmac, secret: ${PARTNER}, header: X-Sig, ${v} }`).lines.join('\n');
    expect(lines('timestampHeader: X-Ts')).toMatch(/the timestamp is not in the signed text/);
    expect(lines('signed: "{header:X-Id}"')).toMatch(/nothing of the body is signed/);
    expect(lines('signatureFrom: a.b')).toMatch(/"header" or "signatureFrom", not both/);
    expect(lines('format: { signature: v1 }, prefix: "x="')).toMatch(/prefix: ignored with "format"/);
    expect(lines('tolerance: 10m')).toMatch(/tolerance: ignored: nothing says where a timestamp is/);
    expect(lines('tolerance: 300, timestampHeader: X-Ts, signed: "{timestamp}{body}"')).toMatch(/a bare number has no unit: write 300s/);
  });
});
