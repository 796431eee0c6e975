// The inspector in a real headless Chromium (Debian's, driven by playwright-core):
// a webhook arrives and appears in the list without a reload; opening it shows
// the payload, the request sent and the target's answer, and why each route
// sent or not; Replay sends it again; Copy as test gives a tests: case; the
// Config tab previews a pasted edit against the recorded events. Screenshots
// of each land in test/artifacts/.
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
  let CONFIG: string;

  beforeAll(async () => {
    sink = await startSink();
    sink.script('/slack', [], { kind: 'status', status: 200, body: '{"ok":true,"answered_by":"the sink"}' });
    CONFIG = `version: 1
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
`;
    server = await spawnServer(CONFIG);
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

  it('is served with a policy that allows no inline script or style; its script and styles are files of their own', async () => {
    const page = await fetch(`${server.url}/admin/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style>|\sstyle=|\son\w+=/);
    for (const [asset, type] of [
      ['inspector.js', 'text/javascript'],
      ['inspector.css', 'text/css'],
    ] as const) {
      const res = await fetch(`${server.url}/admin/${asset}`);
      expect([res.status, res.headers.get('content-type')]).toEqual([200, `${type}; charset=utf-8`]);
    }
  });

  it('shows a new event live, its request and answer, and replays it', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      // A 401 before the token is given and the 400 of the invalid preview are answers the page shows, not faults.
      if (m.type() === 'error' && !/status of 40[01]/.test(m.text())) consoleErrors.push(m.text());
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
    await page.locator('#verdicts').screenshot({ path: join(ARTIFACTS, 'inspector-verdicts.png') });

    // Copy as test: the tests: case in a box (no secure context here, so no clipboard), the fixture to download
    await page.click('#copy-as-test');
    const box = page.locator('.copy-test textarea');
    await box.waitFor();
    const testCase = await box.inputValue();
    expect(testCase).toMatch(/^ {2}- name: .*\n {4}source: github\n/);
    expect(testCase).toContain('route: comments-to-slack');
    expect(testCase).toContain('text: "octocat: looks good <b>to me</b>"');
    expect(testCase).not.toContain(SECRET);
    expect(await page.locator('#copy-test-fixture').getAttribute('download')).toMatch(/\.json$/);
    await page.locator('.copy-test').screenshot({ path: join(ARTIFACTS, 'inspector-copy-as-test.png') });

    // a forged webhook shows up under Rejections with its reason
    await fetch(`${server.url}/hooks/github`, { method: 'POST', body, headers: githubHeaders(body, 'wrong-secret', 'issue_comment') });
    await page.click('nav button[data-view="rejections"]');
    await page.locator('#rejections td.error', { hasText: 'signature mismatch' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-rejections.png') });

    await page.click('nav button[data-view="config"]');
    await page.locator('#config-live .card').waitFor();
    const configText = (await page.locator('#config').textContent()) ?? '';
    expect(configText).toContain('comments-to-slack');
    expect(configText).not.toContain(SECRET);
    expect(configText).not.toContain(TOKEN);

    // Preview a pasted edit: the transform changes, a route is added; nothing is sent, the live config stays
    const sent = sink.received.length;
    const edited = CONFIG.replace('": " & comment.body', '" says: " & comment.body') + `  - { name: all-comments, source: github, topics: ["*"], target: slack }\n`;
    await page.fill('#preview-text', edited);
    await page.click('#preview-run');
    await page.locator('#preview-summary').waitFor({ timeout: 10_000 });
    expect(await page.locator('#preview-summary').textContent()).toBe('2 routes would change over the last 1 recorded event');
    const diff = (await page.locator('[data-route="comments-to-slack"] pre.diff').first().textContent()) ?? '';
    expect(diff).toContain('-  "text": "octocat: looks good <b>to me</b>"');
    expect(diff).toContain('+  "text": "octocat says: looks good <b>to me</b>"');
    expect(await page.locator('[data-route="all-comments"] .badge').first().textContent()).toBe('added');
    expect(await page.locator('#preview-result b').count()).toBe(0); // payload text stays text
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-preview.png'), fullPage: true });
    // the poll does not wipe the pasted text or the answer
    await new Promise((r) => setTimeout(r, 2500));
    expect(await page.locator('#preview-text').inputValue()).toBe(edited);
    expect(await page.locator('#preview-summary').count()).toBe(1);
    // an invalid edit: positioned errors, nothing changed
    await page.fill('#preview-text', edited.replace('target: slack\n', 'target: slak\n'));
    await page.click('#preview-run');
    await page.locator('#preview-error').waitFor();
    expect(await page.locator('#preview-result pre.error').textContent()).toMatch(/^routes\.yaml:\d+:\d+: .*unknown target "slak"/);
    expect(sink.received.length).toBe(sent);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
