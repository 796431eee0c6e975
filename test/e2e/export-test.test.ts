// Save as test, whole process: a real server takes a signed GitHub webhook,
// `switchboard events export <id> --as-test` (the real CLI, through the admin
// API) writes the payload fixture and prints a tests: case; appended to the
// config, `switchboard test` passes; with the route's transform edited, it
// fails with a diff. No secret is printed or written.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';
import { startSink, type Sink } from '../helpers/sink.js';

const ROOT = resolve(__dirname, '../..');
const SECRET = 'export-e2e-github-secret-not-real';
const TRANSFORM = `'{ "text": sender.login & " opened #" & issue.number & ": " & issue.title }'`;
let server: Spawned;
let sink: Sink;
let config: string;

function cli(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/switchboard.js'), ...args], { cwd, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => res({ code, out, err }));
  });
}

beforeAll(async () => {
  sink = await startSink();
  config = `version: 1
defaults: { retry: { attempts: 1 } }
sources:
  gh: { verify: { scheme: github, secret: ${SECRET} } }
targets:
  chat: { url: "${sink.url}/chat" }
routes:
  - name: new-issues
    source: gh
    topics: [issues.opened]
    transform: ${TRANSFORM}
    target: chat
  - name: big-issues
    source: gh
    topics: ["issues.*"]
    filter: issue.number > 100000
    target: chat
  - name: pushes
    source: gh
    topics: [push]
    target: chat
`;
  server = await spawnServer(config);
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exit;
  await sink?.close();
});

async function webhook(): Promise<string> {
  const body = readFileSync(join(ROOT, 'fixtures/github/issues.opened.json'));
  const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', headers: githubHeaders(body, SECRET, 'issues', 'a1b2c3d4-0000-4000-8000-feedfacecafe'), body });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

describe('events export --as-test', () => {
  it('writes the fixture, prints a case that `switchboard test` passes, and fails once the transform changes', async () => {
    const id = await webhook();
    const r = await cli(['events', 'export', id, '--as-test', '-c', 'routes.yaml', '--url', server.url], server.dir);
    expect(r.err).toMatch(/^wrote fixtures\/gh\/issues\.opened-[\w-]{8}\.json$/m);
    expect(r.code).toBe(0);
    const fixture = /wrote (\S+)/.exec(r.err)![1]!;
    expect(JSON.parse(readFileSync(join(server.dir, fixture), 'utf8'))).toEqual(JSON.parse(readFileSync(join(ROOT, 'fixtures/github/issues.opened.json'), 'utf8')));

    // The config has no tests yet: the case comes with its `tests:` line, ready to append.
    expect(r.out).toMatch(/^tests:\n {2}- name: gh issues\.opened \(recorded evt_/);
    expect(r.out).toContain(`    payload: ./${fixture}\n`);
    expect(r.out).toContain('    headers:\n      x-github-event: issues\n      x-github-delivery: a1b2c3d4-0000-4000-8000-feedfacecafe\n    payload');
    expect(r.out).toContain('      - route: new-issues\n        body:\n          text: "ada-lovelace opened #1351: Deploy hangs when the config has a BOM"\n');
    expect(r.out).toContain('      - route: big-issues\n        skipped: true # filter gave false\n');
    expect(r.out).toContain('      - route: pushes\n        skipped: true # topic "issues.opened" does not match ["push"]\n');
    // No secret, no signature, no header the case does not need.
    const written = r.out + r.err + readFileSync(join(server.dir, fixture), 'utf8');
    expect(written).not.toContain(SECRET);
    expect(written).not.toMatch(/signature|sha256=|user-agent|host:/i);

    // Run again: the fixture is there, and it is not overwritten.
    const again = await cli(['events', 'export', id, '--as-test', '-c', 'routes.yaml', '--url', server.url], server.dir);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`${fixture} already exists: not overwritten`);
    expect(again.out).toBe('');

    appendFileSync(join(server.dir, 'routes.yaml'), r.out);
    const pass = await cli(['test', '-c', 'routes.yaml'], server.dir);
    expect(pass.out).toContain('✓ gh issues.opened (recorded');
    expect(pass.out).toContain('1 passed, 0 failed');
    expect(pass.code).toBe(0);

    const file = join(server.dir, 'routes.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(TRANSFORM, `'{ "text": "New issue: " & issue.title }'`));
    const fail = await cli(['test', '-c', 'routes.yaml'], server.dir);
    expect(fail.code).toBe(1);
    expect(fail.out).toContain('route new-issues (line');
    expect(fail.out).toContain('body differs:');
    expect(fail.out).toContain('-   "text": "ada-lovelace opened #1351: Deploy hangs when the config has a BOM"');
    expect(fail.out).toContain('+   "text": "New issue: Deploy hangs when the config has a BOM"');
    expect(fail.out).toContain('0 passed, 1 failed');
  });

  it('--fixtures puts the file elsewhere, and the case names it relative to the config', async () => {
    const id = await webhook();
    const r = await cli(['events', 'export', id, '--as-test', '--fixtures', 'cases/gh', '-c', 'routes.yaml', '--url', server.url], server.dir);
    expect(r.code).toBe(0);
    const name = /wrote cases\/gh\/(\S+)/.exec(r.err)![1]!;
    expect(existsSync(join(server.dir, 'cases/gh', name))).toBe(true);
    expect(r.out).toContain(`    payload: ./cases/gh/${name}\n`);
  });

  it('usage: --as-test is required; an unknown event is the API’s 404', async () => {
    const bare = await cli(['events', 'export', 'evt_x', '-c', 'routes.yaml', '--url', server.url], server.dir);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('events export needs --as-test');
    const unknown = await cli(['events', 'export', 'evt_nope', '--as-test', '-c', 'routes.yaml', '--url', server.url], server.dir);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('admin API answered 404: no such event');
  });
});
