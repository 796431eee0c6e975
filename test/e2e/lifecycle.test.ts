// Start, stop, crash: a bad config never starts, SIGTERM drains and exits 0,
// kill -9 loses nothing acknowledged, a broken store answers 503, never 200.
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { createLogger } from '../../src/observe/log.js';
import { startServer } from '../../src/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir, writeFile } from '../helpers/config.js';
import { githubHeaders, readDb, spawnServer } from '../helpers/server.js';

const ROOT = resolve(__dirname, '../..');
const SECRET = 'lifecycle-secret-not-real';
const CONFIG = `version: 1
sources:
  github:
    verify: { scheme: github, secret: ${SECRET} }
targets:
  sink: { url: "http://127.0.0.1:9/sink" }
routes:
  - { name: all, source: github, target: sink }
`;

describe('lifecycle', () => {
  it('refuses to start on an invalid config, listing every error', () => {
    const dir = tempDir();
    writeFile(dir, 'routes.yaml', CONFIG.replace('scheme: github', 'scheme: githib').replace('target: sink', 'target: snk'));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'serve'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', PORT: '0' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^routes\.yaml:4:23: .*"githib" is not one of/m);
    expect(r.stderr).toMatch(/^routes\.yaml:8:42: route "all": unknown target "snk"/m);
    expect(r.stdout).not.toContain('listening');
  });

  it('SIGTERM: finishes the request in flight, then exits 0', async () => {
    const server = await spawnServer(CONFIG);
    const body = Buffer.from(JSON.stringify({ action: 'opened' }));
    const headers = githubHeaders(body, SECRET, 'issues', 'inflight-1');
    // Send headers and half the body, signal, then finish: the request must still succeed.
    const answer = new Promise<{ status: number; text: string }>((res, rej) => {
      const req = httpRequest(`${server.url}/hooks/github`, { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } }, (r) => {
        let text = '';
        r.on('data', (d: Buffer) => (text += d.toString()));
        r.on('end', () => res({ status: r.statusCode ?? 0, text }));
      });
      req.on('error', rej);
      req.write(body.subarray(0, 5));
      setTimeout(() => {
        server.proc.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(5)), 300);
      }, 200);
    });
    const { status, text } = await answer;
    expect(status).toBe(200);
    const { code } = await server.exit;
    expect(code).toBe(0);
    const { id } = JSON.parse(text) as { id: string };
    expect(readDb<{ id: string }>(server.dbPath, 'SELECT id FROM events').map((e) => e.id)).toEqual([id]);
    expect(server.logs.map((l) => l.msg)).toContain('stopped'); // "close": the process has exited and its output is read
  });

  it('kill -9 after the last 200: every acknowledged event is in the store', async () => {
    const server = await spawnServer(CONFIG);
    const acknowledged: string[] = [];
    const N = 60;
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const body = Buffer.from(JSON.stringify({ action: 'created', n: i }));
        const res = await fetch(`${server.url}/hooks/github`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'issue_comment', `crash-${i}`) });
        expect(res.status).toBe(200);
        acknowledged.push(((await res.json()) as { id: string }).id);
      }),
    );
    server.proc.kill('SIGKILL');
    const { signal } = await server.exit;
    expect(signal).toBe('SIGKILL');
    // Reopen the store the way a restarted server would (migrations, WAL recovery).
    const store = new SqliteStore(`sqlite:${server.dbPath}`);
    try {
      expect(await store.countEvents()).toBe(N);
      for (const id of acknowledged) {
        expect(await store.getEvent(id)).toBeDefined();
        expect((await store.deliveriesFor(id)).map((d) => d.status)).toEqual(['pending']);
      }
    } finally {
      await store.close();
    }
  });

  it('a store that fails answers 503 (never 200) and /readyz says not ready', async () => {
    const { config } = loadConfigText('routes.yaml', CONFIG, { PORT: '0' });
    const store = new SqliteStore(`sqlite:${join(tempDir(), 'x.db')}`);
    const quiet = createLogger({ LOG_LEVEL: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
    const server = await startServer({ config: config!, log: quiet, store, host: '127.0.0.1' });
    try {
      const body = Buffer.from('{"action":"opened"}');
      expect((await fetch(`${server.url}/hooks/github`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'issues') })).status).toBe(200);
      await store.close(); // the database goes away
      const res = await fetch(`${server.url}/hooks/github`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'issues') });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('keeps recent rejections in memory with credentials masked', async () => {
    const { config } = loadConfigText('routes.yaml', CONFIG, {});
    const quiet = createLogger({ LOG_LEVEL: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
    const server = await startServer({ config: config!, log: quiet, store: new SqliteStore('sqlite::memory:'), port: 0, host: '127.0.0.1' });
    try {
      const body = Buffer.from('{}');
      await fetch(`${server.url}/hooks/github`, { method: 'POST', body, headers: { ...githubHeaders(body, 'wrong-secret', 'push'), Authorization: `Bearer ${SECRET}` } });
      const [r] = server.rejections.list();
      expect(r).toMatchObject({ source: 'github', status: 401, reason: 'signature mismatch', method: 'POST', path: '/hooks/github' });
      expect(r!.headers['x-hub-signature-256']).toBe('***');
      expect(r!.headers.authorization).toBe('Bearer ***');
      expect(r!.headers['x-github-event']).toBe('push');
      expect(JSON.stringify(r)).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  });
});
