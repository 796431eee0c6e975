// The README must not lie: its walkthrough config is valid, its `try` output is
// what the CLI prints, and its reference table is what the schema says.
import { spawnSync } from 'node:child_process';
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

  it('the quick start: npm start serves the example, and the curl command gets a 200 with an event id', async (ctx) => {
    const missing = ['openssl', 'curl', 'bash'].filter((c) => !has(c));
    if (missing.length) {
      console.warn(`skipped: the README's quick start needs ${missing.join(', ')}, not installed here`);
      ctx.skip();
    }
    const snippet = block('**Send it a webhook.**', 'sh');
    expect(snippet).toContain('curl -i http://localhost:8080/hooks/github');
    // The example config, served the way `npm start` serves it (an ephemeral port instead of 8080).
    const server = await spawnServer(readFileSync(join(ROOT, 'routes.example.yaml'), 'utf8'));
    try {
      const port = new URL(server.url).port;
      const r = spawnSync('bash', ['-c', snippet.replace('localhost:8080', `127.0.0.1:${port}`)], { cwd: ROOT, encoding: 'utf8' });
      expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
      const id = /\{"id":"(evt_[0-9a-f]{32})"\}\s*$/.exec(r.stdout)?.[1];
      expect(id).toBeDefined();
      expect(await waitForLog(server, (l) => l.event === id)).toMatchObject({ msg: 'webhook accepted', topic: 'issue_comment.created', routes: 1 });
      expect(readDb<{ id: string }>(server.dbPath, 'SELECT id FROM events').map((e) => e.id)).toEqual([id]);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exit;
    }
  });
});
