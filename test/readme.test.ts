// The README must not lie: its walkthrough config is valid, its `try` output is
// what the CLI prints, and its reference table is what the schema says.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configReference, END, START } from '../src/config/reference.js';
import { tempDir } from './helpers/config.js';
import { readDb, spawnServer, waitForLog } from './helpers/server.js';

const ROOT = resolve(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function block(after: string, lang: string): string {
  const i = README.indexOf(after);
  expect(i, `README has "${after}"`).toBeGreaterThan(-1);
  const start = README.indexOf('```' + lang + '\n', i) + lang.length + 4;
  return README.slice(start, README.indexOf('```', start));
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), ...args], { cwd, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('README', () => {
  it('the config reference matches the schema (run `npm run docs` to update it)', () => {
    const section = README.slice(README.indexOf(START), README.indexOf(END) + END.length);
    expect(section).toBe(configReference());
  });

  it('the walkthrough config validates, tries and tests as shown', () => {
    const dir = tempDir();
    cpSync(join(ROOT, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
    const yaml = block('**1. Write a route.**', 'yaml');
    const tests = block('**4. Test it.**', 'yaml');
    writeFileSync(join(dir, 'routes.yaml'), yaml);
    expect(cli(['validate'], dir).out.trim()).toBe('✓ routes.yaml is valid: 1 source, 1 target, 1 route');

    const shownTry = block('**3. Try it**', 'console').split('\n').slice(1).join('\n').trim();
    const tryArgs = ['try', 'github', 'fixtures/github/issue_comment.created.json', '-H', 'X-GitHub-Event: issue_comment'];
    expect(cli(tryArgs, dir).out.trim()).toBe(shownTry);

    writeFileSync(join(dir, 'routes.yaml'), yaml + tests);
    const shownTest = block('```yaml\ntests:', 'console').split('\n').slice(1).join('\n').trim();
    expect(cli(['test'], dir).out.trim()).toBe(shownTest);
  });

  it('the quick start: sink + npm start + the curl command: 200, then the Slack message at the sink', async (ctx) => {
    const missing = ['openssl', 'curl', 'bash'].filter((c) => !has(c));
    if (missing.length) {
      console.warn(`skipped: the README's quick start needs ${missing.join(', ')}, not installed here`);
      ctx.skip();
    }
    const sendLine = block('In a third terminal', 'sh');
    expect(sendLine).toContain('npx switchboard send -c routes.example.yaml github');
    const snippet = block('what it does by hand', 'sh');
    expect(snippet).toContain('curl -i http://localhost:8080/hooks/github');
    expect(README).toContain('npx switchboard sink          # terminal 1');

    // terminal 1: the sink, on a free port instead of 9999
    const sink = spawn(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'sink', '--port', '0'], { env: { PATH: process.env.PATH ?? '' } });
    let sinkOut = '';
    sink.stdout.on('data', (d: Buffer) => (sinkOut += d.toString()));
    const sinkClosed = new Promise((r) => sink.on('close', r));
    let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
    try {
      const deadline = Date.now() + 10_000;
      while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(sinkOut) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const sinkUrl = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(sinkOut)![1]!;
      // terminal 2: the example config, served as `npm start` serves it (an ephemeral port instead of 8080)
      server = await spawnServer(readFileSync(join(ROOT, 'routes.example.yaml'), 'utf8'), { SLACK_WEBHOOK_URL: `${sinkUrl}/slack` });
      const port = new URL(server.url).port;
      // terminal 3: the README's exact commands
      const r = spawnSync('bash', ['-c', snippet.replace('localhost:8080', `127.0.0.1:${port}`)], { cwd: ROOT, encoding: 'utf8' });
      expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
      const id = /\{"id":"(evt_[0-9a-f]{32})"\}\s*$/.exec(r.stdout)?.[1];
      expect(id).toBeDefined();
      expect(await waitForLog(server, (l) => l.event === id && l.msg === 'webhook accepted')).toMatchObject({ topic: 'issue_comment.created', routes: 1 });
      expect(readDb<{ id: string }>(server.dbPath, 'SELECT id FROM events').map((e) => e.id)).toEqual([id]);
      await waitForLog(server, (l) => l.event === id && l.msg === 'delivery succeeded');
      expect(sinkOut).toMatch(/POST \/slack\n/);
      expect(sinkOut).toContain('"text": "octocat on Spelling error in the README file: Hello"');

      // and the `send` line (npx resolves to this package's bin)
      const sent = spawnSync('bash', ['-c', `${sendLine.replace('npx switchboard', `node ${join(ROOT, 'bin/switchboard.js')}`).trim()} --url http://127.0.0.1:${port}`], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(sent.stdout).toMatch(new RegExp(`^HTTP 200 http://127\\.0\\.0\\.1:${port}/hooks/github$`, 'm'));
      const sentId = /"id":"(evt_[0-9a-f]{32})"/.exec(sent.stdout)?.[1];
      await waitForLog(server, (l) => l.event === sentId && l.msg === 'delivery succeeded');
    } finally {
      server?.proc.kill('SIGTERM');
      await server?.exit;
      sink.kill('SIGTERM');
      await sinkClosed;
    }
  });
});
