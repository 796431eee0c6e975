// The inspector in a real headless Chromium (Debian's, driven by playwright-core):
// a webhook arrives and appears in the list without a reload; opening it shows
// the payload, the request sent and the target's answer; Replay sends it again.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../artifacts');
const SECRET = 'inspector-secret-not-real';
const TOKEN = 'inspector-admin-token-not-real';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`skipping the inspector browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);

describe.skipIf(!available)('the inspector, in headless Chromium', () => {
  let sink: Sink;
  let server: Spawned;
  let browser: Browser;

  beforeAll(async () => {
    sink = await startSink();
    sink.script('/slack', [], { kind: 'status', status: 200, body: '{"ok":true,"answered_by":"the sink"}' });
    server = await spawnServer(`version: 1
admin: { token: ${TOKEN} }
sources:
  github:
    verify: { scheme: github, secret: ${SECRET} }
targets:
  slack: { url: "${sink.url}/slack" }
routes:
  - name: comments-to-slack
    source: github
    topics: [issue_comment.*]
    transform: '{ "text": sender.login & ": " & comment.body }'
    target: slack
`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    server?.proc.kill('SIGTERM');
    await server?.exit;
    await sink?.close();
  });

  it('shows a new event live, its request and answer, and replays it', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('401')) consoleErrors.push(m.text());
    });
    await page.goto(`${server.url}/admin/`);
    // the server has a token: the page asks for it
    await page.locator('#login.show').waitFor();
    await page.fill('#token', TOKEN);
    await page.click('#login button');
    await page.locator('#events li.empty').waitFor();

    const body = Buffer.from(JSON.stringify({ action: 'created', comment: { body: 'looks good <b>to me</b>' }, sender: { login: 'octocat' } }));
    const res = await fetch(`${server.url}/hooks/github`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'issue_comment', 'insp-1') });
    const { id } = (await res.json()) as { id: string };

    // appears without reloading the page
    const item = page.locator(`#events li[data-id="${id}"]`);
    await item.waitFor({ timeout: 10_000 });
    expect(await item.locator('.topic').textContent()).toBe('issue_comment.created');
    await page.locator(`#events li[data-id="${id}"] .badge.succeeded`).waitFor({ timeout: 10_000 });
    await item.click();

    const card = page.locator('.delivery[data-status="succeeded"]');
    await card.waitFor();
    expect(await card.locator('strong').first().textContent()).toBe('comments-to-slack');
    expect(await page.locator('.request-body').first().textContent()).toContain('"text": "octocat: looks good <b>to me</b>"');
    expect(await page.locator('.response-body').first().textContent()).toContain('"answered_by": "the sink"');
    expect(await page.locator('#payload').textContent()).toContain('"login": "octocat"');
    // The route verdicts at the top of the event view.
    await page.locator('#verdicts tr[data-verdict="sent"]').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('#verdicts strong').textContent()).toMatch(/^\d+ of \d+ routes? sent/);
    // payload text is shown as text, never interpreted as HTML
    expect(await page.locator('#detail b').count()).toBe(0);

    await page.click('#replay');
    await page.locator('.delivery').nth(1).waitFor({ timeout: 10_000 });
    await page.locator('.delivery[data-status="succeeded"]').nth(1).waitFor({ timeout: 10_000 });
    const calls = await sink.waitFor((r) => r.filter((x) => x.path === '/slack').length >= 2);
    expect(calls.filter((x) => x.path === '/slack').map((x) => JSON.parse(x.body).text)).toEqual(['octocat: looks good <b>to me</b>', 'octocat: looks good <b>to me</b>']);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-event.png') });

    // a forged webhook shows up under Rejections with its reason
    await fetch(`${server.url}/hooks/github`, { method: 'POST', body, headers: githubHeaders(body, 'wrong-secret', 'issue_comment') });
    await page.click('nav button[data-view="rejections"]');
    await page.locator('#rejections td.error', { hasText: 'signature mismatch' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-rejections.png') });

    await page.click('nav button[data-view="config"]');
    await page.locator('#config pre').last().waitFor();
    const configText = (await page.locator('#config').textContent()) ?? '';
    expect(configText).toContain('comments-to-slack');
    expect(configText).not.toContain(SECRET);
    expect(configText).not.toContain(TOKEN);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
