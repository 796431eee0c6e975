// Route verdicts: for every route of an event's source, why it did or did not
// send — sent, filtered (with the filter's value), failed (the transform's
// error), topic mismatch (patterns and topic) — through a real server; and
// after the config changes, as it stood when the event was routed.
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const SECRET = 'verdicts-e2e-secret-not-real';
let server: Spawned;
let sink: Sink;

beforeAll(async () => {
  sink = await startSink();
  server = await spawnServer(`version: 1
defaults: { retry: { attempts: 1 } }
sources:
  gh: { verify: { scheme: github, secret: ${SECRET} } }
targets:
  sink: { url: "${sink.url}/in" }
routes:
  - { name: sends, source: gh, topics: ["issues.*"], transform: '{ "t": issue.title }', target: sink }
  - { name: filtered, source: gh, topics: ["issues.*"], filter: 'issue.number > 100', transform: '{ "t": issue.title }', target: sink }
  - { name: broken, source: gh, topics: ["issues.*"], transform: '$error("no title mapping")', target: sink }
  - { name: elsewhere, source: gh, topics: ["push", "release.*"], target: sink }
`);
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

interface Verdicts {
  summary: string;
  routes: { route: string; verdict: string; reason: string; deliveries: string[] }[];
  routedBy?: { version: string; live: boolean };
}

let eventId = '';

describe('route verdicts', () => {
  it('says for each route why it sent or did not', async () => {
    const body = JSON.stringify({ action: 'opened', issue: { number: 7, title: 'Typo' } });
    const res = await fetch(`${server.url}/hooks/gh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
      body,
    });
    const { id } = (await res.json()) as { id: string };
    eventId = id;
    let v: Verdicts | undefined;
    for (let i = 0; i < 100; i++) {
      const e = (await (await fetch(`${server.url}/admin/events/${id}`)).json()) as { verdicts: Verdicts };
      v = e.verdicts;
      if (!v.routes.some((r) => r.verdict === 'pending')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const by = Object.fromEntries(v!.routes.map((r) => [r.route, r]));
    expect(by.sends).toMatchObject({ verdict: 'sent', reason: 'sent (200)' });
    expect(by.sends!.deliveries).toHaveLength(1);
    expect(by.filtered).toMatchObject({ verdict: 'filtered' });
    expect(by.filtered!.reason).toMatch(/filter gave false/);
    expect(by.broken).toMatchObject({ verdict: 'failed' });
    expect(by.broken!.reason).toMatch(/no title mapping/);
    expect(by.elsewhere).toMatchObject({ verdict: 'topic-mismatch', reason: 'topic "issues.opened" does not match ["push","release.*"]', deliveries: [] });
    expect(v!.summary).toBe('1 of 4 routes sent; 3 did not: 1 filtered, 1 failed, 1 topic mismatch');
    expect(v!.routedBy).toEqual({ version: expect.stringMatching(/^[0-9a-f]{12}$/), live: true });
  });

  it('after a reload, routes are judged as the config stood when the event was routed', async () => {
    const file = join(server.dir, 'routes.yaml');
    const before = readFileSync(file, 'utf8');
    const routedBy = ((await (await fetch(`${server.url}/admin/events/${eventId}`)).json()) as { verdicts: Verdicts }).verdicts.routedBy!.version;
    // elsewhere now takes issues.* too; a route is added that matches
    writeFileSync(file, before.replace('topics: ["push", "release.*"]', 'topics: ["push", "release.*", "issues.*"]') + `  - { name: late, source: gh, topics: ["issues.*"], target: sink }\n`);
    const reload = await fetch(`${server.url}/admin/reload`, { method: 'POST' });
    expect(((await reload.json()) as { ok: boolean }).ok).toBe(true);
    const v = ((await (await fetch(`${server.url}/admin/events/${eventId}`)).json()) as { verdicts: Verdicts }).verdicts;
    const by = Object.fromEntries(v.routes.map((r) => [r.route, r]));
    expect(by.elsewhere).toMatchObject({ verdict: 'topic-mismatch' });
    expect(by.elsewhere!.reason).toBe(
      `topic "issues.opened" did not match its topics when the event arrived (config ${routedBy}); its topics now, ["push","release.*","issues.*"], match: replay to send it`,
    );
    expect(by.late).toMatchObject({ verdict: 'not-queued' });
    expect(by.late!.reason).toBe(`the route was added (or renamed) after the event arrived (config ${routedBy}); it matches now: replay to send it`);
    expect(v.routedBy).toEqual({ version: routedBy, live: false });
    expect(v.summary).toMatch(new RegExp(`\\(routed by config ${routedBy}, since changed\\)$`));
  });
});
