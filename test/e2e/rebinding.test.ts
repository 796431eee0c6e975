// DNS rebinding in a real headless Chromium: a page on evil.example, whose name
// now resolves to 127.0.0.1 (Chromium's --host-resolver-rules stands in for the
// attacker's DNS), is same-origin with the server as far as the browser knows,
// so it can read any answer — unless the server refuses its Host. The
// inspector on http://localhost keeps working.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type Spawned } from '../helpers/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`skipping the DNS-rebinding browser test: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);

const PRIVATE = 'rebinding-payload-only-for-the-operator';

// What the attacker's script does once its name points at 127.0.0.1: read what it can.
async function attack(paths: string[]): Promise<Record<string, { status?: number; body?: string; error?: string }>> {
  const results: Record<string, { status?: number; body?: string; error?: string }> = {};
  for (const path of paths) {
    try {
      const res = await fetch(path);
      results[path] = { status: res.status, body: await res.text() };
    } catch (err) {
      results[path] = { error: String(err) };
    }
  }
  return results;
}

describe.skipIf(!available)('DNS rebinding, in headless Chromium', () => {
  let server: Spawned;
  let browser: Browser;
  let port: string;
  let eventId: string;

  beforeAll(async () => {
    // The default: no admin.token, so only the Host rule stands between the page and the payloads.
    server = await spawnServer(`version: 1
sources:
  open: { verify: { scheme: none } }
routes: []
`);
    port = new URL(server.url).port;
    const res = await fetch(`${server.url}/hooks/open`, { method: 'POST', body: JSON.stringify({ note: PRIVATE }), headers: { 'Content-Type': 'application/json' } });
    eventId = ((await res.json()) as { id: string }).id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--host-resolver-rules=MAP evil.example 127.0.0.1',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    server?.proc.kill('SIGTERM');
    await server?.exit;
  });

  it('a page on evil.example cannot read /admin through a name resolved to 127.0.0.1', async () => {
    const page = await browser.newPage();
    try {
      // The attacker's document comes over the rebound name from 127.0.0.1 itself. (Had it come
      // from a public address, Chromium's Private Network Access would block the reads on its
      // own; Firefox, Safari and older Chromium would not. The Host rule must hold alone.)
      await page.goto(`http://evil.example:${port}/healthz`);
      const results = await page.evaluate(attack, ['/healthz', '/admin/events', '/admin/config', '/admin/']);
      // The name really reaches this server from the page's origin…
      expect(results['/healthz']?.status, JSON.stringify(results['/healthz'])).toBe(200);
      // …and the admin API refuses it.
      for (const path of ['/admin/events', '/admin/config', '/admin/']) {
        expect(results[path]?.status, `${path}: ${JSON.stringify(results[path])}`).toBe(421);
        expect(results[path]?.body).not.toContain(PRIVATE);
        expect(results[path]?.body).not.toContain(eventId);
      }
      expect(JSON.parse(results['/admin/events']!.body!).error).toMatch(/until admin\.token is set/);
    } finally {
      await page.close();
    }
  });

  it('the inspector on http://localhost still shows the event', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`http://localhost:${port}/admin/`);
      await page.locator(`#events li[data-id="${eventId}"]`).waitFor({ timeout: 10_000 });
      const answer = await page.evaluate(async (id) => (await fetch(`/admin/events/${id}`)).text(), eventId);
      expect(answer).toContain(PRIVATE);
    } finally {
      await page.close();
    }
  });
});
