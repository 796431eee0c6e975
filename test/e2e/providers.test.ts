// Handshake rules and split over a real port: `switchboard serve` as a child
// process with a SQLite store, a real sink for deliveries. Signatures are made
// here with node:crypto from each provider's documented recipe.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDb, spawnServer, waitForLog, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const ZOOM = 'fake-zoom-secret-token-not-real';
const HUBSPOT = 'fake-hubspot-client-secret-not-real';
const PARTNER = 'fake-partner-secret-not-real';
const WOO = 'fake-woo-secret-not-real';

let server: Spawned;
let sink: Sink;

beforeAll(async () => {
  sink = await startSink();
  server = await spawnServer(`version: 1
server: { maxSplit: 3, publicUrl: "https://hooks.example.com" }
sources:
  zoom: { verify: { scheme: zoom, secret: ${ZOOM} } }
  hubspot: { verify: { scheme: hubspot, secret: ${HUBSPOT} } }
  trello: { verify: { scheme: trello, secret: fake-trello-secret-not-real } }
  woo: { verify: { scheme: woocommerce, secret: ${WOO} } }
  partner:
    verify: { scheme: hmac, secret: ${PARTNER}, header: X-Sig }
    topic: kind
    id: id
    split: items
    handshake:
      - when: $method = "GET" and $exists($query.challenge)
        respond: { headers: { X-Probe: "yes" }, body: '$query.challenge' }
      - when: kind = "probe"
        respond: { status: 202, body: '{ "echo": token, "mac": $hmac("sha256", token, "hex") }' }
targets:
  sink: { url: "${sink.url}/in", retry: { attempts: 1 } }
routes:
  - { name: all-hubspot, source: hubspot, target: sink, transform: '{ "t": subscriptionType, "id": eventId }' }
  - { name: all-partner, source: partner, target: sink, transform: '{ "id": id }' }
`);
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${server.url}/hooks${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const count = (source: string) => readDb<{ n: number }>(server.dbPath, 'SELECT count(*) AS n FROM events WHERE source = ?', source)[0]!.n;

describe('preset handshakes', () => {
  it('zoom: a signed endpoint.url_validation gets plainToken + its HMAC, nothing stored; unsigned → 401', async () => {
    const body = JSON.stringify({ event: 'endpoint.url_validation', payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' }, event_ts: 1 });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = `v0=${createHmac('sha256', ZOOM).update(`v0:${ts}:${body}`).digest('hex')}`;
    const res = await post('/zoom', body, { 'x-zm-request-timestamp': ts, 'x-zm-signature': sig });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken: createHmac('sha256', ZOOM).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex') });
    expect((await post('/zoom', body, { 'x-zm-request-timestamp': ts })).status).toBe(401);
    expect(count('zoom')).toBe(0);
  });

  it('trello: the HEAD probe gets 200; GET is not allowed', async () => {
    expect((await fetch(`${server.url}/hooks/trello`, { method: 'HEAD' })).status).toBe(200);
    const get = await fetch(`${server.url}/hooks/trello`);
    expect(get.status).toBe(405);
  });

  it('woocommerce: the unsigned ping on creation gets 200 and is not stored; anything else unsigned is 401', async () => {
    const ping = await fetch(`${server.url}/hooks/woo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=17' });
    expect(ping.status).toBe(200);
    const forged = await fetch(`${server.url}/hooks/woo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=17&status=completed' });
    expect(forged.status).toBe(401);
    expect(count('woo')).toBe(0);
  });
});

describe("a source's own handshake rules", () => {
  it('GET: answered before verification (no body to verify), with its headers', async () => {
    const res = await fetch(`${server.url}/hooks/partner?challenge=abc123`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-probe')).toBe('yes');
    expect(await res.text()).toBe('abc123');
  });

  it('POST: only once the signature verifies; $hmac keyed with the secret', async () => {
    const body = JSON.stringify({ kind: 'probe', token: 'tok-1' });
    const sig = createHmac('sha256', PARTNER).update(body).digest('hex');
    const res = await post('/partner', body, { 'x-sig': sig });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ echo: 'tok-1', mac: createHmac('sha256', PARTNER).update('tok-1').digest('hex') });
    expect((await post('/partner', body, { 'x-sig': '00'.repeat(32) })).status).toBe(401);
    expect(count('partner')).toBe(0);
    await waitForLog(server, (l) => l.msg === 'handshake answered' && l.source === 'partner' && l.status === 202);
  });
});

describe('split', () => {
  it('hubspot: a batch of three becomes three events (own topic, id, deliveries), committed before the one 200', async () => {
    const body = JSON.stringify([
      { eventId: 101, subscriptionType: 'contact.creation', objectId: 1 },
      { eventId: 102, subscriptionType: 'contact.propertyChange', objectId: 1 },
      { eventId: 103, subscriptionType: 'deal.creation', objectId: 9 },
    ]);
    const ts = String(Date.now());
    const uri = 'https://hooks.example.com/hooks/hubspot';
    const sig = createHmac('sha256', HUBSPOT).update(`POST${uri}${body}${ts}`).digest('base64');
    const res = await post('/hubspot', body, { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { ids: string[] };
    expect(answer.ids).toHaveLength(3);
    const rows = readDb<{ id: string; topic: string; delivery_id: string }>(server.dbPath, "SELECT id, topic, delivery_id FROM events WHERE source = 'hubspot' ORDER BY id");
    expect(rows.map((r) => [r.topic, r.delivery_id])).toEqual([
      ['contact.creation', '101'],
      ['contact.propertyChange', '102'],
      ['deal.creation', '103'],
    ]);
    expect(rows.map((r) => r.id)).toEqual(answer.ids);
    await sink.waitFor((r) => r.length >= 3);
    expect(sink.received.map((r) => JSON.parse(r.body) as unknown)).toEqual(
      expect.arrayContaining([
        { t: 'contact.creation', id: 101 },
        { t: 'contact.propertyChange', id: 102 },
        { t: 'deal.creation', id: 103 },
      ]),
    );
    // HubSpot resends the batch: every element is a duplicate, nothing new is queued.
    const again = await post('/hubspot', body, { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts });
    expect(await again.json()).toEqual({ ids: answer.ids, duplicates: 3 });
    expect(count('hubspot')).toBe(3);
  });

  it('past server.maxSplit: 413 and nothing stored', async () => {
    const body = JSON.stringify({ items: [1, 2, 3, 4].map((id) => ({ id: `p-${id}`, kind: 'order' })) });
    const res = await post('/partner', body, { 'x-sig': createHmac('sha256', PARTNER).update(body).digest('hex') });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/4 events; at most 3 \(server\.maxSplit\)/);
    expect(count('partner')).toBe(0);
  });

  it('an empty batch: 200, no events', async () => {
    const body = JSON.stringify({ items: [] });
    const res = await post('/partner', body, { 'x-sig': createHmac('sha256', PARTNER).update(body).digest('hex') });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ids: [] });
  });
});
