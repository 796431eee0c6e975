// The config preview under attack (regressions of a review): an edit cannot read
// the server's environment or files that the live config does not already use;
// slow transforms cannot hold the event loop or outlast the deadline; huge
// fan-out cannot make a huge answer; `switchboard diff` never passes a recorded
// payload's terminal control sequences through.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const ROOT = resolve(__dirname, '../..');
const TOKEN = 'preview-attacks-token-not-real';
const ENV_SECRET = 'fake-env-secret-VALUE-1234';
const USED_SECRET = 'fake-used-secret-VALUE-9999';
const FILE_SECRET = 'fake-file-secret-VALUE-5678';
let server: Spawned;
let sink: Sink;

const cfg = (routes: string) => `version: 1
admin: { token: ${TOKEN} }
sources:
  open: { verify: { scheme: none }, topic: type }
  signed: { verify: { scheme: github, secret: "\${USED_SECRET}" } }
targets:
  t: { url: "${sink.url}/t" }
routes:
${routes}`;
const LIVE = `  - { name: r, source: open, topics: ["*"], transform: '{ "n": n, "text": text }', target: t }\n`;

async function preview(text: string) {
  const res = await fetch(`${server.url}/admin/preview`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: text });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  sink = await startSink();
  server = await spawnServer(cfg(LIVE), { OTHER_SERVICE_PASSWORD: ENV_SECRET, USED_SECRET, SWITCHBOARD_PREVIEW_DEADLINE: '4s' });
  writeFileSync(join(server.dir, 'secret.txt'), FILE_SECRET);
  for (let n = 1; n <= 3; n++) {
    const body = { type: n === 1 ? 'x\u001b]0;PWNED\u0007\u001b[2J' : 'x', n, text: n === 1 ? 'hi\u001b[2J\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007' : 'plain' };
    expect((await fetch(`${server.url}/hooks/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status).toBe(200);
  }
  await sink.waitFor((r) => r.length === 3);
}, 30_000);
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

describe('an edit reads only what the live config reads', () => {
  it('an environment variable the live config does not use is unset in the edit (a config error naming it, no value)', async () => {
    const r = await preview(cfg(`  - { name: r, source: open, topics: ["*"], transform: '{ "n": n, "x": "\${OTHER_SERVICE_PASSWORD}" }', target: t }\n`));
    expect(r.status).toBe(400);
    expect(r.text).toContain('${OTHER_SERVICE_PASSWORD} is not read here: a preview reads only the environment variables the live config reads');
    expect(r.text).not.toContain(ENV_SECRET);
    const topics = await preview(cfg(`  - { name: r, source: open, topics: ["\${OTHER_SERVICE_PASSWORD}"], target: t }\n`));
    expect(topics.text).not.toContain(ENV_SECRET);
  });

  it('a secret the live config uses, moved by the edit into a transform, is masked in the answer', async () => {
    const r = await preview(cfg(`  - { name: r, source: open, topics: ["*"], transform: '{ "n": n, "x": "\${USED_SECRET}" }', target: t }\n`));
    expect(r.status).toBe(200);
    expect(r.text).toContain('***');
    expect(r.text).not.toContain(USED_SECRET);
  });

  it('a secret file the live config does not read is refused, unread', async () => {
    const r = await preview(cfg(`  - { name: r, source: open, topics: ["*"], transform: '$error("\${file:${join(server.dir, 'secret.txt')}}")', target: t }\n`));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/is not read here: a preview reads only the secret files the live config reads/);
    expect(r.text).not.toContain(FILE_SECRET);
    // and a device is never read, whoever asks: /dev/zero would fill the heap
    const zero = await preview(cfg(`  - { name: r, source: open, topics: ["*"], transform: '"\${file:/dev/zero}"', target: t }\n`));
    expect(zero.status).toBe(400);
  });
});

describe('bounds', () => {
  it('slow transforms: webhooks keep being answered, and the deadline stops the preview with what it planned', async () => {
    const slow = `'$map([1..99999], function($x){ $map([1..99999], function($y){ $y }) })'`;
    let routes = LIVE;
    for (let i = 0; i < 6; i++) routes += `  - { name: s${i}, source: open, topics: ["*"], transform: ${slow}, target: t }\n`;
    const started = Date.now();
    const p = preview(cfg(routes));
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    const health = await fetch(`${server.url}/healthz`);
    const healthMs = Date.now() - t0;
    const r = await p;
    expect(health.status).toBe(200);
    // one JSONata evaluation (1 s at most) may be running when the probe comes
    expect(healthMs).toBeLessThan(1600);
    const body = JSON.parse(r.text) as { complete: boolean; stoppedBecause: string };
    expect(body.complete).toBe(false);
    expect(body.stoppedBecause).toMatch(/^stopped at the 4 s deadline/);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);

  it('1,000 fan-out items of 20 KB per event: the answer stays small (requests, lines and samples capped)', async () => {
    const r = await preview(cfg(`  - { name: r, source: open, topics: ["*"], each: true, transform: '( $m := n; [1..1000].($pad("", 20000, "x") & $string($m)) )', target: t }\n`));
    expect(r.status).toBe(200);
    expect(r.text.length).toBeLessThan(200_000);
    const body = JSON.parse(r.text) as { routes: { route: string; counts: { changed: number }; changed: { diff: string }[] }[] };
    const route = body.routes.find((x) => x.route === 'r')!;
    expect(route.counts.changed).toBe(3);
    expect(route.changed[0]!.diff).toContain('# … 990 more requests not shown');
    expect(route.changed[0]!.diff).toMatch(/… \(\d+ more characters\)/);
  }, 30_000);
});

describe('switchboard diff', () => {
  it("never prints a recorded payload's terminal control sequences; exits 1 on an incomplete preview", () => {
    writeFileSync(join(server.dir, 'edited.yaml'), cfg(`  - { name: r, source: open, topics: ["*"], transform: '{ "n": n, "text": "> " & text }', target: t }\n`));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'diff', '-c', 'edited.yaml', '--url', server.url], {
      cwd: server.dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', USED_SECRET },
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('x\\x1b]0;PWNED\\x07\\x1b[2J');
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).not.toContain('\u0007');
  });
});
